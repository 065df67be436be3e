-- Consume-transform-produce without transactions: a listener reads payments, app:send's an
-- enriched record for each to another topic with send().get(), and commits after processing.
-- Its process dies between an output and the commit of its input, and restarts: the inputs
-- since the last commit are delivered again and their outputs written again. The producer is
-- idempotent (Kafka's default since 3.0), which removes its own retries' duplicates, not a
-- second run's send: the end-to-end exactly-once check finds the duplicated output.
local crash = param("crash", "yes")

scenario {
  name = "Consume-transform-produce with idempotence only: a member crash duplicates output",
  description = [[Group "enricher" reads "payments" and, for each record, sends "enriched:<value>"
to "payments.enriched" and waits for the acknowledgement (sync), committing after each poll's
records are processed (after-process). With --set crash=yes (the default) the member's process
dies right after handling its 150th record, before that poll's commit, and restarts at 6 s:
the records of that poll are handled again and their outputs sent again. With --set crash=no the
same pipeline gives each input its output exactly once.]],
  seed = 3,
  duration = "20s",
  drain = "10s",
  kafka_version = "3.9",
}

local crashes = crash == "yes"
-- The pipeline's output once per input, committed no later than the input's offset.
if crashes then
  expect_anomaly "duplicated-output"
else
  expect { exactly_once = { group = "enricher", input = "payments", output = "payments.enriched" } }
end
expect { group = "enricher", delivery = "at-least-once" }

local c = cluster { brokers = 3, network = { latency = "1ms", jitter = "200us" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("payments", { partitions = 2, replication_factor = 3 })
c:topic("payments.enriched", { partitions = 2, replication_factor = 3 })
local p = c:producer("bank", {})
local g = c:group("enricher", {
  topics = { "payments" }, commit = "after-process", processing_time = "2ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s", ["max.poll.records"] = 50,
  on_record = function(rec, app)
    app:send("payments.enriched", { key = rec.key, value = "enriched:" .. rec.value, sync = true })
  end,
})

if crashes then
  at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 150 }) end)
  at("6s", function()
    note("the member restarts")
    g:member(1):restart()
  end)
end
at("1s", function() p:load { topic = "payments", rate = 500, count = 1000 } end)
