-- The hanging transaction (KIP-890): a transactional produce delayed on the network until after
-- its transaction was aborted reaches the partition leader after the ABORT marker. Before Kafka
-- 3.6 the leader appends it, and it opens a transaction that no marker will ever end: the last
-- stable offset stays there and read_committed consumers stall. From 3.6 the leader first asks
-- the coordinator whether the partition is in the producer's transaction; it is not, and the
-- late batch is refused. `--set version=3.9` runs the fixed Kafka.
local version = param("version", "3.5")

scenario {
  name = "Transactions: a late produce after an abort hangs the partition (KIP-890)",
  description = [[A transactional producer "payer-tx" sends one record to payments-0 at 1 s,
while its link to the partition's leader takes 10 s one way. Its request times out (request.timeout.ms
2 s), the send expires (delivery.timeout.ms 3 s), commitTransaction fails and the application aborts:
the coordinator writes the ABORT marker to payments-0 over a fast link, and the producer bumps its
epoch. At 11 s the first attempt of the produce arrives. Kafka ]] .. version .. [[: before 3.6 the
leader appends it and its transaction never ends, so the last stable offset stays below every
later record and the read_committed group "ledger" stalls; from 3.6 the leader verifies the batch
with the coordinator (AddPartitionsToTxn verifyOnly) and refuses it. A second producer writes
committed transactions to payments all along.]],
  seed = 1,
  duration = "40s",
  kafka_version = version,
}

local fixed = version ~= "3.5"
if fixed then
  expect { group = "ledger", delivery = "exactly-once", order = "per-partition" }
  expect { hanging_transactions = 0 }
else
  expect_anomaly "hanging-transaction"
end

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "200us" } }
c:topic("payments", { partitions = 1, replicas = { { 2, 1, 3 } } })

local late = c:producer("payer", { ["transactional.id"] = "payer-tx", ["request.timeout.ms"] = "2s",
                                   ["delivery.timeout.ms"] = "3s", ["linger.ms"] = 0 })
local steady = c:producer("steady", { ["transactional.id"] = "steady-tx" })
c:group("ledger", { members = 1, topics = { "payments" }, ["auto.offset.reset"] = "earliest",
                    ["isolation.level"] = "read_committed", commit = "after-process" })

at("1s", function()
  local coordinator = c:leader("__transaction_state", kafka.coordinator_partition("payer-tx", 50))
  check("payer-tx's coordinator is not payments-0's leader", coordinator ~= 2, "coordinator " .. tostring(coordinator))
  note("payer's link to broker 2, the leader of payments-0, now takes 10 s one way")
  c:slow_network { from = "payer", to = 2, latency = "10s", one_way = true }
  late:begin()
  late:send("payments", { value = "late-1" })
  late:commit()  -- fails once the send expires; the application then aborts
end)

at("6s", function()
  note("payer's link is fast again; the first attempt of its produce is still on the wire until 11 s")
  c:heal()
end)

local n = 0
every("500ms", function()
  n = n + 1
  steady:begin()
  steady:send("payments", { value = "steady-" .. n })
  steady:commit()
end, { from = "2s", to = "30s" })
