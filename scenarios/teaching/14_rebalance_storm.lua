-- Scaling a group out past its partition count leaves members idle, and every scaling step is
-- a rebalance. With Kafka's default assignor list the protocol is eager: every member gives up
-- every partition and waits inside poll() until the new assignment arrives, so repeated scaling
-- is a storm of stop-the-world pauses. Cooperative-sticky (KIP-429) moves only the partitions
-- that change owner; the others keep being consumed.
scenario {
  name = "Rebalance storm: eager range stops the world, cooperative-sticky does not",
  description = [[Two groups read the same 4-partition topic and an autoscaler scales both the same
way: 2 -> 6 -> 3 -> 5 -> 2 members. At 6 members, 2 are idle. The eager group (range, Kafka's
default) stops all consumption at every step; the cooperative group keeps unaffected partitions
going. The check compares the total time applications spent blocked in rebalances.

**What you will see:** the check compares the time applications spent blocked in rebalances
(`g:stats().blocked_ms`): far more for the eager group. In the report, every member of the
eager group stops at each scaling step.

**Why:** the eager protocol revokes every partition from every member before reassigning;
cooperative-sticky revokes only the partitions that move, in a second rebalance.

**The fix:** `partition.assignment.strategy = cooperative-sticky` (or the new consumer protocol,
KIP-848), no more members than partitions, and scale in steps.]],
  seed = 15,
  duration = "80s",
  kafka_version = "3.9",
}

-- Rebalances must not cost records: every record is processed, and no commit passes one that
-- was not (a member polling twice around a commit refused mid-rebalance once did exactly that).
expect { delivery = "at-least-once", no_anomalies = { "commit-past-unprocessed" } }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("metrics", { partitions = 4, replication_factor = 3 })
local p = c:producer("agents", {})
local options = function(strategy)
  return {
    members = 2, topics = { "metrics" }, commit = "after-process", ["auto.offset.reset"] = "earliest",
    ["partition.assignment.strategy"] = strategy, processing_time = "3ms", ["max.poll.records"] = 50,
  }
end
local eager = c:group("eager", options({ "range", "cooperative-sticky" }))  -- Kafka's default list: eager range
local coop = c:group("coop", options({ "cooperative-sticky" }))

at("1s", function() p:load { topic = "metrics", rate = 300, keys = 40 } end)

local function idle(g)
  local n = 0
  for _, tps in pairs(g:assignment()) do if #tps == 0 then n = n + 1 end end
  return n
end

for _, step in ipairs({ { 10, 6 }, { 25, 3 }, { 40, 5 }, { 55, 2 } }) do
  at(step[1] .. "s", function()
    note("the autoscaler scales both groups to " .. step[2] .. " members")
    eager:scale(step[2])
    coop:scale(step[2])
  end)
end

at("22s", function()
  check("with 6 members on 4 partitions, 2 are idle (eager)", idle(eager) == 2, idle(eager) .. " idle")
  check("with 6 members on 4 partitions, 2 are idle (cooperative)", idle(coop) == 2, idle(coop) .. " idle")
end)

at("79s", function()
  local e, k = eager:stats(), coop:stats()
  note(string.format("blocked in rebalances: eager %.0f ms, cooperative %.0f ms", e.blocked_ms, k.blocked_ms))
  check("eager rebalancing pauses consumption far longer", e.blocked_ms > 2 * k.blocked_ms,
        string.format("eager %.0f ms, cooperative %.0f ms blocked", e.blocked_ms, k.blocked_ms))
end)
