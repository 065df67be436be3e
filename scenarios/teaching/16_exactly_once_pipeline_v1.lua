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
require "lib.enricher_pipeline" ("exactly_once")
