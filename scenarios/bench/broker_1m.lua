-- Benchmark: 1,000,000 records of 100 bytes at 50,000 records/s of simulated time into a
-- 3-broker cluster (RF=3, acks=all, 6 partitions). Target: under 10 s of wall time on one core.
--   build/kafkasim run scenarios/bench/broker_1m.lua --quiet
scenario { name = "benchmark: 1M records, RF=3, acks=all", seed = 1, duration = "25s", kafka_version = "3.9" }

local c = cluster { brokers = 3, network = { latency = "500us", jitter = "100us" } }
c:topic("bench", { partitions = 6, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("bench-producer", { acks = "all" })

at("100ms", function() p:load { topic = "bench", rate = 50000, keys = 1000, value_size = 100, count = 1000000 } end)

at("24900ms", function()
  local s = p:stats()
  check("every record was acknowledged", s.ok == 1000000, s.ok .. " ok, " .. s.failed .. " failed, " .. s.indefinite .. " indefinite")
end)
