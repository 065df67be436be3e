-- Lesson: acks=0, 1 and all under a leader crash. acks=1 acknowledges a write as soon as the
-- leader has it. If the leader dies before its followers fetch, the new leader never had the
-- write, and when the old leader returns it truncates its log to the new leader's: the
-- acknowledged write is gone everywhere. acks=0 does not even wait for the leader; acks=all
-- waits for the in-sync replicas.
scenario {
  name = "acks=0, 1 and all: what a leader crash loses",
  description = [[The producer `order-service` writes 20,000 records (2,000 a second) to
`orders-0`, replicated three times, with `acks=1` (the default here; `--set acks=0` or
`--set acks=all` for the others). Broker-to-broker links are slow (5 ms), so the followers are
always a few milliseconds behind the leader. At 6 s the leader crashes; a follower takes over;
at 25 s the old leader comes back and truncates its log to the new leader's.

**What you will see:**
- `acks=1`: the anomaly `lost-write`. The audit group reads past records the producer was told
  were written and never finds them; the explanation under the verdict walks through the crash,
  the election and the truncation that removed them.
- `acks=0`: records the producer counted as sent that are in no replica's log (the check at
  the end counts them). The producer counts a record sent as soon as it is on the wire, with no
  answer to wait for: what it sent towards the dead leader is gone, and it never knew. (The
  count here is an upper bound: kafkasim's connections have no connecting state, so the
  producer goes on sending into the dead connection until a new leader is elected, where Kafka
  would hold those records until it is; docs/fidelity.md, "A node is drained only once its
  connection is ready". What Kafka loses is what was on the wire when the leader died.)
- `acks=all`: nothing acknowledged is lost (`lost_acked_writes = 0`).

**Why:** an acknowledgement means what `acks` says: nothing (0), the leader's log (1), or every
in-sync replica's (all). Only the last survives the loss of the leader.

**The fix:** `acks=all` (Kafka's default since 3.0), with `min.insync.replicas=2` so that "every
in-sync replica" is never the leader alone (lesson 02).]],
  seed = 7,
  duration = "40s",
  kafka_version = "3.9",
}

local acks = param("acks", "1")

-- A reader that polls the topic from the start: Jepsen's lost-write is an acknowledged record it
-- never reads although it reads records after it. The explanation under the verdict tells how
-- the record was lost, from the trace.
-- acks=0 records carry no offset, so no reader can tell one is missing: the check at the end
-- looks for them in the replicas' logs instead.
if acks == "1" then
  expect_anomaly "lost-write"
elseif acks == "all" then
  expect { lost_acked_writes = 0, no_anomalies = { "lost-write" } }
elseif acks ~= "0" then
  error("acks: 0, 1 or all, not " .. acks)
end

local c = cluster { brokers = 3, network = { latency = "5ms", jitter = "500us" } }
c:topic("orders", { partitions = 1, replication_factor = 3 })
local p = c:producer("order-service", { acks = acks, ["enable.idempotence"] = false })
c:group("audit", { members = 1, topics = { "orders" }, ["auto.offset.reset"] = "earliest" })

at("2s", function() p:load { topic = "orders", rate = 2000, keys = 20, count = 20000 } end)

local victim
at("6s", function()
  victim = c:leader("orders", 0)
  note("broker " .. victim .. ", leader of orders-0, crashes; its followers are ~5 ms behind")
  c:crash(victim)
end)
at("25s", function()
  note("broker " .. victim .. " restarts and follows the new leader, truncating what it alone had")
  c:restart(victim)
end)

if acks == "0" then
  -- What the application counted as sent, against the final log of the partition's leader.
  at("39s", function()
    local leader = c:leader("orders", 0)
    local kept = {}
    for _, r in ipairs(c:log(leader, "orders", 0)) do kept[r.value] = true end
    local sent, missing = p:acked(), 0
    for _, r in ipairs(sent) do
      if not kept[r.value] then missing = missing + 1 end
    end
    note(string.format("acks=0: %d of %d records the producer counted as sent are in no log", missing, #sent))
    check("acks=0 loses records the application counted as sent", missing > 0,
          string.format("%d of %d missing from the leader's log", missing, #sent))
  end)
end
