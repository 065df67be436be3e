-- Benchmark: kafkasim's half of the peer benchmark (tests/bench/peer_bench.cpp), the workload it
-- also runs on librdkafka's mock cluster: 3 brokers, one topic of 6 partitions with RF=3, an
-- acks=all producer with linger.ms=5 sending `records` records of 100 bytes over 1,000 keys at
-- `rate` records per simulated second, and one group member (auto.offset.reset=earliest, no
-- processing time) that reads every record back. Sequential (the default): the member starts
-- once every record is acknowledged. `overlap`: the member starts first, the load once it has
-- its partitions, and it reads while the producer sends.
--   build/tests/kafkasim_peer_bench                       (both systems, 100k and 1M records)
--   build/kafkasim run scenarios/bench/peer.lua --quiet --set records=1000000 [--set overlap=true]
local records = param("records", 100000)
local rate = param("rate", 50000)
local overlap = param("overlap", false)
if records < 1 or rate < 1 then error("records and rate must be at least 1") end

-- Producing starts at 2 s and takes records/rate simulated seconds; the group's join waits out
-- group.initial.rebalance.delay.ms (3 s). The margin is idle simulated time, which costs little
-- wall time.
local produce_ms = math.ceil(records * 1000 / rate)
local duration_ms = 2000 + produce_ms + 15000 + produce_ms // 2
scenario {
  name = "benchmark: the peer benchmark's workload",
  seed = 1,
  duration = duration_ms,
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "500us", jitter = "100us" } }
c:topic("bench", { partitions = 6, replication_factor = 3 })
local p = c:producer("bench-producer", { acks = "all", ["linger.ms"] = 5 })

local g
local load_started_at, produced_at, consumed_at
local function start_group()
  g = c:group("peer-bench", {
    members = 1, topics = { "bench" }, ["auto.offset.reset"] = "earliest", processing_time = "0us",
  })
end
local function start_load()
  load_started_at = now()
  p:load { topic = "bench", rate = rate, keys = 1000, value_size = 100, count = records }
end
local function assigned_partitions()
  local n = 0
  for _, partitions in pairs(g:assignment()) do n = n + #partitions end
  return n
end

-- Things start once the cluster has settled: a follower that fetched from a leader not yet
-- leading backs off for replica.fetch.backoff.ms (1 s), and acks=all waits for it. The mock's
-- cluster is ready when it is created.
local start_ms = 2000
at(start_ms, overlap and start_group or start_load)

every("10ms", function()
  if not load_started_at then
    if g and assigned_partitions() == 6 then start_load() end
    return
  end
  if not produced_at then
    local s = p:stats()
    if s.ok + s.failed < records then return end
    produced_at = now()
    if not g then start_group() end
  end
  if not consumed_at and g:stats().processed >= records then
    consumed_at = now()
    note(string.format("sent from %.3fs, all acknowledged at %.3fs, all read back at %.3fs", load_started_at / 1000,
                       produced_at / 1000, consumed_at / 1000))
  end
end)

at(duration_ms - 1, function()
  local s = p:stats()
  check("every record was acknowledged", s.ok == records, s.ok .. " ok")
  local read = g and g:stats().processed or 0
  check("every record was read back", read >= records, read .. " read")
end)
