-- A standard fault scenario for the idempotent producer: the leaders of a topic shut down
-- cleanly at random moments while idempotent acks=all producers write, one request in flight
-- each. A controlled shutdown moves leadership at once; the old leader answers the request it
-- still held with NOT_LEADER_OR_FOLLOWER, and a batch it had already replicated is retried once
-- to the new leader, which must recognise it by its sequence numbers. (With five requests in
-- flight a resequenced retry leaves a gap the leader refuses, OUT_OF_ORDER_SEQUENCE_NUMBER, and
-- the duplicate is rare.) With the model correct nothing
-- acknowledged is lost or written twice, whatever the seed; with a bug switched on (--set
-- bugs=producer_resequences_retries) some seed shows a duplicate. Kept short: tests sweep it.
scenario {
  name = "idempotent producers while leaders move",
  seed = 1,
  duration = "12s",
  drain = "3s",
  kafka_version = "3.9",
}

local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { lost_acked_writes = 0, max_duplicates = 0 }

-- flush.messages = 1: a restart loses nothing acknowledged by itself.
local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "1ms" }, bugs = bugs,
                    broker = { ["flush.messages"] = 1 } }
c:topic("t", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local one_in_flight = { acks = "all", ["linger.ms"] = 1, ["max.in.flight.requests.per.connection"] = 1 }
local writers = { c:producer("writer-a", one_in_flight), c:producer("writer-b", one_in_flight) }

at("1s", function()
  for _, w in ipairs(writers) do w:load { topic = "t", rate = 1000, keys = 8, count = 9000 } end
end)

-- Two windows, each shutting down the leader of a random partition and restarting it 2 s later.
for window = 0, 1 do
  local t = 2000 + window * 4000 + math.random(0, 1500)
  at(t .. "ms", function()
    local p = math.random(0, 1)
    local leader = c:leader("t", p)
    if not leader then return end
    note("broker " .. leader .. ", leader of t-" .. p .. ", shuts down cleanly: leadership moves")
    c:shutdown(leader)
    after("2s", function() c:restart(leader) end)
  end)
end
