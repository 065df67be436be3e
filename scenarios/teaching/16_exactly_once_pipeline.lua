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
reads with read_uncommitted: it sees the aborted outputs (G1a).

**What you will see:** `expect exactly_once` and `audit`'s exactly-once delivery hold;
`dirty` shows `G1a` (aborted reads).

**Why:** the outputs and the consumed offsets commit in one transaction, fenced by the
transactional.id's epoch and, for a zombie, by the group generation (KIP-447).

**The fix:** the lesson is the fix; readers must use `isolation.level=read_committed`. What this
does not cover is lesson 19.]],
  seed = 1,
  duration = "30s",
  kafka_version = "3.9",
}

-- --set bugs=eos_group_metadata_follows_reset undoes KIP-447's fencing of the zombie.
require "lib.enricher_pipeline" ("exactly_once_v2")
