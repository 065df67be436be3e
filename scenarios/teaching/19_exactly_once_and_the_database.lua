-- Lesson: what exactly-once does not cover. An exactly_once_v2 group makes its Kafka outputs and
-- its consumed offsets one transaction; a write to a database from the same handler is outside
-- that transaction. A crash after the database write and before the Kafka commit repeats it.
local fix = param("fix", false)

scenario {
  name = "Exactly-once stops at Kafka: a database write repeated after a crash",
  description = [[The group `billing` (`processing_guarantee = "exactly_once_v2"`) reads
`payments`; for each payment it adds the amount to the customer's balance in the database
`ledger` and sends a receipt to `receipts`. One member dies right after handling its 150th
payment, before its transaction commits, and restarts. (Transactions commit every 500 ms,
Kafka Streams' `commit.interval.ms`, so the one it dies in holds many payments.)

**What you will see:** the Kafka side holds: every payment's receipt is committed exactly once
(`expect exactly_once` held, and `audit` reads each receipt once with read_committed). The
database does not: the payments handled in the aborted transaction are handled again, and their
amounts are added to the balances a second time (`duplicate-effect`, with the runs that wrote
twice; the balances check fails).

**Why:** Kafka's transaction covers what Kafka stores: the receipts and the consumed offsets.
The aborted transaction removes the receipts (read_committed readers never see them) and the
offsets go back, so the payments come again, but nothing rolls back the database's committed
increments.

**The fix** (`--set fix=true`): make the effect idempotent in the database itself: record the
payment's id and apply the amount in one database transaction, only if the id is new (an
`INSERT ... ON CONFLICT DO NOTHING`). Then `expect effects = "exactly-once"` holds. (Storing the
consumed offset in the database with the balance, and seeking to it, is the other way:
`scenarios/systems/bank_read_model.lua --set mode=offset`.)]],
  seed = 4,
  duration = "20s",
  drain = "10s",
  kafka_version = "3.9",
}

expect { exactly_once = { group = "billing", input = "payments", output = "receipts" } }
expect { group = "audit", delivery = "exactly-once" }
if fix then
  expect { group = "billing", effects = "exactly-once", store = "ledger" }
else
  expect { group = "billing", effects = "at-least-once", store = "ledger" }
  expect_anomaly "duplicate-effect"
end

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("payments", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
c:topic("receipts", { partitions = 2, replication_factor = 3, ["min.insync.replicas"] = 2 })
local db = c:store("ledger", { latency = "2ms" })
local api = c:producer("api", { acks = "all" })

local receipts = 0  -- every receipt unique, so an aborted one and its retry differ
local g = c:group("billing", {
  members = 2, topics = { "payments" }, processing_guarantee = "exactly_once_v2", commit_interval = "500ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s", processing_time = "2ms",
  on_record = function(rec, app)
    local id, amount = rec.value:match("^(pay%-%d+):(%d+)$")
    amount = math.tointeger(tonumber(amount))
    local s = app:store("ledger")
    if fix then
      s:tx(function(t)
        if t:insert_if_absent("payment:" .. id, rec.offset) then t:increment("balance:" .. rec.key, amount) end
      end)
    else
      s:increment("balance:" .. rec.key, amount)
    end
    receipts = receipts + 1
    app:send("receipts", { key = rec.key, value = "receipt-" .. id .. "#" .. receipts })
  end,
})
c:group("audit", { members = 1, topics = { "receipts" }, ["auto.offset.reset"] = "earliest",
                   ["isolation.level"] = "read_committed", commit = "after-process" })

local n = 0
every("10ms", function()
  n = n + 1
  api:send("payments", { key = "cust-" .. (n % 5 + 1), value = string.format("pay-%d:%d", n, (n * 31) % 90 + 10) })
end, { from = "5s", to = "7995ms" })

at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 150 }) end)
at("10s", function()
  if g:member(1):state() ~= "running" then
    note("billing-1 died inside a transaction; it restarts: the transaction aborts, its payments come again")
    g:member(1):restart()
  end
end)

at("19s", function()
  local want = {}
  for _, r in ipairs(api:acked()) do
    want[r.key] = (want[r.key] or 0) + math.tointeger(tonumber(r.value:match(":(%d+)$")))
  end
  local wrong = {}
  for cust, sum in pairs(want) do
    local got = db:get("balance:" .. cust)
    if got ~= sum then wrong[#wrong + 1] = string.format("%s %s (payments sum to %d)", cust, tostring(got), sum) end
  end
  local detail = #wrong == 0 and "every balance is the sum of its payments" or table.concat(wrong, ", ")
  note("balances: " .. detail)
  if fix then
    check("balances equal the sums of the payments", #wrong == 0, detail)
  else
    check("balances are too high: payments applied twice", #wrong > 0, detail)
  end
end)
