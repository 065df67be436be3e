-- KIP-101, scenario 1: before leader epochs, a replica that became a follower truncated its
-- log to its own high watermark. A follower's HW lags the leader's by a fetch round trip, so it
-- can cut off records that are already committed; if the only other replica holding them dies
-- before the follower fetches them again, the follower is elected and the records are gone.
--
-- Run with --set ibp=3.9 (leader epochs, KIP-101/KIP-279 and the 2.7+ fetch protocol): the
-- follower keeps its log and nothing is lost.
local ibp = param("ibp", "0.10.2")

scenario {
  name = "KIP-101: truncating to the high watermark loses a committed write",
  description = [[Three brokers hold orders-0 with replicas [3, 2, 1]: broker 3 leads. Broker
3 shuts down cleanly, so leadership moves to broker 2 and broker 1 becomes its follower. Under
inter.broker.protocol.version 0.10.2 broker 1 first truncates to its own high watermark, which
is a fetch behind the leader's: committed records go. Broker 1's fetches to broker 2 are slow,
and broker 2 crashes before broker 1 has fetched them back. Broker 1 is elected, without them.

**What you will see:** `lost-write`: acknowledged records the audit group reads past and never
finds; in the trace, `log.truncate` with reason `truncate-to-high-watermark` on broker 1, then
broker 2's crash and broker 1's election.

**Why:** a follower learns the high watermark one fetch late, so truncating to its own HW can
drop records that are already committed, and the only other replica with them died.

**The fix (KIP-101, leader epochs):** a new follower asks the leader where its epoch ends
instead of trusting its own HW. `--set ibp=3.9` (the 2.7+ protocol): nothing is lost.]],
  seed = 5,
  duration = "60s",
  kafka_version = "3.9",
}

-- A reader of the topic from its start: an acknowledged record it never reads, though it reads
-- records after it, is Jepsen's lost-write; the explanation under the verdict tells how it went.
if ibp == "0.10.2" then expect_anomaly "lost-write" else expect { lost_acked_writes = 0, no_anomalies = { "lost-write" } } end

local c = cluster {
  brokers = 3,
  network = { latency = "2ms" },
  broker = { ["inter.broker.protocol.version"] = ibp, ["flush.messages"] = 1 },
}
c:topic("orders", { partitions = 1, replicas = { { 3, 2, 1 } } })
local p = c:producer("orders-api", { acks = "all", ["request.timeout.ms"] = "5s", ["delivery.timeout.ms"] = "20s" })
c:group("audit", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest" })

at("1s", function() p:load { topic = "orders", rate = 1000, keys = 10, count = 9000 } end)

at("10s", function()
  note("broker 1's requests to broker 2 slow to 200 ms; broker 3 (the leader) shuts down cleanly")
  c:slow_network { from = 1, to = 2, latency = "200ms", one_way = true }
  c:shutdown(3)
end)

at("10050ms", function()
  note("broker 2, the new leader, crashes before broker 1's first fetch reaches it")
  c:crash(2)
end)

at("30s", function()
  note("broker 1 leads now; brokers 2 and 3 come back as its followers")
  c:heal()
  c:restart(2)
  c:restart(3)
end)

at("59s", function()
  check("broker 1 leads", c:leader("orders", 0) == 1, "leader is " .. tostring(c:leader("orders", 0)))
end)
