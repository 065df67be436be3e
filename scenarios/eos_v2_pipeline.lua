-- Consume-transform-produce with processing_guarantee = "exactly_once_v2" (KIP-447): each poll's
-- outputs and its input offsets commit in one transaction of the member's own producer. A member
-- crashes mid-transaction, and another is paused past its session timeout and comes back as a
-- zombie. read_committed readers downstream see every output exactly once; a read_uncommitted
-- reader sees the aborted outputs (G1a).

scenario {
  name = "Exactly-once v2: a consume-transform-produce pipeline through a crash and a zombie",
  description = [[An API writes 2,000 payments (100 per second) to `payments`. The group
`enricher` (two members) turns each into `e-<payment>` on `enriched`, with
processing_guarantee = "exactly_once_v2": each member's producer has its own transactional.id
(enricher-tx-0, enricher-tx-1), and each poll's sends and the offsets it consumed commit as one
transaction, with the member's group metadata.

At 8 s member 1 crashes with a transaction open; restarted 1 s later under the same
transactional.id, its InitProducerId bumps the epoch and the coordinator aborts the open
transaction. At 15 s member 2 pauses for 9 s, past its 6 s session timeout: the group moves its
partition to member 1. When it resumes it is a zombie: it finishes its poll and tries to commit,
and the group coordinator rejects its offsets (its generation is gone, KIP-447), so its
transaction aborts.

`audit` reads `enriched` with read_committed: every payment's output exactly once. `dirty`
reads with read_uncommitted: it sees the aborted outputs (G1a).]],
  seed = 1,
  duration = "30s",
  kafka_version = "3.9",
}

-- --set bugs=eos_group_metadata_follows_reset undoes KIP-447's fencing of the zombie.
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
  processing_guarantee = "exactly_once_v2",
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
