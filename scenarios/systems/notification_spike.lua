-- System: an e-commerce notification service on sale day. Order events arrive at eight times
-- the usual rate for 20 s; the email consumer needs 20 ms a record. Two members fall behind and
-- the lag grows; an autoscaler (--set autoscale=true) adds members from the lag, the group
-- rebalances cooperatively and drains the backlog.
local autoscale = param("autoscale", false)

scenario {
  name = "Notification service under a sale-day spike: lag, autoscaling, drain",
  description = [[`shop` publishes order events to `order-events` (12 partitions): 50 a second,
then 400 a second from 10 s to 30 s (the sale), then 50 again. The group `email` sends one
email per event and needs 20 ms for it: two members handle 100 events a second.

**What you will see** (`--set autoscale=false`, the default): from 10 s the lag (`g:lag()`,
the `note` lines every 5 s) grows by about 300 events a second, to some 6,000 at the end of
the sale, and drains at only 50 a second afterwards: customers get their confirmation minutes
late. The check at 55 s says the backlog is still there.

With `--set autoscale=true`, a loop every 2 s reads the group's lag and calls `g:scale(n)`
(members up to one per partition, 12), as a Kubernetes autoscaler on consumer lag (KEDA) does.
The group rebalances with `cooperative-sticky`, so members keep their other partitions while
one moves; the backlog drains and the lag is back near zero well before 55 s. When the sale is
over it scales back down.

**Why:** a group's throughput is members × (1 / processing time), and at most one member per
partition. A slow consumer falls behind under a spike whatever Kafka does; the lag is the
signal to act on.

**The fix:** scale on lag (and have enough partitions to scale to), or make the processing
asynchronous. Every event is still emailed at least once either way (`delivery`).]],
  seed = 5,
  duration = "60s",
  drain = "60s",
  kafka_version = "3.9",
}

expect { group = "email", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" } }
c:topic("order-events", { partitions = 12, replication_factor = 3, ["min.insync.replicas"] = 2 })
local shop = c:producer("shop", { acks = "all" })
local g = c:group("email", {
  members = 2, topics = { "order-events" }, commit = "after-process", processing_time = "20ms",
  ["auto.offset.reset"] = "earliest", ["partition.assignment.strategy"] = "cooperative-sticky",
  ["max.poll.records"] = 50,
})

at("1s", function() shop:load { topic = "order-events", rate = 50, keys = 1000, count = 50 * 9 } end)
at("10s", function()
  note("the sale starts: 400 order events a second")
  shop:load { topic = "order-events", rate = 400, keys = 1000, count = 400 * 20 }
end)
at("30s", function()
  note("the sale ends")
  shop:load { topic = "order-events", rate = 50, keys = 1000, count = 50 * 30 }
end)

local function total_lag()
  local n = 0
  for _, lag in pairs(g:lag()) do n = n + lag end
  return n
end

every("5s", function() note(string.format("lag %d events, %d members", total_lag(), g:stats().members)) end, { to = "55s" })

if autoscale then
  -- One member per 200 events of lag, at least 2, at most one per partition.
  every("2s", function()
    local want = math.max(2, math.min(12, math.ceil(total_lag() / 200)))
    local have = g:stats().members
    if want ~= have then
      note(string.format("autoscaler: lag %d, %d -> %d members", total_lag(), have, want))
      g:scale(want)
    end
  end, { from = "5s", to = "55s" })
end

at("55s", function()
  local lag = total_lag()
  if autoscale then
    check("the autoscaled group has drained the sale's backlog", lag < 200, lag .. " events behind")
  else
    check("two members are still far behind after the sale", lag > 2000, lag .. " events behind")
  end
end)
