-- Failure mode: with unclean.leader.election.enable=true, when every ISR member is down Kafka
-- elects any live replica, even one far behind. Records committed after it fell out of the ISR
-- are lost, and the returning ISR members truncate to the new leader's log.
local unclean = param("unclean", true)

scenario {
  name = "Unclean leader election loses committed data",
  description = [[Broker 3 crashes and leaves the ISR; writes continue on brokers 1 and 2 and are
committed. Then brokers 1 and 2 crash. Broker 3 returns: with unclean leader election it becomes
leader without the records committed while it was away.

**What you will see:** `lost-write`: the audit group reads records written after broker 3's
return but never the 20 seconds of acknowledged records before it; the explanation under the
verdict shows the unclean election (`controller.elect`, `election: unclean`) and the truncation
of brokers 1 and 2 to broker 3's log.

**Why:** `unclean.leader.election.enable=true` lets a replica outside the ISR lead when no ISR
member is alive. It never had what was committed while it was away, and the others truncate to
it when they return.

**The fix:** leave it at its default, false (`--set unclean=false`): the partition stays offline
until an ISR member returns, and nothing acknowledged is lost.]],
  seed = 6,
  duration = "80s",
  kafka_version = "3.9",
}

-- An auditor reads the topic from its start once every broker is back (below): acknowledged
-- records it never reads, though it reads records after them, are Jepsen's lost-write, and the
-- explanation under the verdict tells how they were lost.
if unclean then expect_anomaly "lost-write" else expect { lost_acked_writes = 0, no_anomalies = { "lost-write" } } end

local c = cluster {
  brokers = 3,
  network = { latency = "1ms" },
  broker = { ["unclean.leader.election.enable"] = unclean, ["flush.messages"] = 1 },
}
c:topic("audit", { partitions = 1, replicas = { { 1, 2, 3 } } })
local p = c:producer("auditor", { acks = "all", ["delivery.timeout.ms"] = "15s", ["request.timeout.ms"] = "5s" })

at("1s", function() p:load { topic = "audit", rate = 300, keys = 4 } end)
at("5s", function() note("broker 3 crashes") c:crash(3) end)
at("25s", function() note("brokers 1 and 2, the whole ISR, crash") c:crash(1) c:crash(2) end)
at("30s", function() note("broker 3 returns") c:restart(3) end)
at("50s", function()
  if unclean then
    check("the out-of-sync replica is elected", c:leader("audit", 0) == 3, "leader is " .. tostring(c:leader("audit", 0)))
  else
    check("no leader until an ISR member returns", c:leader("audit", 0) == nil, "leader is " .. tostring(c:leader("audit", 0)))
  end
  note("brokers 1 and 2 return")
  c:restart(1)
  c:restart(2)
end)

at("60s", function()
  note("an auditor reads audit-0 from the start")
  c:group("auditors", { members = 1, topics = { "audit" }, ["auto.offset.reset"] = "earliest" })
end)
