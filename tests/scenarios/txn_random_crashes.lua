-- A standard fault scenario for transactions: a transactional producer writes five records per
-- transaction over two partitions, committing two transactions of three and aborting the third,
-- while a random broker crashes and comes back; a read_committed group reads them. No reader
-- may see part of a committed transaction (torn-transaction) or an aborted record (G1a). With a
-- client bug switched on (--set bugs=consumer_drops_txn_record) a reader tears transactions.
scenario {
  name = "transactions read_committed under random broker crashes",
  seed = 1,
  duration = "14s",
  drain = "10s",
  kafka_version = "3.9",
}

local bugs = {}
for name in string.gmatch(param("bugs", ""), "[^,]+") do bugs[#bugs + 1] = name end

expect { no_anomalies = { "torn-transaction", "G1a", "replica-divergence" } }
expect { group = "committed-reader", delivery = "at-least-once" }
expect { lost_acked_writes = 0 }

-- As in acks_all_random_crashes.lua: every append flushed and a 1 s broker session timeout, so
-- a crash loses no acknowledged record by itself (a broker back within the session timeout would
-- otherwise stay in the ISR with a shortened log: KIP-966's loss, Kafka's own).
local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "500us" }, bugs = bugs,
                    broker = { ["flush.messages"] = 1, ["broker.session.timeout.ms"] = "1s",
                               ["broker.heartbeat.interval.ms"] = "250ms" } }
c:topic("orders", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("orders-tx", { ["transactional.id"] = "orders-tx" })
c:group("committed-reader", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest",
                              ["isolation.level"] = "read_committed", commit = "after-process" })

local n = 0
every("150ms", function()
  n = n + 1
  local txn = n
  p:begin()
  for i = 1, 5 do p:send("orders", { key = "k" .. i, value = string.format("t%d-%d", txn, i) }) end
  if txn % 3 == 0 then
    after("40ms", function() p:abort() end)
  else
    p:commit()
  end
end, { from = "1s", to = "10s" })

-- One broker crashes at a random moment and restarts a few seconds later.
at(string.format("%dms", 3000 + math.random(0, 4000)), function()
  local b = math.random(1, 3)
  note("broker " .. b .. " crashes")
  c:crash(b)
  after("3s", function() c:restart(b) end)
end)
