-- Failure mode: a zombie instance of a static member. A member with a group.instance.id stops in
-- a long GC pause; its orchestrator, seeing it unresponsive, starts a new instance with the same
-- group.instance.id. The coordinator gives the new instance the identity (a new member id, the
-- same assignment, no rebalance). When the old process wakes up it still believes it owns its
-- partitions: its next heartbeat, commit or JoinGroup names the instance id under the old member
-- id, and the coordinator answers FENCED_INSTANCE_ID (ClassicGroup.validateMember). The client
-- treats that as fatal (FencedInstanceIdException; Spring's container stops), so the zombie
-- processes nothing more and never takes its partitions back.
scenario {
  name = "A zombie static member is fenced when it wakes up",
  description = [[Three static members commit after processing. Member 2 pauses at 15 s (a GC
pause) and a new instance with its group.instance.id starts at 17 s: it takes member 2's place and
assignment without a rebalance. At 30 s the old process resumes; the coordinator fences it with
FENCED_INSTANCE_ID and its application stops. The new instance keeps the partitions: the
generation never changes, and the zombie processes nothing after it wakes.]],
  seed = 16,
  duration = "60s",
  drain = "20s",
  kafka_version = "3.9",
}

-- What the zombie was processing when it paused may be processed again by its replacement,
-- which starts from the last committed offsets: at-least-once, nothing lost.
expect { group = "indexers", delivery = "at-least-once", order = "per-key" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("events", { partitions = 6, replication_factor = 3 })
local p = c:producer("feed", {})
local g = c:group("indexers", {
  members = 3, static = true, topics = { "events" }, commit = "after-process",
  ["session.timeout.ms"] = "45s", ["auto.offset.reset"] = "earliest", processing_time = "5ms",
})

at("1s", function() p:load { topic = "events", rate = 200, keys = 30, count = 10000 } end)

local member = g:member(2)
local zombie
local generation
at("15s", function()
  generation = g:generation()
  note("indexers-2 stops in a GC pause")
  member:pause()
end)
at("17s", function()
  zombie = member:replace()
  note("a new instance, " .. member:name() .. ", starts with group.instance.id indexers-2; " .. zombie:name() ..
    " is still paused")
end)
local woke
at("30s", function()
  note(zombie:name() .. " wakes up: its next request names the instance id under its old member id")
  zombie:resume()
  woke = now()
end)

at("59s", function()
  local late = 0
  for _, r in ipairs(g:processed()) do
    -- The record its first poll on waking returned may finish; nothing after that.
    if r.member == zombie:name() and r.time > woke + 100 then late = late + 1 end
  end
  check("the zombie processed nothing after it woke", late == 0, late .. " records processed by the zombie after 30.1 s")
  local owners = g:assignment()
  check("the new instance holds member 2's partitions", owners[member:name()] ~= nil and #owners[member:name()] > 0,
    member:name() .. " holds " .. tostring(owners[member:name()] and #owners[member:name()] or 0) .. " partitions")
  check("no rebalance", g:generation() == generation, "generation " .. tostring(generation) .. " -> " .. tostring(g:generation()))
  local fenced = g:stats().fatal_errors.FENCED_INSTANCE_ID or 0
  check("the zombie was fenced", fenced == 1, fenced .. " members stopped by FENCED_INSTANCE_ID")
end)
