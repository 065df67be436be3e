-- A standard fault scenario for bug hunting: acks=all producers, replication factor 3,
-- min.insync.replicas=2, and the leader of a random partition crashed or isolated at a random
-- moment every few seconds. With the model correct no acknowledged write is lost, duplicated or
-- left diverging between replicas, whatever the seed; with a bug switched on (--set
-- bugs=acks_all_before_isr) some seed shows it. Kept short: tests sweep it.
scenario {
  name = "acks=all under random leader crashes and isolations",
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
-- writes in Kafka itself (KIP-966; see scenarios/teaching/05_kip966_last_replica_standing.lua).
-- A 1 s broker session timeout lets the controller fence a lost leader within each outage, so
-- leadership moves and followers must truncate what the old leader never replicated.
local c = cluster { brokers = 3, network = { latency = "5ms", jitter = "500us" }, bugs = bugs,
                    broker = { ["flush.messages"] = 1, ["broker.session.timeout.ms"] = "1s",
                               ["broker.heartbeat.interval.ms"] = "250ms" } }
c:topic("t", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
-- Two producers: after a failover their retries reach the new leader in a new interleaving, so
-- the records at an offset differ between an old leader's log and the new leader's.
local writers = { c:producer("writer-a", { acks = "all" }), c:producer("writer-b", { acks = "all" }) }

at("1s", function()
  for _, w in ipairs(writers) do w:load { topic = "t", rate = 500, keys = 10, count = 6000 } end
end)

-- Three faults, each hitting a random partition's leader at a random moment of its 4 s window
-- for 1.5-3 s: a crash (then a restart), or an isolation from every other node (then a heal).
-- One broker out at a time.
for window = 0, 2 do
  local t = 1500 + window * 4000 + math.random(0, 1000)
  at(t .. "ms", function()
    local victim = c:leader("t", math.random(0, 1)) or math.random(1, 3)
    local outage = math.random(1500, 3000) .. "ms"
    if math.random() < 0.5 then
      c:crash(victim)
      after(outage, function() c:restart(victim) end)
    else
      c:isolate(victim)
      after(outage, function() c:heal() end)
    end
  end)
end
