-- CI gate: an exactly_once_v2 consume-transform-produce pipeline under faults. Members crash
-- and a broker is lost at random moments (seeded; scripts/test sweeps several). Whatever the
-- schedule, each input's output is committed exactly once, and read_committed readers never see
-- an aborted output or part of a transaction.
scenario {
  name = "Regression: an exactly_once_v2 pipeline under random member and broker crashes",
  description = [[The group `enricher` (two members, `processing_guarantee = "exactly_once_v2"`)
turns each payment on `payments` into an output on `enriched`: each poll's sends and the input
offsets they consumed commit as one transaction. A member crashes with a transaction open and
comes back; a broker crashes and restarts; a member pauses past its session timeout and resumes as
a zombie. (`--set bugs=eos_group_metadata_follows_reset` lets the zombie commit: a few seeds in
20 show its outputs twice.)

**What must hold, on every seed:** each payment the enricher committed past has its output
committed exactly once in `enriched` (`exactly_once`); `audit` (read_committed) reads every
output once and never an aborted one (G1a) nor part of a committed transaction
(torn-transaction).

**Why it holds:** a restarted member's producer keeps its transactional.id, so its
InitProducerId fences the old epoch and aborts the open transaction; the offsets it had
consumed were in that transaction, so its records are processed again into a new one. A zombie's
offsets carry its old generation, which the group coordinator refuses, so its transaction
aborts.]],
  seed = 1,
  duration = "32s",
  drain = "10s",
  kafka_version = "4.0",
}

-- --set bugs=NAME switches a bug class on (docs/lua-reference.md, "bugs"), to see this gate fail.
local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { exactly_once = { group = "enricher", input = "payments", output = "enriched" } }
expect { group = "audit", delivery = "exactly-once", no_anomalies = { "G1a", "torn-transaction", "replica-divergence" } }
expect { lost_acked_writes = 0 }

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "500us" }, bugs = bugs }
c:topic("payments", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
c:topic("enriched", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local api = c:producer("api", { acks = "all" })
-- Every output unique (the scenario's count), so an aborted attempt and its retry differ.
local sends = 0
local enricher = c:group("enricher", {
  members = 2, topics = { "payments" }, ["auto.offset.reset"] = "earliest",
  processing_guarantee = "exactly_once_v2",
  ["session.timeout.ms"] = 6000, ["heartbeat.interval.ms"] = 1000, processing_time = "3ms",
  on_record = function(rec, app)
    sends = sends + 1
    app:send("enriched", { key = rec.key, value = "e-" .. rec.value .. "#" .. sends })
  end,
})
c:group("audit", { members = 1, topics = { "enriched" }, ["auto.offset.reset"] = "earliest",
                   ["isolation.level"] = "read_committed", commit = "after-process" })

at("1s", function() api:load { topic = "payments", rate = 100, keys = 20, count = 2500 } end)

-- Three faults in windows of their own, each at a random moment of it, so the pipeline runs
-- between them: a member crash (back 1-2 s later), a broker crash (back 3 s later), and a
-- member paused past its session timeout, which resumes as a zombie whose offsets the group
-- coordinator must refuse (KIP-447).
at((7000 + math.random(0, 2000)) .. "ms", function()
  local m = enricher:member(math.random(1, 2))
  note(m:name() .. " crashes with a transaction open")
  m:crash()
  after(math.random(1000, 2000) .. "ms", function() m:restart() end)
end)
at((12000 + math.random(0, 3000)) .. "ms", function()
  local b = math.random(1, 3)
  note("broker " .. b .. " crashes")
  c:crash(b)
  after("3s", function() c:restart(b) end)
end)
at((19000 + math.random(0, 2000)) .. "ms", function()
  local m = enricher:member(math.random(1, 2))
  note(m:name() .. " pauses for 9 s, past its 6 s session timeout")
  m:pause("9s")
end)
