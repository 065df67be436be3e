-- Failure mode: without idempotence, retries with max.in.flight.requests.per.connection=5 can
-- reorder and duplicate records. When leadership moves, the old leader answers the requests it
-- was holding with NOT_LEADER_OR_FOLLOWER one by one; each failed batch goes back to the front of
-- its queue, so they are resent in reverse; and batches the old leader had already replicated are
-- written again by the new leader.
--
-- Run with --set idempotence=true: sequence numbers put retries back in order and the brokers
-- drop the duplicates.
local idempotence = param("idempotence", false)

scenario {
  name = "Retries reorder and duplicate records without idempotence",
  description = [[A producer with acks=all, retries and 5 requests in flight writes keyed
records while the leader of each partition shuts down cleanly in turn (leadership moves) and
then one crashes.

**What you will see:** `duplicate` (values written twice in the log) and `nonmonotonic-send`
(same-key records acknowledged at lower offsets than records sent before them). In the trace,
`producer.retry` after each leader move.

**Why:** with retries and 5 requests in flight, a batch the old leader had appended can fail
anyway (NOT_LEADER_OR_FOLLOWER), and its retry is appended again; failed batches go back to the
front of the queue and are resent out of order.

**The fix:** the idempotent producer (`--set idempotence=true`, Kafka's default since 3.0):
sequence numbers per partition let the broker answer a retry with its original offsets and
refuse a gap, so there are no duplicates and no reordering.]],
  seed = 4,
  duration = "60s",
  kafka_version = "3.9",
}

-- Jepsen's duplicate: one value at two offsets. The explanation under the verdict names both
-- appends and the retry between them. Jepsen's nonmonotonic-send: a record sent later landed
-- before one the producer sent earlier with the same key. Either way nothing acknowledged is lost.
if tostring(idempotence) == "true" then
  expect { max_duplicates = 0, no_anomalies = { "nonmonotonic-send" }, lost_acked_writes = 0 }
else
  expect_anomaly "duplicate"
  expect_anomaly "nonmonotonic-send"
  expect { lost_acked_writes = 0 }
end

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "1ms" } }
c:topic("events", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("events-api", {
  acks = "all",
  ["enable.idempotence"] = idempotence,
  ["max.in.flight.requests.per.connection"] = 5,
  ["linger.ms"] = 1,
})

at("1s", function() p:load { topic = "events", rate = 4000, keys = 8, count = 120000 } end)

for i, t in ipairs({ 8, 18 }) do
  at(t .. "s", function()
    local leader = c:leader("events", i - 1)
    note("broker " .. leader .. ", leader of events-" .. (i - 1) .. ", shuts down cleanly: leadership moves")
    c:shutdown(leader)
    after("4s", function() c:restart(leader) end)
  end)
end
at("28s", function()
  local leader = c:leader("events", 0)
  note("broker " .. leader .. " crashes")
  c:crash(leader)
  after("5s", function() c:restart(leader) end)
end)
