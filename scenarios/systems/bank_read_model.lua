-- BankForge: a bank's CQRS read model. Transfer events (keyed by account, the value carrying an
-- event id and an amount) are projected by a consumer group's on_record handler into the
-- balances of a database, the store "read-model". A member crashes right after applying a
-- transfer, before its offset is committed; Kafka delivers what was not committed again.
-- Whether the balances come out right depends on the handler's writes, not on Kafka:
--   --set mode=plain       auto-commit and a plain increment: the redelivered transfers are
--                          applied twice (the default: the failure the other two prevent);
--   --set mode=idempotent  insert_if_absent(event id) then increment, in one store transaction:
--                          a redelivered transfer changes nothing;
--   --set mode=offset      the partition's next offset stored in the same transaction as the
--                          balance, and a seek to it when the partition is assigned: what was
--                          applied is not even delivered again.
local mode = param("mode", "plain")

scenario {
  name = "BankForge: a read model under redelivery",
  description = [[Group "projector" (two members, auto-commit every second) applies 400 transfers
to balances in store "read-model". Member 1 dies right after applying its 100th transfer and
restarts at 20 s; member 2 takes over its partitions from their last committed offsets.
mode=plain applies the redelivered transfers twice; mode=idempotent and mode=offset apply each
exactly once (mode=offset seeks to the offset stored with the balances when a partition is
assigned, so nothing is even delivered again).]],
  seed = 5,
  duration = "30s",
  drain = "5s",
  kafka_version = "3.9",
}

if mode == "plain" then
  -- A plain increment is at-least-once: every transfer is in the balances, some of them twice.
  expect { effects = "at-least-once", store = "read-model" }
  expect_anomaly "duplicate-effect"
elseif mode == "idempotent" or mode == "offset" then
  expect { effects = "exactly-once", store = "read-model" }
else
  error("mode: plain, idempotent or offset, not " .. tostring(mode))
end
-- Kafka's own delivery is at-least-once: the redelivery is what the store absorbs. The seek to
-- the stored offset delivers nothing twice.
expect { group = "projector", delivery = mode == "offset" and "exactly-once" or "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("transfers", { partitions = 2, replication_factor = 3 })
local db = c:store("read-model", { latency = "2ms" })
local bank = c:producer("bank", { acks = "all" })

-- The handler's writes, one store transaction per transfer.
local function apply(rec, app)
  local id, amount = rec.value:match("^(evt%-%d+):(%d+)$")
  amount = math.tointeger(tonumber(amount))
  local s = app:store("read-model")
  if mode == "plain" then
    s:increment("balance:" .. rec.key, amount)
  elseif mode == "idempotent" then
    -- PostgreSQL's INSERT ... ON CONFLICT DO NOTHING on the event id, then the balance.
    s:tx(function(t)
      if t:insert_if_absent("event:" .. id, rec.offset) then t:increment("balance:" .. rec.key, amount) end
    end)
  else
    -- KafkaConsumer's javadoc, "Storing Offsets Outside Kafka": the result and the next offset
    -- in one transaction; seek_to_stored (below) starts each assigned partition there.
    s:tx(function(t)
      t:increment("balance:" .. rec.key, amount)
      t:put("offset:" .. rec.topic .. "-" .. rec.partition, rec.offset + 1)
    end)
  end
end

-- ConsumerRebalanceListener.onPartitionsAssigned: each new partition's position is the next
-- offset the store holds for it, so the committed offset (behind it) is not used.
local function seek_to_stored(partitions, app)
  local s = app:store("read-model")
  for _, tp in ipairs(partitions) do
    local next_offset = tonumber(s:get("offset:" .. tp.topic .. "-" .. tp.partition))  -- a put stores text
    if next_offset then app:seek(tp.topic, tp.partition, next_offset) end
  end
end

local g = c:group("projector", {
  members = 2, topics = { "transfers" }, commit = "auto", processing_time = "1ms",
  ["auto.commit.interval.ms"] = 1000, ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = apply,
  on_assigned = mode == "offset" and seek_to_stored or nil,
})

-- 400 transfers among 7 accounts, 100 a second, once the group is consuming.
local n = 0
every("10ms", function()
  n = n + 1
  local account = "acct-" .. (n % 7 + 1)
  local amount = (n * 37) % 100 + 1
  bank:send("transfers", { key = account, value = string.format("evt-%d:%d", n, amount) })
end, { from = "7s", to = "10995ms" })

at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 100 }) end)
at("20s", function()
  note("member 1 restarts")
  g:member(1):restart()
end)

-- The balances in the store against the sum of the transfers acknowledged to the bank.
at("29s", function()
  local want = {}
  for _, r in ipairs(bank:acked()) do
    local amount = math.tointeger(tonumber(r.value:match(":(%d+)$")))
    want[r.key] = (want[r.key] or 0) + amount
  end
  local wrong, detail = 0, {}
  for account, sum in pairs(want) do
    local got = db:get("balance:" .. account)
    if got ~= sum then
      wrong = wrong + 1
      detail[#detail + 1] = string.format("%s %s (transfers sum to %d)", account, tostring(got), sum)
    end
  end
  local text = wrong == 0 and "every balance is the sum of its transfers" or table.concat(detail, ", ")
  check("400 transfers acknowledged", #bank:acked() == 400, #bank:acked() .. " acknowledged")
  if mode == "plain" then
    check("balances are wrong: transfers applied twice", wrong > 0, text)
  else
    check("balances equal the sums of the transfers", wrong == 0, text)
  end
  if mode == "offset" then
    local seen, again = {}, 0
    for _, r in ipairs(g:processed()) do
      local id = r.partition .. "@" .. r.offset
      if seen[id] then again = again + 1 end
      seen[id] = true
    end
    check("the seek to the stored offset: no transfer delivered again", again == 0, again .. " delivered again")
  end
end)
