-- System: an order service's fan-out. OrderPlaced events go to one topic; four services read
-- it, each in its own consumer group, so each gets every order. A broker crashes under load.
-- With acks=1 (--set acks=1) the orders acknowledged by the crashed leader alone are lost for
-- every service at once; with acks=all (the default) every service gets every order.
local acks = param("acks", "all")

scenario {
  name = "Order service fan-out: four groups, one broker crash, every group gets every order",
  description = [[`checkout` publishes OrderPlaced events to `orders` (6 partitions, replication
factor 3, `min.insync.replicas=2`). Four services subscribe, each its own consumer group
committing after processing: `inventory` (reserves stock), `payment` (charges the card),
`notification` (sends the confirmation) and `analytics` (counts sales). Each group gets every
order: groups do not share records, members of one group do.

At 8 s the broker leading `orders-0` crashes; it comes back 15 s later.

**What you will see:** with `acks=all` (the default) every group processes every order the
checkout was told was placed (`delivery = "at-least-once"` for each), and the report shows the
four groups catching up after the failover. With `--set acks=1` the orders the crashed leader
had acknowledged but not yet replicated are gone: `lost-write`, and no group ever sees them —
the customer was told the order was placed, and no service knows of it.

**Why:** the fan-out multiplies readers, not copies: each group reads the same log, so what the
log lost every group lost.

**The fix:** `acks=all` with `min.insync.replicas=2` on the producer that every service
depends on (lesson `scenarios/teaching/01_acks_leader_crash.lua`).]],
  seed = 3,
  duration = "35s",
  kafka_version = "3.9",
}

local services = { "inventory", "payment", "notification", "analytics" }
if acks == "1" then
  expect_anomaly "lost-write"
elseif acks == "all" then
  expect { lost_acked_writes = 0 }
  for _, s in ipairs(services) do expect { group = s, delivery = "at-least-once" } end
else
  error("acks: 1 or all, not " .. acks)
end

-- Slow links between brokers (5 ms): followers are always a little behind their leader.
local c = cluster { brokers = 3, network = { latency = "5ms", jitter = "500us" } }
c:topic("orders", { partitions = 6, replication_factor = 3, ["min.insync.replicas"] = 2 })
local checkout = c:producer("checkout", { acks = acks, ["enable.idempotence"] = acks == "all" })
local groups = {}
for i, s in ipairs(services) do
  groups[s] = c:group(s, {
    members = 2, topics = { "orders" }, commit = "after-process", ["auto.offset.reset"] = "earliest",
    processing_time = string.format("%dus", 200 * i),  -- each service at its own pace
  })
end

at("2s", function() checkout:load { topic = "orders", rate = 1000, keys = 500, count = 20000 } end)

local victim
at("8s", function()
  victim = c:leader("orders", 0)
  note("broker " .. victim .. ", leader of orders-0, crashes with orders in flight")
  c:crash(victim)
end)
at("23s", function()
  note("broker " .. victim .. " restarts")
  c:restart(victim)
end)
at("34s", function()
  for _, s in ipairs(services) do
    note(string.format("%-12s processed %d orders", s, groups[s]:stats().processed))
  end
end)
