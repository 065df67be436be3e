// c:store in the scenario language: a store is a node every fault call takes, its durable state
// is readable from scenario code, and bad input is refused with file:line.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {
const std::string kHead = "scenario { name = \"s\", duration = \"6s\" }\nlocal c = cluster { brokers = 1 }\n";

void expect_error(const std::string& name, const std::string& body, const std::string& needle) {
  auto r = run_text(name + ".lua", kHead + body);
  EXPECT_EQ(r.exit_code, 2) << name << ": " << r.error;
  EXPECT_NE(r.error.find(needle), std::string::npos) << name << ": expected \"" << needle << "\" in\n" << r.error;
}
}  // namespace

TEST(StoreLua, AStoreIsANodeForEveryFaultCallAndItsStateIsReadable) {
  sim::MemorySink trace;
  sim::lua::RunOptions o;
  o.sinks.push_back(&trace);
  auto r = run_text("store_faults.lua", kHead + R"(
local db = c:store("read-model", { latency = { dist = "uniform", min = "1ms", max = "3ms" } })
at("1s", function()
  c:crash(db)
  check("crashed", c:state(db) == "crashed")
  check("its durable state is readable while it is down", db:get("balance:alice") == nil and next(db:dump()) == nil)
end)
at("2s", function() c:restart(db) end)
at("3s", function() c:pause(db, "500ms") end)
at("4s", function() c:isolate(db); check("isolated", not c:reachable(db, 1)) end)
at("5s", function() c:heal(); check("by name too", c:state("read-model") == "running" and db:name() == "read-model") end)
)",
                    o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.checks.size(), 4u);
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
  EXPECT_EQ(trace.of_kind("store.start").size(), 2u) << "started, then restarted";
  EXPECT_EQ(trace.of_kind("fault.isolate").size(), 1u);
}

TEST(StoreLua, BadStoreInputIsRefusedWithFileAndLine) {
  expect_error("store_noname", "c:store()\n", "store_noname.lua:3: store(name, options): give the store a name");
  expect_error("store_taken", "c:store(\"broker-1\")\n", "store_taken.lua:3: store: the name 'broker-1' is taken");
  expect_error("store_twice", "c:store(\"db\")\nc:store(\"db\")\n", "store_twice.lua:4: store: the name 'db' is taken");
  expect_error("store_key", "c:store(\"db\", { latncy = \"2ms\" })\n", "store_key.lua:3: ");
  expect_error("store_key2", "c:store(\"db\", { latncy = \"2ms\" })\n", "did you mean 'latency'");
  expect_error("store_latency", "c:store(\"db\", { latency = \"fast\" })\n", "store_latency.lua:3: ");
  expect_error("store_opts", "c:store(\"db\", \"2ms\")\n", "store_opts.lua:3: ");
  expect_error("store_dot", "local db = c:store(\"db\")\ndb.get(\"k\")\n", "store_dot.lua:4: expected a store");
  expect_error("store_badkey", "local db = c:store(\"db\")\ndb:get({})\n", "store_badkey.lua:4: get(key): expected a key");
  expect_error("store_fault", "c:crash(\"dbx\")\n", "no node named 'dbx'");
}

TEST(StoreLua, EffectsExpectationsAreValidated) {
  expect_error("fx_value", "c:store(\"db\")\nexpect { effects = \"exactly_once\", store = \"db\" }\n",
               "fx_value.lua:4: expect.effects: \"exactly_once\" is not exactly-once or at-least-once (did you mean 'exactly-once'?)");
  expect_error("fx_nostore", "expect { effects = \"exactly-once\" }\n", "fx_nostore.lua:3: expect.effects: name the store");
  expect_error("fx_noeffects", "expect { store = \"db\" }\n", "fx_noeffects.lua:3: expect.store: goes with effects");
  expect_error("fx_producer", "expect { effects = \"exactly-once\", store = \"db\", producer = \"p\" }\n", "fx_producer.lua:3: expect.producer");
  expect_error("fx_unknown", "c:store(\"read-model\")\nexpect { effects = \"exactly-once\", store = \"read-modle\" }\n",
               "fx_unknown.lua:4: expect.store: the scenario has no store 'read-modle' (did you mean 'read-model'?)");
}

TEST(StoreLua, AnEffectsExpectationWithNothingToJudgeFailsAsVacuous) {
  auto r = run_text("fx_vacuous.lua", kHead + R"(
c:topic("transfers", { partitions = 1, replication_factor = 1 })
c:store("read-model")
c:group("projector", { members = 1, topics = { "transfers" } })
expect { effects = "exactly-once", store = "read-model", group = "projector" }
)");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].name, "expect effects exactly-once in read-model (projector)");
  EXPECT_NE(r.checks[0].detail.find("vacuous"), std::string::npos) << r.checks[0].detail;
}

// A member that crashed before committing anything and restarted processes the same records
// again, under the same run numbers (they restart with the process): each effect is there
// twice, and the check counts two runs, not one.
TEST(StoreLua, ARestartedMemberThatAppliesRecordsAgainAppliedThemTwice) {
  auto r = run_text("fx_restart.lua", R"(scenario { name = "s", duration = "30s" }
local c = cluster { brokers = 1 }
c:topic("transfers", { partitions = 1, replication_factor = 1 })
c:store("read-model")
local bank = c:producer("bank", { acks = "all" })
local g = c:group("projector", {
  members = 1, topics = { "transfers" }, commit = "auto", ["auto.commit.interval.ms"] = 60000,
  ["auto.offset.reset"] = "earliest", ["session.timeout.ms"] = "6s",
  on_record = function(rec, app) app:store("read-model"):increment("balance", 1) end,
})
at("500ms", function() g:member(1):crash_at({ point = "after-process", record = 5 }) end)
at("3s", function() for i = 1, 5 do bank:send("transfers", { key = "k", value = "e" .. i }) end end)
at("10s", function() g:member(1):restart() end)
expect { effects = "exactly-once", store = "read-model", group = "projector" }
)");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_FALSE(r.checks.empty());
  EXPECT_EQ(r.checks[0].name, "expect effects exactly-once in read-model (projector)");
  EXPECT_FALSE(r.checks[0].held);
  EXPECT_NE(r.checks[0].detail.find("effect once 0, twice or more 5"), std::string::npos) << r.checks[0].detail;
}
