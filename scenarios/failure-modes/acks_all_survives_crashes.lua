-- Guarantee: with acks=all, replication factor 3 and min.insync.replicas=2, a write is
-- acknowledged only once every in-sync replica has it, so losing one broker at a time never
-- loses an acknowledged write.
scenario {
  name = "acks=all with min.insync.replicas=2 survives one broker crash at a time",
  description = [[Every broker crashes in turn (losing its unflushed page cache), each time
restarting before the next one crashes. Leadership moves, followers truncate and catch up,
and every acknowledged record is still in the log at the end.]],
  seed = 3,
  duration = "90s",
  kafka_version = "3.9",
}

-- Ground truth: every acknowledged record is in some replica's final log.
expect { lost_acked_writes = 0 }

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "300us" } }
c:topic("payments", { partitions = 3, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("payments-api", { acks = "all" })

at("2s", function() p:load { topic = "payments", rate = 1000, keys = 30, count = 60000 } end)

for i, t in ipairs({ 10, 30, 50 }) do
  at(t .. "s", function()
    local victim = c:leader("payments", (i - 1) % 3) or i
    note("broker " .. victim .. " crashes")
    c:crash(victim)
    after("8s", function()
      note("broker " .. victim .. " restarts")
      c:restart(victim)
    end)
  end)
end

at("89s", function()
  local s = p:stats()
  check("the load was acknowledged", s.ok > 50000, s.ok .. " acknowledged, " .. s.failed .. " failed, " .. s.indefinite .. " indefinite")
end)
