-- Failure mode: a member that takes longer than max.poll.interval.ms between polls is considered
-- stuck. Its heartbeat thread sends LeaveGroup; the group rebalances and another member takes
-- its partitions from the last committed offsets, so the slow member's uncommitted batch is
-- processed again. When the slow member finally commits, the commit is fenced: it is no longer
-- in the group's generation.
scenario {
  name = "A slow consumer is removed from the group and its late commit is fenced",
  description = [[Member 1 becomes slow: a batch of 100 records at 150 ms each takes 15 s, longer
than max.poll.interval.ms (10 s). It leaves the group from its heartbeat thread; member 2 takes
over its partitions and reprocesses the batch; member 1's commit after the batch fails with
CommitFailedException: it is no longer a member of the group's generation.

**What you will see:** member 1 leaves the group from its heartbeat thread when
`max.poll.interval.ms` passes, member 2 reprocesses the batch, and member 1's commit after the
batch fails (`g:stats().commits_failed`, `commit_errors`: CommitFailedException).

**Why:** `max.poll.interval.ms` bounds the time between polls; a batch that takes longer counts
as a dead application, whatever the heartbeats say.

**The fix:** fewer records per poll (`max.poll.records`), a larger `max.poll.interval.ms`, or
faster (or asynchronous) processing.]],
  seed = 10,
  duration = "90s",
  kafka_version = "3.9",
}

-- After-process commits promise at-least-once: the slow member's batch is processed again, and
-- nothing is missed. The delivery verdict counts the records processed more than once; expect
-- states guarantees, not their breach, so that there were some is the scenario's own check.
expect { group = "workers", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("tasks", { partitions = 4, replication_factor = 3 })
local p = c:producer("scheduler", {})
local g = c:group("workers", {
  members = 2, topics = { "tasks" }, commit = "after-process",
  ["max.poll.interval.ms"] = "10s", ["max.poll.records"] = 100, ["auto.offset.reset"] = "earliest",
  processing_time = "5ms",
})

at("1s", function() p:load { topic = "tasks", rate = 100, keys = 20, count = 6000 } end)
at("10s", function()
  note("member workers-1 slows down: 150 ms per record")
  g:member(1):slow("150ms")
end)
at("40s", function()
  note("member workers-1 is fast again")
  g:member(1):slow("5ms")
end)

at("89s", function()
  local s = g:stats()
  local fenced = 0
  for err, n in pairs(s.commit_errors) do
    if err:match("UNKNOWN_MEMBER_ID") or err:match("ILLEGAL_GENERATION") or err:match("COMMIT_FAILED") then fenced = fenced + n end
  end
  check("the slow member's late commit is fenced", fenced > 0, fenced .. " fenced commits")
  local processed, acknowledged = s.processed, p:stats().ok
  check("its uncommitted records are processed again", processed > acknowledged,
        processed .. " records processed for " .. acknowledged .. " acknowledged")
end)
