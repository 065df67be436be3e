-- A standard fault scenario for bug hunting: acks=all producers, replication factor 3,
-- min.insync.replicas=2, and the leader of a random partition crashing at a random moment every few seconds. With the model
-- correct no acknowledged write is ever lost, whatever the seed; with a bug switched on
-- (--set bugs=acks_all_before_isr) some seed shows the loss. Kept short: tests sweep it.
scenario {
  name = "acks=all under random broker crashes",
  seed = 1,
  duration = "14s",
  drain = "3s",
  kafka_version = "3.9",
}

local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { lost_acked_writes = 0, max_duplicates = 0, no_anomalies = { "replica-divergence" } }

-- flush.messages = 1: every append is on disk before it is acknowledged, so a crash loses no
-- acknowledged data by itself. Without it, a broker that restarts within the controller's
-- session timeout stays in the ISR with a shortened log, and random crashes lose acknowledged
-- writes in Kafka itself (KIP-966; see scenarios/kip966_last_replica_standing.lua).
local c = cluster { brokers = 3, network = { latency = "5ms", jitter = "500us" }, bugs = bugs,
                    broker = { ["flush.messages"] = 1 } }
c:topic("t", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("writer", { acks = "all" })

at("1s", function() p:load { topic = "t", rate = 1000, keys = 10, count = 12000 } end)

-- Three crashes, each of a random partition's leader at a random moment of its 4 s window, restarted
-- 1.5-2.5 s later: one broker down at a time.
for window = 0, 2 do
  local t = 1500 + window * 4000 + math.random(0, 1000)
  at(t .. "ms", function()
    local victim = c:leader("t", math.random(0, 1)) or math.random(1, 3)
    c:crash(victim)
    after(math.random(1500, 2500) .. "ms", function() c:restart(victim) end)
  end)
end
