-- Failure mode: a member stops for longer than session.timeout.ms (a GC pause, SIGSTOP). Its
-- heartbeats stop too, so the coordinator expires its session and gives its partitions to the
-- others. When the pause ends, the member's next heartbeat is answered UNKNOWN_MEMBER_ID: its
-- partitions are lost, not revoked (onPartitionsLost: too late to commit), and it rejoins as a
-- new member. Meanwhile it still processes the records its last poll returned, which the members
-- that took over have processed already.
local session_s = param("session_s", 10)

scenario {
  name = "A member paused past its session timeout loses its partitions and rejoins",
  description = [[Three members commit after processing. Member 2 pauses for 25 s, longer than its
10 s session timeout: the coordinator removes it and the other two take its partitions from the
last committed offsets. When it resumes, the coordinator no longer knows it: its rebalance
listener's onPartitionsLost runs, it finishes the batch it had (records already processed by
the others) and joins again under a new member id. Run with --set session_s=60 for a session
that outlasts the pause: no rebalance, and nothing is processed twice.]],
  seed = 14,
  duration = "70s",
  kafka_version = "3.9",
}

local expires = session_s < 25
-- After-process commits: what the paused member had not committed is processed again by the
-- members that take over, and nothing is missed. A session that outlasts the pause keeps the
-- member, and every record is processed once.
expect { group = "indexers", delivery = expires and "at-least-once" or "exactly-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("pages", { partitions = 6, replication_factor = 3 })
local p = c:producer("crawler", {})
local g = c:group("indexers", {
  members = 3, topics = { "pages" }, commit = "after-process",
  ["session.timeout.ms"] = session_s .. "s", ["heartbeat.interval.ms"] = "3s", ["auto.offset.reset"] = "earliest",
  processing_time = "2ms",
})

at("1s", function() p:load { topic = "pages", rate = 200, keys = 30, count = 10000 } end)
local generation
at("20s", function()
  generation = g:generation()
  note("member indexers-2 pauses for 25 s (a GC pause); its session timeout is " .. session_s .. " s")
  g:member(2):pause("25s")
end)

at("69s", function()
  local detail = "generation " .. tostring(generation) .. " -> " .. tostring(g:generation())
  if expires then
    -- One rebalance when the session expires, another when the member rejoins.
    check("the group rebalanced without the member and again when it rejoined", g:generation() >= generation + 2, detail)
  else
    check("no rebalance", g:generation() == generation, detail)
  end
  local members = 0
  for _ in pairs(g:assignment()) do members = members + 1 end
  check("all three members hold partitions", members == 3, members .. " members with an assignment")
end)
