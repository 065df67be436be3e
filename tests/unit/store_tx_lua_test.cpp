// s:tx(fn) in a handler as an interactive transaction: each of t's calls is a round trip whose
// result fn sees, so `if t:insert_if_absent(...) then t:increment(...) end` decides on the
// store's answer; fn's error rolls the transaction back and is the handler's failure.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {

// Six transfers of alice's, a store, and the group `options` (Lua table fields) reading them.
std::string scenario(const std::string& options, const std::string& body) {
  return R"(
outcomes = {}; errors = {}
scenario { name = "tx", duration = "20s" }
local c = cluster { brokers = 1, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("transfers", { partitions = 1, replication_factor = 1 })
local db = c:store("read-model", { latency = "2ms" })
local p = c:producer("feed", {})
at("1s", function() for i = 1, 6 do p:send("transfers", { key = "alice", value = "e" .. i }) end end)
local g = c:group("projector", { topics = { "transfers" }, ["auto.offset.reset"] = "earliest", processing_time = "1ms",
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

TEST(StoreTxLua, TheGuardedIncrementSkipsARedeliveredRecordAndTheEffectsAreExactlyOnce) {
  sim::MemorySink trace;
  sim::lua::RunOptions o;
  o.sinks.push_back(&trace);
  auto r = run_text("tx_guard.lua", scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    local s = app:store("read-model")
    local outcome = s:tx(function(t)
      if t:insert_if_absent("applied:" .. rec.value, 1) then   -- true when it inserted
        local n = t:increment("balance:" .. rec.key, 1)
        return "applied " .. n
      end
      return "skipped"
    end)
    outcomes[#outcomes + 1] = outcome
  end,)", R"(
at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 3 }) end)
at("4s", function() g:member(1):restart() end)
at("19s", function()
  check("record 3 handled twice", #outcomes == 7, table.concat(outcomes, ","))
  check("fn saw each statement's result", outcomes[3] == "applied 3" and outcomes[4] == "skipped" and outcomes[7] == "applied 6",
        table.concat(outcomes, ","))
  check("each transfer counted once", tostring(db:get("balance:alice")) == "6", tostring(db:get("balance:alice")))
end)
expect { effects = "exactly-once", store = "read-model", group = "projector" }
)"),
                    o);
  expect_all_held(r, 4);
  EXPECT_EQ(trace.of_kind("store.rollback").size(), 0u);
}

TEST(StoreTxLua, AnErrorInsideTxRollsBackAndIsTheHandlersFailure) {
  sim::MemorySink trace;
  sim::lua::RunOptions o;
  o.sinks.push_back(&trace);
  auto r = run_text("tx_error.lua", scenario(R"(commit = "after-process",
  on_record = function(rec, app)
    local s = app:store("read-model")
    local ok, err = pcall(function()
      s:tx(function(t)
        t:put("partial:" .. rec.value, "x")
        check("own write seen", t:get("partial:" .. rec.value) == "x")
        if rec.offset == 2 then error("boom") end
      end)
    end)
    if not ok then errors[#errors + 1] = tostring(err); error(err, 0) end
  end,)", R"(
at("5s", function()
  check("the error came out of s:tx as fn raised it", #errors == 1 and errors[1]:find("tx_error.lua:%d+: boom") ~= nil, tostring(errors[1]))
  check("its writes were rolled back", db:get("partial:e3") == nil and db:get("partial:e2") == "x")
  check("the handler failed: the member stopped", g:member(1):state() ~= "running", g:member(1):state())
end)
)"),
                    o);
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto rollbacks = trace.of_kind("store.rollback");
  ASSERT_EQ(rollbacks.size(), 1u);
  EXPECT_EQ(rollbacks[0]->text("reason"), "rollback");
  for (const auto* w : trace.of_kind("store.write")) EXPECT_NE(w->text("key"), "partial:e3");
}

TEST(StoreTxLua, TKeptPastItsTransactionAndNestingAreRefused) {
  auto r = run_text("tx_misuse.lua", scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    local s = app:store("read-model")
    local kept
    s:tx(function(t) kept = t end)
    local ok, err = pcall(function() kept:put("k", "v") end)
    errors[#errors + 1] = tostring(err)
    ok, err = pcall(function() s:tx(function(t) s:tx(function(u) end) end) end)
    errors[#errors + 1] = tostring(err)
  end,)", R"(
at("5s", function()
  check("t is over after its function", errors[1]:find("the transaction is over", 1, true) ~= nil, tostring(errors[1]))
  check("no nesting", errors[2]:find("do not nest", 1, true) ~= nil, tostring(errors[2]))
end)
)"));
  expect_all_held(r, 2);
}

TEST(StoreTxLua, TheInstructionLimitEndsTheRunFromInsideTx) {
  // fn runs under the binding's own protected call: a limit must still end the run, not
  // become fn's error and a rollback.
  sim::lua::RunOptions o;
  o.limits.instructions = 1'000'000;
  auto r = run_text("tx_endless.lua", scenario(R"(
  on_record = function(rec, app)
    app:store("read-model"):tx(function(t)
      t:put("k", rec.value)
      while true do end
    end)
  end,)", ""), o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("instruction limit"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("tx_endless.lua:14:"), std::string::npos) << r.error;
}

TEST(StoreTxLua, AStatementWhoseConnectionBreaksRaisesThatTheTransactionRolledBack) {
  std::string text = scenario(R"(commit = "RECORD",
  on_record = function(rec, app)
    local ok, err = pcall(function() app:store("read-model"):tx(function(t) t:put("k" .. rec.offset, "v") end) end)
    errors[#errors + 1] = tostring(err)
  end,)", R"(
at("1500ms", function() c:crash(db) end)
at("10s", function()
  check("the statement in flight raised", errors[1] ~= nil and errors[1]:find("the transaction was rolled back", 1, true) ~= nil, tostring(errors[1]))
  check("nothing of it was committed", db:get("k0") == nil)
end)
)");
  // A slow store: the first record's statement is still being answered at the crash.
  text.replace(text.find("latency = \"2ms\""), 16, "latency = \"2s\"");
  auto r = run_text("tx_broken.lua", text);
  expect_all_held(r, 2);
}

TEST(StoreTxLua, TheIdleTimeoutIsAStoreOption) {
  std::string text = scenario("", "");
  text.replace(text.find("{ latency = \"2ms\" }"), 19, "{ idle_in_transaction_session_timeout = \"-1s\" }");
  auto r = run_text("tx_idle_bad.lua", text);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("tx_idle_bad.lua:6: store options.idle_in_transaction_session_timeout"), std::string::npos) << r.error;
  std::string ok = scenario("", "");
  ok.replace(ok.find("{ latency = \"2ms\" }"), 19, "{ idle_in_transaction_session_timeout = \"0ms\" }");
  EXPECT_EQ(run_text("tx_idle_off.lua", ok).exit_code, 0);
}
