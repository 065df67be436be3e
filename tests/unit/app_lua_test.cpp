// The application's code in Lua: on_record / on_batch, rec's fields, app.state, app:commit,
// app:commit_async, app:ack, app:every, app:crash, app:store, per-record crash_at, and the
// sandbox's limits around handlers.
#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {

// A cluster with one topic of one partition, six records produced at 1 s, and the group
// `options` (Lua table fields) reading it; `body` runs after.
std::string scenario(const std::string& options, const std::string& body, const std::string& duration = "10s") {
  return R"(
scenario { name = "app", duration = ")" + duration + R"(" }
local c = cluster { brokers = 1, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("t", { partitions = 1, replication_factor = 1 })
local p = c:producer("feed", {})
at("1s", function() for i = 1, 6 do p:send("t", { key = "k" .. i, value = "v" .. i }) end end)
local g = c:group("g", { topics = { "t" }, ["auto.offset.reset"] = "earliest", processing_time = "1ms",
  ["session.timeout.ms"] = "6s", )" +
         options + R"( })
)" + body;
}

void expect_all_held(const sim::lua::RunResult& r, size_t count) {
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.checks.size(), count);
}

}  // namespace

TEST(AppLua, OnRecordSeesEachRecordAndKeepsStateInTheProcess) {
  auto r = run_text("on_record.lua", scenario(R"(
  on_record = function(rec, app)
    app.state.n = (app.state.n or 0) + 1
    seen[#seen + 1] = { topic = rec.topic, partition = rec.partition, offset = rec.offset, key = rec.key,
                        value = rec.value, headers = rec.headers, ts = rec.timestamp, n = app.state.n }
  end,)", R"(
at("5s", function()
  check("six records", #seen == 6)
  check("fields", seen[3].topic == "t" and seen[3].partition == 0 and seen[3].offset == 2 and seen[3].key == "k3"
        and seen[3].value == "v3" and type(seen[3].headers) == "table" and seen[3].ts > 0)
  check("app.state lives in the process", seen[6].n == 6)
end)
)").insert(0, "seen = {}\n"));
  expect_all_held(r, 3);
}

TEST(AppLua, AppStateIsLostWithACrash) {
  auto r = run_text("state_crash.lua", scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    app.state.n = (app.state.n or 0) + 1
    counts[#counts + 1] = app.state.n
    if rec.offset == 2 and not crashed then crashed = true; app:crash() end
    after_crash = true
  end,)", R"(
at("4s", function() g:member(1):restart() end)
at("19s", function()
  check("the crash stopped the handler where it stood", counts[3] == 3)
  check("a fresh app.state after the restart", counts[4] == 1)
  check("RECORD: record 3 is handled again", #counts == 7)
end)
)", "20s").insert(0, "counts = {}\n"));
  expect_all_held(r, 3);
}

TEST(AppLua, OnBatchRunsOncePerPoll) {
  auto r = run_text("on_batch.lua", scenario(R"(
  on_batch = function(records, app) batches[#batches + 1] = #records; total = total + #records end,)", R"(
at("5s", function()
  check("every record in some batch", total == 6)
  check("fewer calls than records", #batches < 6)
end)
)").insert(0, "batches = {}; total = 0\n"));
  expect_all_held(r, 2);
}

TEST(AppLua, CommitAndAckCommitWhatTheHandlerSays) {
  // MANUAL_IMMEDIATE with a handler: only acknowledged records are committed, at once.
  auto r = run_text("ack.lua", scenario(R"(commit = "MANUAL_IMMEDIATE",
  on_record = function(rec, app) if rec.offset < 3 then app:ack() end end,)", R"(
at("5s", function() check("acknowledged up to offset 2", g:committed("t", 0) == 3, tostring(g:committed("t", 0))) end)
)"));
  expect_all_held(r, 1);
  auto sync = run_text("commit.lua", scenario(R"(commit = "TIME", ack_time = "1h",
  on_record = function(rec, app) if rec.offset == 4 then app:commit() end; if rec.offset == 5 then app:commit_async() end end,)", R"(
at("5s", function() check("commitSync committed what was processed before", g:committed("t", 0) >= 4, tostring(g:committed("t", 0))) end)
)"));
  expect_all_held(sync, 1);
  auto manual = run_text("manual.lua", scenario(R"(commit = "MANUAL",
  on_record = function(rec, app) if rec.offset ~= 4 then app:ack() end end,)", R"(
at("5s", function() check("MANUAL commits acknowledged records", g:committed("t", 0) == 6, tostring(g:committed("t", 0))) end)
)"));
  expect_all_held(manual, 1);
}

TEST(AppLua, EveryRunsOnTheMembersClockOncePerLine) {
  auto r = run_text("every.lua", scenario(R"(
  on_record = function(rec, app)
    app:every("1s", function() ticks[#ticks + 1] = now() end)
  end,)", R"(
at("9s", function() check("one timer, every second from the first record", #ticks >= 4 and #ticks <= 8, tostring(#ticks)) end)
)").insert(0, "ticks = {}\n"));
  expect_all_held(r, 1);
}

TEST(AppLua, AnErrorInTheHandlerIsAProcessingFailure) {
  // A plain loop: the error ends the application (consumer.fatal), and the run goes on.
  auto r = run_text("error.lua", scenario(R"(commit = "after-process",
  on_record = function(rec, app) if rec.offset == 1 then error("bad record") end end,)", R"(
at("5s", function() check("the member stopped", g:member(1):state() ~= "running", g:member(1):state()) end)
)"));
  expect_all_held(r, 1);
}

TEST(AppLua, StoreCallsNameTheStore) {
  auto r = run_text("store.lua", scenario(R"(commit = "after-process",
  on_record = function(rec, app) app:store("nope"):put("k", rec.value) end,)", R"(
at("5s", function() check("the member stopped on the error", g:member(1):state() ~= "running") end)
)"));
  expect_all_held(r, 1);
}

TEST(AppLua, AWaitingCallInsideATransactionFunctionIsAFailureNotASend) {
  // Inside s:tx's function, a call on the store itself would wait for the transaction it is in
  // (the store runs one at a time): it fails before anything is sent, and the failure is the
  // handler's (Spring: re-delivered, then skipped).
  std::string text = scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    local s = app:store("db")
    local ok, err = pcall(function() s:tx(function(t) s:put("k", "v") end) end)
    messages[#messages + 1] = tostring(err)
    local ok2, err2 = pcall(coroutine.wrap(function() s:put("k", "v") end))
    messages2[#messages2 + 1] = tostring(err2)
  end,)", R"(
at("5s", function()
  check("refused", #messages == 6 and messages[1]:find("cannot do here", 1, true) ~= nil, tostring(messages[1]))
  check("refused in a coroutine of the script's own", messages2[1]:find("cannot do here", 1, true) ~= nil, tostring(messages2[1]))
end)
)").insert(0, "messages = {}; messages2 = {}\n");
  text.insert(text.find("c:topic("), "c:store(\"db\")\n");
  auto r = run_text("tx_yield.lua", text);
  expect_all_held(r, 2);
}

TEST(AppLua, AnEndlessHandlerHitsTheInstructionLimit) {
  sim::lua::RunOptions o;
  o.limits.instructions = 1'000'000;
  auto r = run_text("endless.lua", scenario(R"(
  on_record = function(rec, app)
    while true do end
  end,)", ""), o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("endless.lua:10:"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("instruction limit"), std::string::npos) << r.error;
}

TEST(AppLua, CrashAtTakesARecordNumber) {
  auto r = run_text("crash_at.lua", scenario(R"(commit = "RECORD",
  on_record = function(rec, app) handled[#handled + 1] = rec.offset end,)", R"(
at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 3 }) end)
at("4s", function() g:member(1):restart() end)
at("19s", function()
  check("record 3 handled twice, the rest once", #handled == 7 and handled[3] == 2 and handled[4] == 2 and handled[5] == 3, table.concat(handled, ","))
end)
)", "20s").insert(0, "handled = {}\n"));
  expect_all_held(r, 1);
  // A batch listener handles the poll's records as one: a crash after them re-delivers them all.
  auto batch = run_text("crash_at_batch.lua", scenario(R"(commit = "RECORD",
  on_batch = function(records, app) for _, rec in ipairs(records) do handled[#handled + 1] = rec.offset end end,)", R"(
at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 3 }) end)
at("4s", function() g:member(1):restart() end)
at("19s", function()
  check("the whole batch handled twice", #handled == 12 and handled[7] == 0, table.concat(handled, ","))
  check("committed after the restart", g:committed("t", 0) == 6, tostring(g:committed("t", 0)))
end)
)", "20s").insert(0, "handled = {}\n"));
  expect_all_held(batch, 2);
  auto bad = run_text("crash_at_bad.lua", scenario("", R"(
at("500ms", function() g:member(1):crash_at({ point = "before-comit", record = 3 }) end)
)"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.error.find("did you mean 'before-commit'"), std::string::npos) << bad.error;
}

TEST(AppLua, SendGoesThroughTheProcesssProducerAndSyncWaitsForTheOffset) {
  // No producer = { ... }: the first app:send makes one with Kafka's defaults. rec.headers of
  // the records read back are the pairs app:send gave, in order.
  auto r = run_text("send.lua", scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    local sync = rec.offset == 0 or rec.offset == 5
    local meta = app:send("out", { key = rec.key, value = "copy-" .. rec.value, sync = sync,
                                   headers = { { "from", rec.topic }, { "n", tostring(rec.offset) } } })
    if sync then offsets[#offsets + 1] = meta.offset else asyncs[#asyncs + 1] = meta end
  end,)", R"(
c:topic("out", { partitions = 1, replication_factor = 1 })
c:group("reader", { topics = { "out" }, ["auto.offset.reset"] = "earliest", processing_time = "1ms",
  ["session.timeout.ms"] = "6s", on_record = function(rec) copies[#copies + 1] = rec end })
at("8s", function()
  check("sync sends return their offsets", #offsets == 2 and offsets[1] == 0 and offsets[2] == 5,
        table.concat(offsets, ","))
  check("async sends return nothing", #asyncs == 0)
  check("every record was copied", #copies == 6, tostring(#copies))
  local h = copies[4] and copies[4].headers or {}
  check("headers as a list of pairs", #h == 2 and h[1][1] == "from" and h[1][2] == "t" and h[2][1] == "n"
        and h[2][2] == "3" and copies[4].value == "copy-v4")
end)
)").insert(0, "offsets, asyncs, copies = {}, {}, {}\n"));
  expect_all_held(r, 4);
}

TEST(AppLua, ASyncSendsFailureIsRaisedInTheHandler) {
  auto r = run_text("send_fails.lua", scenario(R"(commit = "RECORD", producer = { ["max.block.ms"] = 300 },
  on_record = function(rec, app)
    if rec.offset > 0 then return end
    local ok, err = pcall(app.send, app, "t", { value = "x", partition = 7, sync = true })
    errors[#errors + 1] = ok and "ok" or err
  end,)", R"(
at("8s", function()
  check("get() throws", #errors == 1 and errors[1]:find("ExecutionException", 1, true) ~= nil, tostring(errors[1]))
end)
)").insert(0, "errors = {}\n"));
  expect_all_held(r, 1);
}

TEST(AppLua, ADeadLetterTopicNeedsARecordListener) {
  auto r = run_text("dlt_batch.lua", scenario(R"(commit = "BATCH", error_handler = { dead_letter = true },
  on_batch = function(records, app) end,)", ""));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.error.find("not modelled for a batch listener"), std::string::npos) << r.error;
}

// scenarios/teaching/11_poison_pill_dead_letter.lua: retried with the back off, the partition blocked
// meanwhile, then in orders.DLT with Spring's headers and the offset committed past it.
TEST(AppLua, ThePoisonPillScenarioHoldsItsExpectations) {
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/teaching/11_poison_pill_dead_letter.lua");
  const sim::lua::RunResult r = sim::lua::run_scenario(o);
  expect_all_held(r, 11);
  // The dead-lettered pill counts as handled by the shipping group, and the check says how.
  auto it = std::find_if(r.checks.begin(), r.checks.end(),
                         [](const auto& c) { return c.name == "expect delivery at-least-once (shipping)"; });
  ASSERT_NE(it, r.checks.end());
  EXPECT_NE(it->detail.find("7 processed once, 0 more than once, 0 never"), std::string::npos) << it->detail;
  EXPECT_NE(it->detail.find("1 recovered by the error handler (acknowledged without being processed): "
                            "pill@orders-0:3 dead-lettered to orders.DLT"),
            std::string::npos)
      << it->detail;
}

// on_assigned is ConsumerRebalanceListener.onPartitionsAssigned: it gets the partitions the
// rebalance added, may wait for a store, and its app:seek sets the position before the
// committed offset (none here: auto.offset.reset would start at 0) is looked up, so records
// 0..3 are never delivered. app:seek belongs to on_assigned only.
TEST(AppLua, OnAssignedSeeksBeforeThePositionIsLookedUp) {
  std::string text = scenario(R"(
  on_assigned = function(parts, app)
    assigned[#assigned + 1] = parts[1].topic .. "-" .. parts[1].partition
    local stored = app:store("db"):get("next:t-0")  -- a round trip: nil, nothing stored
    app:seek(parts[1].topic, parts[1].partition, stored and tonumber(stored) or 4)
  end,
  on_record = function(rec, app)
    handled[#handled + 1] = rec.offset
    if rec.offset == 5 then seek_error = select(2, pcall(app.seek, app, "t", 0, 0)) end
  end,)", R"(
at("9s", function()
  check("on_assigned had the partition", #assigned == 1 and assigned[1] == "t-0", table.concat(assigned, ","))
  check("the seek stood: records from offset 4", table.concat(handled, ",") == "4,5", table.concat(handled, ","))
  check("seek only from on_assigned", tostring(seek_error):find("seek from on_assigned", 1, true) ~= nil, tostring(seek_error))
end)
)").insert(0, "assigned = {}; handled = {}\n");
  text.insert(text.find("c:topic("), "c:store(\"db\")\n");
  expect_all_held(run_text("on_assigned.lua", text), 3);

  auto alone = run_text("on_assigned_alone.lua", scenario("on_assigned = function() end,", ""));
  EXPECT_EQ(alone.exit_code, 2);
  EXPECT_NE(alone.error.find("group.on_assigned: goes with on_record or on_batch"), std::string::npos) << alone.error;
  auto bad = run_text("on_assigned_bad.lua", scenario("on_assigned = 3, on_record = function() end,", ""));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.error.find("group.on_assigned: a function(partitions, app)"), std::string::npos) << bad.error;
}
