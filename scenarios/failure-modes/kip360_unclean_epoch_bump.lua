-- KIP-360: an idempotent producer survives the loss of its own acknowledged records. An unclean
-- leader election gives a partition to a replica that never had the producer's latest batches;
-- the next batch's sequence number is then out of order at the new leader. Since Kafka 2.5 the
-- producer bumps its epoch itself (TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded),
-- starts the partition's sequences again at 0 and retries: the records the election dropped stay
-- lost, but no send fails. Before KIP-360 the batch failed with OutOfOrderSequenceException.
scenario {
  name = "KIP-360: an idempotent producer bumps its epoch after an unclean election",
  description = [[Broker 3 crashes and leaves the ISR of audit-0; an idempotent producer keeps
writing to brokers 1 and 2. Both crash; broker 3 returns and is elected uncleanly, without the
records written while it was away. The producer's next batch is out of sequence at broker 3:
the producer bumps its epoch, resets the partition's sequence to 0 and retries. Acknowledged
records are lost (the election's doing) but no send fails afterwards.]],
  seed = 3,
  duration = "70s",
  kafka_version = "3.9",
}

-- The election's loss: acknowledged records in no final log, and Jepsen's lost-write once an
-- auditor reads past them (and inconsistent-offsets: broker 3 reused the lost records' offsets).
-- What KIP-360 promises is that sends go on succeeding (checked below), with no record written
-- twice by the retries at the bumped epoch.
expect_anomaly "lost-write"
expect { no_anomalies = { "duplicate" } }

local c = cluster {
  brokers = 3,
  network = { latency = "1ms" },
  broker = { ["unclean.leader.election.enable"] = true, ["flush.messages"] = 1 },
}
c:topic("audit", { partitions = 1, replicas = { { 1, 2, 3 } } })
-- A long delivery.timeout.ms: the batches waiting out the outage are retried, not expired, so
-- every failure after the election would be the sequence's.
local p = c:producer("auditor", { acks = "all", ["delivery.timeout.ms"] = "120s", ["request.timeout.ms"] = "5s" })

at("1s", function() p:load { topic = "audit", rate = 200, keys = 4, count = 9000 } end)
at("5s", function() note("broker 3 crashes") c:crash(3) end)
at("20s", function() note("brokers 1 and 2, the whole ISR, crash") c:crash(1) c:crash(2) end)
at("22s", function() note("broker 3 returns: the only live replica, elected uncleanly") c:restart(3) end)
at("40s", function()
  check("the out-of-sync replica leads", c:leader("audit", 0) == 3, "leader is " .. tostring(c:leader("audit", 0)))
  note("brokers 1 and 2 return and truncate to broker 3's log")
  c:restart(1)
  c:restart(2)
end)
at("50s", function()
  local s = p:stats()
  check("no send failed: the producer bumped its epoch instead (KIP-360)", s.failed == 0 and s.indefinite == 0,
        string.format("sent %d, ok %d, failed %d, indefinite %d", s.sent, s.ok, s.failed, s.indefinite))
  note("an auditor reads audit-0 from the start")
  c:group("auditors", { members = 1, topics = { "audit" }, ["auto.offset.reset"] = "earliest" })
end)
