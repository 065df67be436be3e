-- delivery.timeout.ms shorter than an outage: "timed out, but maybe written". The leader of
-- events-0 appends and replicates a batch, but its answer never reaches the producer (a one-way
-- cut from the leader to the producer). The producer cannot reach the leader again until the
-- cut heals; after delivery.timeout.ms it expires the in-flight batch (Sender.getExpiredInflightBatches)
-- and the application's callback gets a TimeoutException: the outcome is unknown (op.info). The
-- application does what many do and sends the record again. Both copies are in the log: a
-- duplicate that idempotence cannot prevent, since to the producer the second send is a new record.
local resend = param("resend", true)
local idempotence = param("idempotence", true)

scenario {
  name = "delivery.timeout.ms: timed out but maybe written, and the application's resend duplicates",
  description = [[An idempotent producer sends a record every 50 ms to events-0, with
delivery.timeout.ms = 3 s. From 5 s to 10 s the leader's answers to the producer are cut: the
batches it appends are acknowledged to no one. They expire after 3 s as "maybe written"
(op.info); the application sends each again, and once the cut heals both copies are in the log.]],
  seed = 2,
  duration = "20s",
  kafka_version = "3.9",
}

-- Jepsen's duplicate: one value at two offsets, with idempotence on (the default since Kafka 3.0;
-- --set idempotence=false gives the same). With --set resend=false the application gives up
-- on a timed-out record: no duplicate, and the records written without an answer are still read
-- (op.info was "maybe", and here it was "yes").
if resend then
  expect_anomaly "duplicate"
else
  expect { no_anomalies = { "duplicate" }, lost_acked_writes = 0 }
end

local c = cluster { brokers = 3, network = { latency = "2ms" } }
c:topic("events", { partitions = 1, replicas = { { 1, 2, 3 } }, ["min.insync.replicas"] = 2 })
local p = c:producer("events-api", {
  acks = "all",
  ["delivery.timeout.ms"] = "3s",
  ["request.timeout.ms"] = "1s",
  ["linger.ms"] = 0,
  ["enable.idempotence"] = idempotence,
  -- One request in flight: the records sent during the cut gather in one batch behind it.
  ["max.in.flight.requests.per.connection"] = 1,
})
c:group("readers", { members = 1, topics = { "events" }, ["auto.offset.reset"] = "earliest" })

local timed_out, resent = 0, 0
local function send(value)
  p:send("events", { key = "k", value = value, callback = function(r)
    if r.outcome ~= "info" then return end
    timed_out = timed_out + 1
    if resend then
      resent = resent + 1
      -- The application's own retry, a moment later: a new record to Kafka, with the same value.
      after("200ms", function() send(value) end)
    end
  end })
end

local n = 0
every("50ms", function()
  n = n + 1
  send(string.format("event-%d", n))
end, { from = "1s", to = "14s" })

at("5s", function()
  note("the answers of events-0's leader (broker 1) to the producer are cut")
  c:block(1, p)
end)
at("10s", function() note("the cut heals") c:heal() end)
at("18s", function()
  check("sends timed out with their outcome unknown (op.info)", timed_out > 0, string.format("%d timed out, %d sent again", timed_out, resent))
end)
