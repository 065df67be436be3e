-- Benchmark: the broker benchmark (1,000,000 records of 100 bytes at 50,000/s, RF=3, acks=all,
-- 6 partitions) plus one group of 3 members consuming every record with after-process commits.
-- Target: under 15 s of wall time on one core. --set handler=true gives each member an on_record
-- handler (it counts records in app.state): the cost of running the application's Lua code.
--   build/kafkasim run scenarios/bench/group_1m.lua --quiet
scenario { name = "benchmark: 1M records produced and consumed by a group of 3", seed = 1, duration = "30s", kafka_version = "3.9" }

local c = cluster { brokers = 3, network = { latency = "500us", jitter = "100us" } }
c:topic("bench", { partitions = 6, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("bench-producer", { acks = "all" })
local options = {
  members = 3, topics = { "bench" }, commit = "after-process", ["auto.offset.reset"] = "earliest",
  processing_time = "10us",
}
if param("handler", false) then
  options.on_record = function(rec, app) app.state.n = (app.state.n or 0) + 1 end
end
local g = c:group("bench-group", options)

at("100ms", function() p:load { topic = "bench", rate = 50000, keys = 1000, value_size = 100, count = 1000000 } end)

at("29900ms", function()
  local s = p:stats()
  check("every record was acknowledged", s.ok == 1000000, s.ok .. " ok")
  check("every record was processed", g:stats().processed >= 1000000, g:stats().processed .. " processed")
end)
