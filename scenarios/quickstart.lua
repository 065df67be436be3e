-- Start here. Two applications write to the same Kafka cluster, one with acks=1 and one with
-- acks=all, while the leader of their partition crashes. Run it, then read the trace:
--   scripts/run scenarios/quickstart.lua --trace /tmp/quickstart.jsonl
-- Then take the lessons in scenarios/teaching/ in order (docs/teaching-guide.md).
scenario {
  name = "Quickstart: acks=1 loses acknowledged writes in a leader crash, acks=all does not",
  description = [[Three brokers, one topic with three replicas and min.insync.replicas=2. The
leader of orders-0 crashes while both producers are writing. acks=1 was acknowledged as soon as
the leader had the record, so what the followers had not yet fetched is lost; acks=all was
acknowledged only once the in-sync replicas had it, so nothing acknowledged is lost.]],
  seed = 7,
  duration = "40s",
  kafka_version = "3.9",
}

local c = cluster { brokers = 3, network = { latency = "3ms", jitter = "500us" } }
c:topic("orders", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })

local fast = c:producer("fast-writer", { acks = "1", ["enable.idempotence"] = false })
local safe = c:producer("safe-writer", { acks = "all" })

-- A reader of the topic: the acknowledged records it never sees, though it reads past them, are
-- Jepsen's lost-write. The why: under the verdict tells how one was lost, from the trace.
c:group("audit", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest" })
expect_anomaly "lost-write"
-- And what the acks=all writer had acknowledged is all in the replicas' final logs (ground truth,
-- limited to the records it sent): the lost writes were the acks=1 writer's.
expect { producer = "safe-writer", lost_acked_writes = 0 }

at("1s", function()
  fast:load { topic = "orders", rate = 1000, keys = 10, count = 10000 }
  safe:load { topic = "orders", rate = 1000, keys = 10, count = 10000 }
end)

at("5s", function()
  local leader = c:leader("orders", 0)
  note("broker " .. leader .. ", the leader of orders-0, crashes")
  c:crash(leader)
  after("15s", function()
    note("broker " .. leader .. " restarts and truncates its log to the new leader's")
    c:restart(leader)
  end)
end)
