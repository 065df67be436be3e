-- The pipeline of 16_exactly_once_pipeline_v1.lua and 16_exactly_once_pipeline.lua, which differ only in the group's
-- processing_guarantee (and so in how Kafka fences the zombie): an API writes 2,000 payments,
-- the group enricher turns each into an output on enriched, one member crashes mid-transaction
-- at 8 s and another pauses past its session timeout at 15 s; audit reads read_committed,
-- dirty read_uncommitted. Each scenario declares itself (its description tells its lesson) and
-- then builds this.
return function(guarantee)
  local bugs = {}
  for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end
  local c = cluster { brokers = 3, network = { latency = "3ms", jitter = "500us" }, bugs = bugs }
  c:topic("payments", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
  c:topic("enriched", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })

  local api = c:producer("api", { acks = "all" })
  -- Each output carries a number no other send has (the scenario's own count, not the member's
  -- memory), as Jepsen's generator makes every value unique: an aborted attempt and its retry
  -- write different values, so the history checker can tell which one a reader saw.
  local sends = 0
  local enricher = c:group("enricher", {
    members = 2, topics = { "payments" }, ["auto.offset.reset"] = "earliest",
    processing_guarantee = guarantee,
    ["session.timeout.ms"] = 6000, ["heartbeat.interval.ms"] = 1000, processing_time = "5ms",
    on_record = function(rec, app)
      sends = sends + 1
      app:send("enriched", { key = rec.key, value = "e-" .. rec.value .. "#" .. sends })
    end,
  })
  c:group("audit", { members = 1, topics = { "enriched" }, ["auto.offset.reset"] = "earliest",
                     ["isolation.level"] = "read_committed", commit = "after-process" })
  c:group("dirty", { members = 1, topics = { "enriched" }, ["auto.offset.reset"] = "earliest",
                     commit = "after-process" })

  -- Every payment's output once, for a read_committed reader; aborted outputs for the other.
  expect { group = "audit", delivery = "exactly-once" }
  -- Each payment's output committed exactly once, with the offsets that consumed it.
  expect { exactly_once = { group = "enricher", input = "payments", output = "enriched" } }
  expect_anomaly "G1a"

  api:load { topic = "payments", rate = 100, count = 2000 }

  at("8s", function()
    note("enricher-1 crashes with a transaction open")
    enricher:member(1):crash()
    after("1s", function() enricher:member(1):restart() end)
  end)
  at("15s", function()
    note("enricher-2 pauses for 9 s, past its session timeout: its partition moves to enricher-1")
    enricher:member(2):pause("9s")
  end)
end
