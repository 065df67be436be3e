-- The group coordinator is the leader of the group's __consumer_offsets partition. When its
-- broker crashes, a follower of that partition becomes leader, loads the group's commits and
-- metadata from its log, and the members find it and carry on. Commits were written with
-- acks=all to a replicated topic, so none is lost.
scenario {
  name = "The group coordinator's broker crashes; the group carries on",
  description = [[Members commit after processing. The broker coordinating the group crashes; the
offsets partition fails over, the new coordinator loads the group, and the members rediscover
it. Committed offsets survive (the offsets topic has three replicas and commits wait for the
high watermark).]],
  seed = 13,
  duration = "60s",
  kafka_version = "3.9",
}

-- Members commit after processing, and the commits survive the failover: nothing is missed.
expect { group = "analytics", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("clicks", { partitions = 4, replication_factor = 3 })
local p = c:producer("web", {})
local g = c:group("analytics", {
  members = 2, topics = { "clicks" }, commit = "after-process", ["auto.offset.reset"] = "earliest", processing_time = "2ms",
})

at("1s", function() p:load { topic = "clicks", rate = 200, keys = 20, count = 9000 } end)
local coordinator, committed_before, processed_before
at("20s", function()
  -- The coordinator leads partition abs(hashCode("analytics")) % 10 of __consumer_offsets.
  committed_before = g:committed("clicks", 0)
  processed_before = g:stats().processed
  coordinator = c:leader("__consumer_offsets", kafka.coordinator_partition("analytics", 10))
  note("broker " .. coordinator .. ", the group's coordinator, crashes")
  c:crash(coordinator)
end)
at("45s", function() c:restart(coordinator) end)

at("59s", function()
  local now_coordinator = c:leader("__consumer_offsets", kafka.coordinator_partition("analytics", 10))
  check("another broker took over as coordinator", now_coordinator ~= nil, "coordinator is broker " .. tostring(now_coordinator))
  check("committed offsets survived", (g:committed("clicks", 0) or -1) >= (committed_before or 0),
        tostring(committed_before) .. " -> " .. tostring(g:committed("clicks", 0)))
  check("the group kept consuming", g:stats().processed > processed_before, processed_before .. " -> " .. g:stats().processed)
end)
