-- Lesson: Spring Kafka's container ack modes side by side. Five groups read the same topic,
-- one per AckMode; each member dies right after handling its 300th record and restarts. Every
-- mode is at-least-once; they differ in how many commits they pay for and in how much comes
-- again after the crash.
scenario {
  name = "Spring Kafka ack modes compared: commits paid against records handled twice",
  description = [[A producer writes 3,000 records to `orders` (one partition). Five listener
containers read them, each its own group with another `AckMode`:

| group | ack mode | commits |
|---|---|---|
| `record` | RECORD | after each record |
| `batch` | BATCH (Spring's default) | after each poll's records |
| `time` | TIME, `ack_time = 1s` | after a poll once 1 s has passed |
| `count` | COUNT, `ack_count = 100` | after a poll once 100 records were handled |
| `manual` | MANUAL_IMMEDIATE | when the listener calls `ack.acknowledge()` (every record here) |

Each container's process dies right after its listener handled its 300th record, before that
record's commit, and restarts 3 s later.

**What you will see:** every group handles every record (at-least-once holds for all five).
The `note` lines at the end give each group's commits (`g:stats().commits`) and the records it
handled twice:
- RECORD pays a commit per record and handles one record twice: the one the crash interrupted
  between its processing and its commit. It is also the slowest to get through the 3,000
  records (the `processed` line in the report): each record waits for its commit's round trip.
- MANUAL_IMMEDIATE, acknowledging inside the listener, pays a commit per record too, and here
  repeats nothing: the acknowledgement had committed the record before the process died.
- BATCH commits once per poll (up to `max.poll.records`, 500) and repeats every record of the
  poll handled before the crash.
- TIME and COUNT commit when their time or count is reached, and repeat what was handled since.

**Why:** a commit covers what was handled before it; what was handled after the last commit
comes again. Fewer commits, more repeats.

**The fix:** none of these is exactly-once. Choose by cost (commits are requests to the group
coordinator) against what a repeat costs, and make the listener idempotent
(`scenarios/systems/bank_read_model.lua`) where a repeat matters.]],
  seed = 2,
  duration = "35s",
  drain = "10s",
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("orders", { partitions = 1, replication_factor = 3 })
local p = c:producer("shop", { acks = "all" })

local modes = {
  { id = "record", commit = "RECORD" },
  { id = "batch", commit = "BATCH" },
  { id = "time", commit = "TIME", ack_time = "1s" },
  { id = "count", commit = "COUNT", ack_count = 100 },
  { id = "manual", commit = "MANUAL_IMMEDIATE", ack = true },
}
local groups = {}
for _, m in ipairs(modes) do
  expect { group = m.id, delivery = "at-least-once" }
  groups[m.id] = c:group(m.id, {
    topics = { "orders" }, commit = m.commit, ack_time = m.ack_time, ack_count = m.ack_count,
    processing_time = "2ms", ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
    on_record = m.ack and function(rec, app) app:ack() end or function() end,
  })
end

at("500ms", function()
  for _, m in ipairs(modes) do groups[m.id]:member(1):crash_at({ point = "after-process", record = 300 }) end
end)
at("1s", function() p:load { topic = "orders", rate = 1000, count = 3000 } end)
local restarting = {}
every("100ms", function()
  for _, m in ipairs(modes) do
    local member = groups[m.id]:member(1)
    if member:state() == "crashed" and not restarting[m.id] then
      restarting[m.id] = true
      note(m.id .. " (" .. m.commit .. ") crashed after its 300th record; it restarts in 3 s")
      after("3s", function() member:restart() end)
    end
  end
end, { to = "10s" })

-- Records handled more than once, from what the group processed (every process of it).
local function twice(g)
  local seen, n = {}, 0
  for _, r in ipairs(g:processed()) do
    if seen[r.offset] then n = n + 1 end
    seen[r.offset] = true
  end
  return n
end

at("34s", function()
  local repeats = {}
  for _, m in ipairs(modes) do
    local g = groups[m.id]
    repeats[m.id] = twice(g)
    note(string.format("%-7s %-17s %5d commits, %4d records handled twice", m.id, m.commit, g:stats().commits, repeats[m.id]))
  end
  check("RECORD repeats only the record the crash interrupted", repeats.record == 1, repeats.record .. " repeated")
  check("MANUAL_IMMEDIATE repeats nothing: the listener's acknowledgement committed before the crash", repeats.manual == 0,
        repeats.manual .. " repeated")
  check("BATCH repeats the poll's records handled before the crash", repeats.batch > 1, repeats.batch .. " repeated")
  check("RECORD pays a commit per record, BATCH far fewer",
        groups.record:stats().commits >= 3000 and groups.batch:stats().commits < groups.record:stats().commits / 3,
        string.format("RECORD %d, BATCH %d", groups.record:stats().commits, groups.batch:stats().commits))
end)
