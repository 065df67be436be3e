-- An application replays a partition: KafkaConsumer.seek moves a member's position back, and
-- the records from there are fetched and processed again. Nothing is wrong with the group;
-- the replay is the application's choice, and what at-least-once allows. Jepsen's checker sees
-- a poll go back (nonmonotonic-poll), and its explanation names the seek.
scenario {
  name = "A member seeks back and replays a partition",
  description = [[Two members commit after processing. At 15 s member 1 seeks the first partition
it owns back to offset 0, as an application does to reprocess after fixing a bug: the records
up to its position are processed a second time, the commits move on from there, and no record
is missed. The history shows the member's poll going back (nonmonotonic-poll, explained by the
seek in between).]],
  seed = 15,
  duration = "40s",
  kafka_version = "3.9",
}

-- A replay processes records twice, which at-least-once allows; none is missed.
expect { group = "auditors", delivery = "at-least-once", order = "per-key" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 10 } }
c:topic("ledger", { partitions = 4, replication_factor = 3 })
local p = c:producer("bank", {})
local g = c:group("auditors", {
  members = 2, topics = { "ledger" }, commit = "after-process", ["auto.offset.reset"] = "earliest", processing_time = "2ms",
})

at("1s", function() p:load { topic = "ledger", rate = 200, keys = 20, count = 6000 } end)
local processed_before
at("15s", function()
  local owned = g:assignment()["auditors-1"]
  local partition = tonumber(owned[1]:match("-(%d+)$"))
  processed_before = g:stats().processed
  note("member auditors-1 seeks ledger-" .. partition .. " back to offset 0")
  g:member(1):seek("ledger", partition, 0)
end)

at("39s", function()
  local processed, acknowledged = g:stats().processed, p:stats().ok
  check("the replayed records are processed again", processed > acknowledged,
        processed .. " records processed for " .. acknowledged .. " acknowledged")
end)
