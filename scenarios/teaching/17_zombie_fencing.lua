-- A zombie transactional producer is fenced. A producer with transactional.id "payments-tx"
-- writes part of a transaction and freezes (a GC pause). Either a new instance with the same
-- transactional.id starts (InitProducerId: the coordinator bumps the epoch, aborting the open
-- transaction, TransactionCoordinator.handleInitProducerId) or, with --set how=timeout, the
-- transaction outlives transaction.timeout.ms and the coordinator aborts it at a bumped epoch
-- itself (abortTimedOutTransactions). The zombie then wakes and carries on: its late sends are
-- refused by the partition leader (INVALID_PRODUCER_EPOCH: the ABORT marker carried the newer
-- epoch, ProducerStateManager's checkProducerEpoch) and its commit by the coordinator
-- (PRODUCER_FENCED). None of its records is ever visible to a read_committed consumer.
--
-- The group-generation half of zombie fencing (KIP-447: an exactly_once_v2 member's stale
-- generation rejected at TxnOffsetCommit) is scenarios/teaching/16_exactly_once_pipeline.lua.
local how = param("how", "replace")
-- A bug switch to prove the check (docs/lua-reference.md): --set bugs=leader_accepts_fenced_epoch.
local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

scenario {
  name = "Transactions: a zombie producer is fenced and none of its records become visible",
  description = [[payments-tx writes three records of a transaction to payments-0 and is paused
for 8 s. A new instance with the same transactional.id starts and commits transactions of its
own (or, with --set how=timeout, the coordinator aborts the paused transaction after
transaction.timeout.ms, and the new instance starts later). The zombie wakes, sends three more records to payments-0 and commits:
the sends fail with INVALID_PRODUCER_EPOCH and the commit with PRODUCER_FENCED. A read_committed
auditor never reads a record of the zombie's transaction.

**What you will see:** the zombie's sends fail with `INVALID_PRODUCER_EPOCH` and its commit with
`PRODUCER_FENCED`; the read_committed auditor never reads its records.

**Why:** a new `initTransactions()` with the same transactional.id bumps the epoch and aborts the
open transaction; brokers refuse the older epoch.

**The fix:** this is the protection working: give each logical producer one stable
transactional.id, and treat `ProducerFencedException` as fatal (close the producer).]],
  seed = 1,
  duration = "20s",
  kafka_version = "3.9",
}

assert(how == "replace" or how == "timeout", "how: replace or timeout")

-- The fenced zombie's records never visible (sim/check/zombies.hpp), and exactly-once for the
-- read_committed auditor over what was committed.
expect { no_anomalies = { "fenced-zombie-read" } }
expect { no_anomalies = { "G1a" } }
expect { group = "auditors", delivery = "exactly-once", order = "per-partition" }

-- The coordinator looks for timed-out transactions every second (Kafka's default: 10 s).
-- With the leader's epoch check switched off by the bug, KIP-890's verification (on from 3.6)
-- still refuses the zombie's batch: the coordinator no longer has its epoch's transaction. The
-- bug's run turns verification off so that the epoch check is the only guard, as before 3.6.
local broker = { ["transaction.abort.timed.out.transaction.cleanup.interval.ms"] = "1s" }
for _, name in ipairs(bugs) do
  if name == "leader_accepts_fenced_epoch" then broker["transaction.partition.verification.enable"] = false end
end
local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "500us" }, bugs = bugs, broker = broker }
c:topic("payments", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
c:group("auditors", { members = 1, topics = { "payments" }, ["auto.offset.reset"] = "earliest",
                      ["isolation.level"] = "read_committed", commit = "after-process" })

local zombie = c:producer("payments-1", { ["transactional.id"] = "payments-tx", ["transaction.timeout.ms"] = "3s" })

at("1s", function()
  zombie:begin()
  for i = 1, 3 do zombie:send("payments", { key = "z", value = "zombie-early-" .. i }) end
end)
at("1500ms", function()
  note("payments-1 freezes mid-transaction (a GC pause) for 8 s")
  c:pause(zombie, "8s")
end)

-- The successor: a new instance with the same transactional.id. With how=replace it starts while
-- payments-1 is frozen, and its InitProducerId fences it; with how=timeout the coordinator has
-- already fenced payments-1 by then, and the successor starts once payments-1 gave up.
at(how == "replace" and "2500ms" or "11s", function()
  note("a new instance with transactional.id payments-tx starts" .. (how == "replace" and ": InitProducerId fences payments-1" or ""))
  local successor = c:producer("payments-2", { ["transactional.id"] = "payments-tx", ["transaction.timeout.ms"] = "3s" })
  local n = 0
  every("500ms", function()
    n = n + 1
    successor:begin()
    for i = 1, 2 do successor:send("payments", { key = "s", value = string.format("successor-%d-%d", n, i) }) end
    successor:commit()
  end, { to = "15s" })
end)

at("9600ms", function()
  note("payments-1 wakes and carries on with its transaction")
  for i = 1, 3 do zombie:send("payments", { key = "z", value = "zombie-late-" .. i }) end
  zombie:commit()
end)

at("14s", function()
  if #bugs > 0 then return end  -- a leader with a bug switch may take them
  local s = zombie:stats()
  check("the zombie's late sends failed", s.ok == 3 and s.failed + s.indefinite == 3,
        string.format("ok %d, failed %d, indefinite %d, errors %s", s.ok, s.failed, s.indefinite,
                      (function() local t = {} for k, v in pairs(s.errors) do t[#t + 1] = k .. "=" .. v end return table.concat(t, ",") end)()))
end)
