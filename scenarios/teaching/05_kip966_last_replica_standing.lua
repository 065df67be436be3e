-- KIP-966's motivating case: partitions push two replicas out of the ISR one after the other,
-- leaving the leader as the last replica standing. It crashes and loses its unflushed page cache,
-- which held committed records (Kafka does not fsync). As the last ISR member it is elected again
-- when it returns, and the other replicas truncate to its shorter log: a local loss becomes global.
--
-- Run with --set elr=1 (Kafka 4.0's eligible leader replicas): the replica that left the ISR last,
-- while the ISR was at min.insync.replicas, is still a safe leader and is elected instead.
local elr = param("elr", 0)

scenario {
  name = "KIP-966: the last replica standing loses committed data in an unclean shutdown",
  description = [[RF=3, min.insync.replicas=2, acks=all. Broker partitions drop two followers
from the ISR in turn; the leader, alone in the ISR, crashes and loses what it had not flushed,
including committed records. It is the last ISR member, so it is elected again on return.

**What you will see:** `lost-write`: every acknowledged record is gone. The report shows the ISR
shrinking to broker 3, broker 3's crash (its unflushed page cache lost), and its re-election on
return with an empty log, to which brokers 1 and 2 truncate.

**Why:** Kafka does not fsync by default; it relies on replication. When the leader is the last
ISR member, a crash loses what it had not flushed, and as the only ISR member it is elected
again.

**The fix (KIP-966, Kafka 4.0):** eligible leader replicas: a replica that left the ISR while it
was at or below `min.insync.replicas` still holds everything committed, and a broker back from
an unclean shutdown leaves the ELR. `--set elr=1`: broker 2 is elected; nothing is lost.]],
  seed = 2,
  duration = "90s",
  kafka_version = elr == 1 and "4.0" or "3.9",
}

-- An auditor reads the topic from its start once the cluster is whole again (below): acknowledged
-- records it never reads, though it reads records after them, are Jepsen's lost-write, and the
-- explanation under the verdict tells how they were lost.
if elr == 1 then expect { lost_acked_writes = 0, no_anomalies = { "lost-write" } } else expect_anomaly "lost-write" end

local c = cluster {
  brokers = 3,
  network = { latency = "1ms" },
  broker = {
    ["replica.lag.time.max.ms"] = "4s",
    ["eligible.leader.replicas.version"] = elr,
  },
}
c:topic("accounts", { partitions = 1, replicas = { { 3, 2, 1 } }, ["min.insync.replicas"] = 2 })
local p = c:producer("accounts-api", { acks = "all", ["request.timeout.ms"] = "3s", ["delivery.timeout.ms"] = "10s" })

at("1s", function() p:load { topic = "accounts", rate = 500, keys = 10 } end)

at("10s", function()
  note("broker 1 is cut off from the other brokers (not from the controller): it leaves the ISR")
  c:partition({ 1 }, { 2, 3 })
end)
at("20s", function()
  note("broker 2 is cut off too: ISR = {3}, below min.insync.replicas, so the HW stops")
  c:partition({ 2 }, { 3 })
end)
at("30s", function()
  note("broker 3, the last replica standing, crashes and loses its unflushed page cache")
  c:crash(3)
end)
at("45s", function()
  note("the network heals and broker 3 returns")
  c:heal()
  c:restart(3)
end)

at("60s", function()
  note("broker " .. tostring(c:leader("accounts", 0)) .. " leads accounts-0; an auditor reads it from the start")
  c:group("audit", { members = 1, topics = { "accounts" }, ["auto.offset.reset"] = "earliest" })
end)
