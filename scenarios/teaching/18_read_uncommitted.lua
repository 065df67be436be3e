-- Transactions and isolation levels: a transactional producer commits two transactions out of
-- three and aborts the third, after its records are already in the log. A read_committed group
-- never sees an aborted record; a read_uncommitted group does, which is Jepsen's G1a (aborted
-- read). A partition leader shuts down midway: markers and transactions carry on at the new leader.
scenario {
  name = "Transactions: read_committed skips aborted records, read_uncommitted reads them (G1a)",
  description = [[One producer with transactional.id "orders-tx" writes five records per
transaction to a two-partition topic, every 200 ms. Every third transaction is aborted 50 ms
after its records were sent, once they were appended to the partitions' logs. The coordinator
writes ABORT markers; consumers with isolation.level=read_committed drop the aborted records,
consumers with read_uncommitted return them. At 4 s the leader of orders-0 shuts down and restarts 3 s later.

**What you will see:** the read_uncommitted group reads aborted records (`G1a`); the
read_committed group never does.

**Why:** an aborted transaction's records stay in the log; only the ABORT marker says to skip
them, and only read_committed consumers honour it.

**The fix:** `isolation.level=read_committed` for every consumer of a transactional topic
(Kafka's default is read_uncommitted).]],
  seed = 1,
  duration = "12s",
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "3ms", jitter = "500us" } }
c:topic("orders", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })

local p = c:producer("orders-tx", { ["transactional.id"] = "orders-tx" })
c:group("committed-reader", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest",
                              ["isolation.level"] = "read_committed", commit = "after-process" })
c:group("dirty-reader", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest",
                          commit = "after-process" })

-- The read_committed group sees every committed record once and no aborted one; the
-- read_uncommitted group reads aborted records: G1a.
expect { group = "committed-reader", delivery = "exactly-once", order = "per-partition" }
expect_anomaly "G1a"

local n = 0
every("200ms", function()
  n = n + 1
  local txn = n
  p:begin()
  for i = 1, 5 do p:send("orders", { key = "k" .. i, value = string.format("t%d-%d", txn, i) }) end
  if txn % 3 == 0 then
    after("50ms", function() p:abort() end)
  else
    p:commit()
  end
end, { from = "1s", to = "9s" })

at("4s", function()
  local leader = c:leader("orders", 0)
  note("broker " .. leader .. ", the leader of orders-0, shuts down (controlled shutdown: its leaderships move)")
  c:shutdown(leader)
  after("3s", function() c:restart(leader) end)
end)
