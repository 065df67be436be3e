-- CI gate: the safe producer. acks=all, enable.idempotence=true and min.insync.replicas=2, while
-- brokers crash and are cut off at random moments (seeded: every seed is another schedule, and
-- scripts/test sweeps several). Whatever the schedule, no acknowledged write may be lost,
-- written twice or reordered within its partition.
scenario {
  name = "Regression: acks=all + idempotence + min.insync.replicas=2 under random crashes and partitions",
  description = [[The settings a platform team makes the default for every producer, checked
under faults. Two producers write 6,000 keyed records each to `orders` (3 partitions,
replication factor 3, `min.insync.replicas=2`) with `acks=all` and `enable.idempotence=true`.
Every few seconds one broker, the leader of a random partition or any other, is crashed, shut
down or isolated from the rest for 1.5-3 s (one broker out at a time), then restarted or healed.

**What must hold, on every seed:** nothing acknowledged is lost (`lost_acked_writes = 0`, ground
truth from the replicas' final logs), nothing is written twice (`max_duplicates = 0`: the
idempotent producer's retries are recognised by their sequence numbers) and the reader `audit`
sees each partition in the order it was acknowledged.

**Why it holds:** acks=all answers only once the in-sync replicas have the record, and
min.insync.replicas=2 refuses writes that would be on one broker only. Kafka 4.0 removes a
broker that restarts after a crash from every ISR before it can lead again (its unflushed tail
may be gone), so a crash alone cannot lose what was acknowledged (Kafka 3.9 can: see
`scenarios/teaching/05_kip966_last_replica_standing.lua`).]],
  seed = 1,
  duration = "16s",
  drain = "8s",
  kafka_version = "4.0",
}

-- --set bugs=NAME switches a bug class on (docs/lua-reference.md, "bugs"), to see this gate fail.
local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { lost_acked_writes = 0, max_duplicates = 0, no_anomalies = { "replica-divergence", "lost-write" } }
expect { group = "audit", delivery = "at-least-once", order = "per-partition" }

local c = cluster { brokers = 3, network = { latency = "3ms", jitter = "1ms" }, bugs = bugs,
                    broker = { ["broker.session.timeout.ms"] = "2s", ["broker.heartbeat.interval.ms"] = "500ms" } }
c:topic("orders", { partitions = 3, replication_factor = 3, ["min.insync.replicas"] = 2 })
local safe = { acks = "all", ["enable.idempotence"] = true }
local writers = { c:producer("checkout", safe), c:producer("billing", safe) }
c:group("audit", { members = 1, topics = { "orders" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })

at("1s", function()
  for _, w in ipairs(writers) do w:load { topic = "orders", rate = 500, keys = 30, count = 6000 } end
end)

-- Three faults, one per 4 s window, each at a random moment of it.
for window = 0, 2 do
  at((1500 + window * 4000 + math.random(0, 1500)) .. "ms", function()
    local victim = c:leader("orders", math.random(0, 2)) or math.random(1, 3)
    local outage = math.random(1500, 3000) .. "ms"
    local fault = math.random(1, 3)
    if fault == 1 then
      note("broker " .. victim .. " crashes for " .. outage)
      c:crash(victim)
      after(outage, function() c:restart(victim) end)
    elseif fault == 2 then
      -- A controlled shutdown moves leadership at once: requests in flight are retried to the
      -- new leader, which must recognise what it already has by the sequence numbers.
      note("broker " .. victim .. " shuts down for " .. outage)
      c:shutdown(victim)
      after(outage, function() c:restart(victim) end)
    else
      note("broker " .. victim .. " is cut off for " .. outage)
      c:isolate(victim)
      after(outage, function() c:heal() end)
    end
  end)
end
