-- Lesson: send().get() versus send() with a callback. The same producer settings, the same
-- cluster: one application waits for each record's acknowledgement before sending the next,
-- the other does not. Their latency per record is alike; their throughput is not.
local threads = param("threads", 1)

scenario {
  name = "Sync vs async send: send().get() caps throughput at threads / latency",
  description = [[Two applications write to `events` with the same producer settings
(`acks=all`, idempotence on, `linger.ms=5`), each asked for 2,000 records a second for 10 s.

- `sync-sender` calls `send(record).get()`: each of its application threads (`--set threads=N`,
  default 1) waits for a record's acknowledgement before sending the next.
- `async-sender` calls `send(record, callback)` and goes on: the producer batches records
  and keeps up to five requests in flight per broker.

**What you will see:** at the end (`note` lines, and the checks in the report) the async
sender was acknowledged for about 20,000 records, the sync sender for a small fraction of
that. Their latencies (`p:stats().latency_ms`, from `send()` to the acknowledgement) are of the
same order: a few round trips, leader then followers.

**Why:** an acks=all acknowledgement takes the leader's append plus the followers' next fetch.
A thread that waits for it can send at most 1 / latency records a second, whatever the
cluster could take; and each of its records waits out `linger.ms` alone, since no other record
can join its batch. The async sender pays the same latency per record, but with many records
in flight at once.

**The fix:** send asynchronously and handle the outcome in the callback (or collect the
futures and wait for a batch of them); use `send().get()` only where the next step must know
the record is written, and then with as many threads as the rate needs
(`--set threads=20` brings the sync sender close).]],
  seed = 3,
  duration = "12s",
  kafka_version = "3.9",
}

-- Neither application loses what was acknowledged: this lesson is about time, not safety.
expect { producer = "sync-sender", lost_acked_writes = 0 }
expect { producer = "async-sender", lost_acked_writes = 0 }

local c = cluster { brokers = 3, network = { latency = "2ms", jitter = "300us" } }
c:topic("events", { partitions = 3, replication_factor = 3, ["min.insync.replicas"] = 2 })
local config = { acks = "all", ["enable.idempotence"] = true, ["linger.ms"] = 5 }
local sync = c:producer("sync-sender", config)
local async = c:producer("async-sender", config)

at("1s", function()
  note("both applications start: 2,000 records/s asked of each, for 10 s")
  sync:load { topic = "events", rate = 2000, count = 20000, keys = 100, sync = true, threads = threads }
  async:load { topic = "events", rate = 2000, count = 20000, keys = 100 }
end)

local function describe(name, s)
  local l = s.latency_ms
  return string.format("%s: %d acknowledged in 10 s (%.0f/s); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                       name, s.ok, s.ok / 10, l.p50 or 0, l.p99 or 0, l.max or 0)
end

at("11s", function()
  local s, a = sync:stats(), async:stats()
  note(describe("sync-sender", s))
  note(describe("async-sender", a))
  check("the async sender keeps up with the rate asked", a.ok >= 19000, describe("async-sender", a))
  -- One thread can have one record in flight: it sends at most 1 / latency per second.
  local bound = threads * 10000 / s.latency_ms.p50
  check("send().get() is capped at threads / latency", s.ok <= bound * 1.5,
        string.format("%d acknowledged; %d threads / p50 %.1f ms allows about %.0f in 10 s", s.ok, threads, s.latency_ms.p50, bound))
  if threads == 1 then
    check("one waiting thread sends a small fraction of the async sender's records", s.ok * 5 < a.ok,
          string.format("%d against %d", s.ok, a.ok))
  end
end)
