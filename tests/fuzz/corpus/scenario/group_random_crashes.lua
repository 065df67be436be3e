-- A standard fault scenario for consumer bugs: a group of three members with Kafka's
-- auto-commit consumes while members crash at random moments and come back. Auto-commit promises
-- at-least-once: every acknowledged record is processed, some twice. With the model correct that
-- holds whatever the seed; with a client bug switched on (--set bugs=consumer_commits_fetched)
-- some seed skips records. Kept short: tests sweep it.
scenario {
  name = "an auto-commit group under random member crashes",
  seed = 1,
  duration = "18s",
  drain = "10s",
  kafka_version = "3.9",
}

local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { group = "readers", delivery = "at-least-once", no_anomalies = { "replica-divergence", "commit-past-unprocessed" } }

local c = cluster { brokers = 3, network = { latency = "1ms", jitter = "200us" }, bugs = bugs,
                    broker = { ["offsets.topic.num.partitions"] = 3 } }
c:topic("events", { partitions = 4, replication_factor = 3 })
local p = c:producer("feed", { acks = "all" })
local g = c:group("readers", {
  members = 3, topics = { "events" }, commit = "auto",
  ["auto.commit.interval.ms"] = "1s", ["session.timeout.ms"] = "6s", ["auto.offset.reset"] = "earliest",
  ["max.poll.records"] = 50, processing_time = "3ms",
})

at("1s", function() p:load { topic = "events", rate = 400, keys = 20, count = 4000 } end)

-- Two crashes of a random member at a random moment of their windows, back 2-4 s later.
for window = 0, 1 do
  local t = 3000 + window * 6000 + math.random(0, 2000)
  at(t .. "ms", function()
    local m = g:member(math.random(1, 3))
    m:crash()
    after(math.random(2000, 4000) .. "ms", function() m:restart() end)
  end)
end
