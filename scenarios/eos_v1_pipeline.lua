-- Consume-transform-produce with processing_guarantee = "exactly_once" (EOS v1, Kafka Streams'
-- "exactly_once" before 4.0): each input partition (task) has its own transactional producer,
-- <group>-tx-<topic>-<partition>, and its outputs and offsets commit in that producer's
-- transaction, with the group id only. A member crashes mid-transaction, and another is paused
-- past its session timeout and comes back as a zombie: the partition's new owner fenced the
-- zombie's task producer by the transactional.id's epoch, not by the group's generation.

scenario {
  name = "Exactly-once v1: a producer per input partition through a crash and a zombie",
  description = [[An API writes 2,000 payments (100 per second) to `payments`. The group
`enricher` (two members) turns each into `e-<payment>` on `enriched`, with
processing_guarantee = "exactly_once" (v1, deprecated by KIP-732 in 3.0, removed in 4.0): each
member makes a transactional producer for each input partition it is assigned, with the
partition's transactional.id (enricher-tx-payments-0, enricher-tx-payments-1), and each task's
sends and offsets commit in that producer's transaction. The offsets carry the group id only,
no generation: the group coordinator cannot tell a zombie.

At 8 s member 1 crashes with a transaction open. When its partition is assigned again, the new
owner's InitProducerId on the partition's transactional.id bumps the epoch and the coordinator
aborts the open transaction. At 15 s member 2 pauses for 9 s, past its 6 s session timeout: the
group moves its partition to member 1, whose new task producer fences member 2's. When member 2
resumes it is a zombie: it finishes its poll and tries to commit, and its producer is refused
(PRODUCER_FENCED), so its outputs never commit.

`audit` reads `enriched` with read_committed: every payment's output exactly once. `dirty`
reads with read_uncommitted: it sees the aborted outputs (G1a).]],
  seed = 1,
  duration = "30s",
  kafka_version = "3.9",
}

-- --set bugs=eos_v1_transactional_id_per_member puts the member in the task's transactional.id:
-- nothing fences the zombie.
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
  processing_guarantee = "exactly_once",
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
