-- Spring Kafka's RECORD and BATCH ack modes under a crash between one record's processing and
-- its commit: a per-record crash point. RECORD commits after each record, so the crash
-- re-delivers that record alone; BATCH commits after each poll's records, so every record of
-- the poll processed before the crash comes again. Neither is exactly-once.
local mode = param("mode", "RECORD")

scenario {
  name = "RECORD vs BATCH: a crash after one record's processing",
  description = [[One listener (on_record) projects transfer events. Its process dies right after
handling its 200th record, before that record's commit, and restarts 5 s later. With
--set mode=RECORD (the default) exactly one record is handled twice; with --set mode=BATCH every
record of that poll handled before the crash is handled twice.]],
  seed = 7,
  duration = "30s",
  drain = "10s",
  kafka_version = "3.9",
}

expect { group = "projector", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("transfers", { partitions = 1, replication_factor = 3 })
local p = c:producer("bank", {})
local handled = {}  -- offset -> times handled, over every process of the member
local g = c:group("projector", {
  topics = { "transfers" }, commit = mode, processing_time = "5ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = function(rec, app)
    app.state.handled = (app.state.handled or 0) + 1
    handled[rec.offset] = (handled[rec.offset] or 0) + 1
  end,
})

at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 200 }) end)
at("1s", function() p:load { topic = "transfers", rate = 1000, count = 2000 } end)
at("6s", function()
  note("the member restarts")
  g:member(1):restart()
end)

at("29s", function()
  local twice, all = 0, 0
  for _, n in pairs(handled) do
    all = all + 1
    if n > 1 then twice = twice + 1 end
  end
  local detail = string.format("%d of %d records handled twice", twice, all)
  check("every record handled", all == 2000, detail)
  if mode == "RECORD" then
    check("RECORD re-delivers only the record it crashed on", twice == 1, detail)
  else
    check("BATCH re-delivers the poll's records handled before the crash", twice > 1, detail)
  end
end)
