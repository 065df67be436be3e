-- Failure mode: auto-commit commits, inside poll(), the positions of records returned by
-- earlier polls, every auto.commit.interval.ms. A member that crashes between processing
-- records and the next auto-commit has processed records its group never committed: the member
-- that takes over its partitions starts from the last commit and processes them again.
scenario {
  name = "Auto-commit redelivers records after a consumer crash",
  description = [[Two members consume with enable.auto.commit (every 5 s). Member 1 crashes;
after its session times out, member 2 takes its partitions and resumes from their last
committed offsets, processing again what member 1 had processed since.

**What you will see:** `expect delivery at-least-once` holds (nothing missed) and counts several
hundred records processed more than once; its explanation follows the first from its processing
through the crash to its second processing.

**Why:** auto-commit commits inside `poll()`, every `auto.commit.interval.ms`, what earlier polls
returned. What was processed since the last auto-commit is processed again by the member that
takes the partition over.

**The fix:** make processing idempotent, or commit more often (after each poll:
`commit = "after-process"`), which shrinks the window without closing it. Exactly-once needs
transactions (lesson 16) or an idempotent sink (lesson 19).]],
  seed = 8,
  duration = "60s",
  drain = "20s",
  kafka_version = "3.9",
}

-- Auto-commit promises at-least-once, and a crash shows the "at least": the delivery verdict
-- counts the records processed more than once. expect states guarantees, not their breach, so
-- the scenario checks itself that there were some: more records processed than acknowledged.
expect { group = "billing", delivery = "at-least-once", order = "per-key" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("orders", { partitions = 4, replication_factor = 3 })
local p = c:producer("shop", {})
local g = c:group("billing", {
  members = 2, topics = { "orders" }, commit = "auto",
  ["auto.commit.interval.ms"] = "5s", ["session.timeout.ms"] = "10s", ["auto.offset.reset"] = "earliest",
  processing_time = "2ms",
})

at("1s", function() p:load { topic = "orders", rate = 200, keys = 40, count = 8000 } end)
at("17500ms", function()
  note("member billing-1 crashes between auto-commits")
  g:member(1):crash()
end)
at("40s", function() g:member(1):restart() end)

at("59s", function()
  local processed, acknowledged = g:stats().processed, p:stats().ok
  check("records are processed twice", processed > acknowledged,
        processed .. " records processed for " .. acknowledged .. " acknowledged")
end)
