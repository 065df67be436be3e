-- Static membership (KIP-345): a member with a group.instance.id that restarts within
-- session.timeout.ms rejoins under the same identity and gets its old assignment back, with no
-- rebalance. Without it, every restart is a leave and a join: two rebalances.
local static = param("static", true)

scenario {
  name = "A static member restarts without a rebalance",
  description = [[Three members with group.instance.id. Member 2 crashes right after a commit and
restarts 5 s later, within its 30 s session timeout: the coordinator swaps in its new member id
and hands back its assignment. The generation does not change and nothing is processed twice.
Run with --set static=false to see the rebalances a dynamic member causes.

**What you will see:** no rebalance (the generation does not change) and nothing processed twice
(`expect delivery exactly-once` holds). With `--set static=false` the crash and the restart
each cause a rebalance.

**Why:** a static member (`group.instance.id`) keeps its identity across restarts: the
coordinator waits `session.timeout.ms` for it and, when it returns, swaps in its new member id.

**The fix:** static membership with a session timeout longer than a restart, for rolling
restarts and pod reschedules.]],
  seed = 12,
  duration = "60s",
  drain = "20s",
  kafka_version = "3.9",
}

-- Crashing right after a commit and returning without a rebalance: every record exactly once.
-- A dynamic member's restart rebalances the group, and nothing is missed.
if static then
  expect { group = "indexers", delivery = "exactly-once", order = "per-key" }
else
  expect { group = "indexers", delivery = "at-least-once" }
end

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("events", { partitions = 6, replication_factor = 3 })
local p = c:producer("feed", {})
local g = c:group("indexers", {
  members = 3, static = static, topics = { "events" }, commit = "after-process",
  ["session.timeout.ms"] = "30s", ["auto.offset.reset"] = "earliest", processing_time = "2ms",
})

at("1s", function() p:load { topic = "events", rate = 200, keys = 30, count = 8000 } end)
local generation
at("15s", function()
  generation = g:generation()
  note("member indexers-2 will crash right after its next commit")
  g:member(2):crash_at("after-commit")
end)
at("20s", function()
  note("member indexers-2 restarts")
  g:member(2):restart()
end)

at("59s", function()
  if static then
    check("no rebalance", g:generation() == generation, "generation " .. tostring(generation) .. " -> " .. tostring(g:generation()))
  else
    check("the restart rebalanced the group", g:generation() > generation, "generation " .. tostring(generation) .. " -> " .. tostring(g:generation()))
  end
end)
