-- The analytics loop: a consumer counts page views in its process's memory (app.state) and,
-- every simulated minute (app:every), publishes the counts to the topic "aggregates" with
-- app:send. The counts live only in memory between publications, so a crash loses or repeats
-- them, depending on when the offsets of the counted views are committed:
--   --set mode=auto           auto-commit every 5 s: views are committed long before their
--                             counts are published; a crash between two publications loses the
--                             counts of the views committed since the last one (the default);
--   --set mode=after-publish  the application commits right after each publication (and never
--                             otherwise): a crash after publishing and before that commit
--                             counts the minute's views again, and publishes them twice.
-- Neither is exactly-once: the counts (state), the aggregates (output) and the offsets (input)
-- are three writes with no transaction around them.
local mode = param("mode", "auto")

scenario {
  name = "Analytics: counts in memory, published every minute",
  description = [[Group "analytics" (one member) counts the 4,000 views of four pages in app.state
and publishes the counts to "aggregates" every minute. Its process crashes once and restarts at
160 s. mode=auto loses the counts of views committed but not yet published; mode=after-publish
crashes right after a publication, before its commit, and counts those views twice. mode=exactly_once_v2 makes the minute's aggregates and the offsets of the views they count one
transaction: the same crash aborts it, and every view is counted once. A final check compares
the counts a dashboard read from "aggregates" with the views produced.]],
  seed = 3,
  duration = "300s",
  drain = "5s",
  kafka_version = "3.9",
}

--   --set mode=exactly_once_v2  the same crash as after-publish, with the group's
--                             processing_guarantee = "exactly_once_v2": each minute's aggregates
--                             and the offsets of the views they count commit in one transaction
--                             (app:commit() after publishing ends it; commit_interval is an hour
--                             so nothing else does). The crash aborts the open transaction: the
--                             dashboard (read_committed) never sees its aggregates, and the
--                             restarted process counts those views again from the last commit,
--                             once. The counts in memory are safe because the offsets that say
--                             they were counted commit only with the aggregates that carry them.
local eos = mode == "exactly_once_v2"
if mode ~= "auto" and mode ~= "after-publish" and not eos then
  error("mode: auto, after-publish or exactly_once_v2, not " .. tostring(mode))
end

-- Kafka delivers every view at least once in both modes: what goes wrong is the application's.
expect { group = "analytics", delivery = "at-least-once" }
expect { group = "dashboard", delivery = "exactly-once" }

local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("views", { partitions = 2, replication_factor = 3 })
c:topic("aggregates", { partitions = 1, replication_factor = 3 })
local web = c:producer("web", { acks = "all" })

local crashed = false  -- the scenario's own memory: the after-publish crash happens once

-- Publishes the minute's counts: a fresh table takes the views counted meanwhile, each page's
-- count is sent and waited for (send().get()), and, in mode after-publish, the handler is asked
-- to commit what has been counted.
local function publish(app)
  local counts = app.state.counts or {}
  app.state.counts = {}
  app.state.published = (app.state.published or 0) + 1
  for page, n in pairs(counts) do
    -- "home=297@63143": the time makes each aggregate's value unique, as the checker needs.
    app:send("aggregates", { key = page, value = string.format("%s=%d@%d", page, n, math.floor(now())), sync = true })
  end
  if mode == "after-publish" or eos then
    if app.state.published == 2 and not crashed then
      crashed = true
      note("the process dies after publishing, before committing")
      app:crash()
    end
    if eos then
      app:commit()  -- ProcessorContext.commit(): the transaction (aggregates and offsets) ends next
    else
      app.state.commit_due = true  -- the consumer is the handler's thread's: it commits there
    end
  end
end

local analytics = {
  topics = { "views" }, processing_time = "1ms",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = function(rec, app)
    if app.state.commit_due then
      app.state.commit_due = nil
      app:commit()  -- the views counted before the publication (this one is not processed yet)
    end
    local counts = app.state.counts or {}
    app.state.counts = counts
    counts[rec.key] = (counts[rec.key] or 0) + 1
    app:every("1m", function() publish(app) end)
  end,
}
if eos then
  analytics.processing_guarantee = "exactly_once_v2"
  analytics.commit_interval = "1h"
else
  analytics.commit = mode == "auto" and "auto" or "MANUAL"
end
local g = c:group("analytics", analytics)

-- A dashboard reads the aggregates: what the business sees.
local shown = {}  -- page -> the views the aggregates it read count
c:group("dashboard", {
  topics = { "aggregates" }, commit = "after-process", processing_time = "1ms",
  ["isolation.level"] = "read_committed",
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = function(rec)
    shown[rec.key] = (shown[rec.key] or 0) + math.tointeger(tonumber(rec.value:match("=(%d+)@")))
  end,
})

at("1s", function()
  web:load { topic = "views", rate = 20, count = 4000, keys = { "home", "search", "item", "cart" } }
end)
if mode == "auto" then
  at("150s", function()
    note("the process dies between two publications")
    g:member(1):crash()
  end)
end
at("160s", function() g:member(1):restart() end)

-- What the dashboard shows against the views the web producer had acknowledged.
at("295s", function()
  local produced = {}
  local views, counted = 0, 0
  for _, r in ipairs(web:acked()) do
    produced[r.key] = (produced[r.key] or 0) + 1
    views = views + 1
  end
  local pages = {}
  for page, n in pairs(produced) do
    counted = counted + (shown[page] or 0)
    pages[#pages + 1] = string.format("%s %d of %d", page, shown[page] or 0, n)
  end
  local detail = string.format("%d views, %d counted in the aggregates (%s)", views, counted, table.concat(pages, ", "))
  check("4000 views acknowledged", views == 4000, views .. " acknowledged")
  if mode == "auto" then
    check("counts were lost: committed before they were published", counted < views, detail)
  elseif eos then
    check("every view counted once: the aggregates commit with the offsets", counted == views, detail)
  else
    check("views were counted twice: published, then crashed before the commit", counted > views, detail)
  end
end)
