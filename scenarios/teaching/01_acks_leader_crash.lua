-- Failure mode: acks=1 acknowledges a write as soon as the leader has it. If the leader dies
-- before its followers fetch, the new leader never had the write, and when the old leader
-- returns it truncates its log to the new leader's: the acknowledged write is gone everywhere.
scenario {
  name = "acks=1 loses acknowledged writes when the leader crashes",
  description = [[The producer uses acks=1. Broker-to-broker links are slow (5 ms), so the
followers are always a few milliseconds behind the leader. The leader of orders-0 crashes in
the middle of the load; a follower takes over without the last writes; the old leader comes
back and truncates them away.]],
  seed = 7,
  duration = "40s",
  kafka_version = "3.9",
}

local acks = param("acks", "1")

-- A reader that polls the topic from the start: Jepsen's lost-write is an acknowledged record it
-- never reads although it reads records after it. The explanation under the verdict tells how
-- the record was lost, from the trace.
if acks == "1" then expect_anomaly "lost-write" else expect { lost_acked_writes = 0, no_anomalies = { "lost-write" } } end

local c = cluster { brokers = 3, network = { latency = "5ms", jitter = "500us" } }
c:topic("orders", { partitions = 1, replication_factor = 3 })
local p = c:producer("order-service", { acks = acks, ["enable.idempotence"] = false })
c:group("audit", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest" })

at("2s", function() p:load { topic = "orders", rate = 2000, keys = 20, count = 20000 } end)

local victim
at("6s", function()
  victim = c:leader("orders", 0)
  note("broker " .. victim .. ", leader of orders-0, crashes; its followers are ~5 ms behind")
  c:crash(victim)
end)
at("25s", function()
  note("broker " .. victim .. " restarts and follows the new leader, truncating what it alone had")
  c:restart(victim)
end)
