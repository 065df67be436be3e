-- CI gate: the safe consumer. Commit after processing (commitSync after each poll's records),
-- while members crash and a broker is lost at random moments (seeded; scripts/test sweeps
-- several). Whatever the schedule, every acknowledged record is processed: at-least-once.
scenario {
  name = "Regression: commit after processing is at-least-once under random member and broker crashes",
  description = [[The consumer settings a platform team makes the default: auto-commit off,
`commitSync` after each poll's records have been processed. A group of three members reads
`events` (6 partitions) while two random members crash at random moments and come back 2-4 s
later, and one broker crashes and restarts.

**What must hold, on every seed:** every record the producer had acknowledged is processed by
the group (`delivery = "at-least-once"`), and no commit ever covers a record that was not yet
processed (`commit-past-unprocessed`). Records processed before a crash and not yet committed
are processed again: duplicates are allowed, losses are not.

**Why it holds:** the committed offset only moves past records whose processing finished, so
whichever member takes a partition over resumes at or before the first unprocessed record.
Compare `scenarios/teaching/09_commit_before_process.lua`, where the commit comes first. The
cluster runs Kafka 4.0, so that a broker's crash cannot lose acknowledged records under the
group (Kafka 3.9 can, `scenarios/teaching/05_kip966_last_replica_standing.lua`): this gate
judges the consumer alone.]],
  seed = 1,
  duration = "18s",
  drain = "10s",
  kafka_version = "4.0",
}

-- --set bugs=NAME switches a bug class on (docs/lua-reference.md, "bugs"), to see this gate fail.
local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { group = "workers", delivery = "at-least-once", no_anomalies = { "commit-past-unprocessed", "replica-divergence" } }

local c = cluster { brokers = 3, network = { latency = "1ms", jitter = "300us" }, bugs = bugs,
                    broker = { ["offsets.topic.num.partitions"] = 3 } }
c:topic("events", { partitions = 6, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("feed", { acks = "all" })
local g = c:group("workers", {
  members = 3, topics = { "events" }, commit = "after-process",
  ["session.timeout.ms"] = "6s", ["auto.offset.reset"] = "earliest", ["max.poll.records"] = 50,
  processing_time = "2ms",
})

at("1s", function() p:load { topic = "events", rate = 400, keys = 40, count = 5000 } end)

for window = 0, 1 do
  at((3000 + window * 6000 + math.random(0, 2000)) .. "ms", function()
    local m = g:member(math.random(1, 3))
    note(m:name() .. " crashes")
    m:crash()
    after(math.random(2000, 4000) .. "ms", function() m:restart() end)
  end)
end
at((4000 + math.random(0, 6000)) .. "ms", function()
  local b = math.random(1, 3)
  note("broker " .. b .. " crashes")
  c:crash(b)
  after("3s", function() c:restart(b) end)
end)
