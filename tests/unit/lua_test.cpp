#include <gtest/gtest.h>

#include <sstream>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;
using sim::lua::RunOptions;
using sim::lua::RunResult;

namespace {
const char* kHeader = "scenario { name = \"t\", duration = \"1s\" }\n";

void expect_invalid(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.error;
  EXPECT_NE(r.error.find(needle), std::string::npos) << "message was: " << r.error;
}
}  // namespace

TEST(Lua, SyntaxErrorNamesFileAndLine) {
  auto r = run_text("syntax.lua", std::string(kHeader) + "\nlocal x = = 3\n");
  expect_invalid(r, "syntax.lua:3:");
}

TEST(Lua, RuntimeErrorNamesFileLineAndTraceback) {
  auto r = run_text("runtime.lua", std::string(kHeader) +
                                       "local function inner() local t = nil; return t.field end\n"
                                       "local function outer() return inner() end\n"
                                       "outer()\n");
  expect_invalid(r, "runtime.lua:2:");
  expect_invalid(r, "attempt to index a nil value");
  expect_invalid(r, "traceback:");
  expect_invalid(r, "runtime.lua:4:");
}

TEST(Lua, ErrorsInsideScheduledCallbacksEndTheRun) {
  auto r = run_text("callback.lua", std::string(kHeader) + "at(\"500ms\", function()\n  error(\"boom\")\nend)\n");
  expect_invalid(r, "callback.lua:3: boom");
  EXPECT_EQ(r.end_time.ns, 500'000'000) << "the run stopped at the failing callback";
}

TEST(Lua, SandboxBlocksOsExecute) {
  expect_invalid(run_text("os.lua", std::string(kHeader) + "os.execute(\"touch /tmp/pwned\")\n"),
                 "os.execute is not available in a scenario");
}

TEST(Lua, SandboxBlocksIoOpen) {
  expect_invalid(run_text("io.lua", std::string(kHeader) + "local f = io.open(\"/etc/passwd\")\n"),
                 "io.open is not available in a scenario");
}

TEST(Lua, SandboxBlocksRequireOfLibraries) {
  expect_invalid(run_text("req.lua", std::string(kHeader) + "local os2 = require \"os\"\n"),
                 "the os library is not available");
  expect_invalid(run_text("req2.lua", std::string(kHeader) + "require \"../../etc/passwd\"\n"), "module names are");
  expect_invalid(run_text("req3.lua", std::string(kHeader) + "load(\"return 1\")\n"), "load is not available");
  expect_invalid(run_text("req4.lua", std::string(kHeader) + "dofile(\"/etc/passwd\")\n"), "dofile is not available");
  expect_invalid(run_text("req5.lua", std::string(kHeader) + "local s = string.dump(print)\n"), "dump");
  expect_invalid(run_text("req6.lua", std::string(kHeader) + "debug.getinfo(1)\n"), "debug.getinfo is not available");
}

TEST(Lua, RequireLoadsLuaFilesBesideTheScenario) {
  write_file("lib/helpers.lua", "local M = {}\nfunction M.twice(x) return 2 * x end\nreturn M\n");
  auto r = run_text("uses_lib.lua", std::string(kHeader) +
                                        "local h = require \"lib.helpers\"\n"
                                        "assert(h.twice(21) == 42)\n"
                                        "assert(require \"lib.helpers\" == h, \"modules are cached\")\n");
  EXPECT_EQ(r.exit_code, 0) << r.error;
  expect_invalid(run_text("missing_lib.lua", std::string(kHeader) + "require \"nothere\"\n"), "no file");
}

TEST(Lua, EndlessLoopHitsTheInstructionLimit) {
  RunOptions o;
  o.limits.instructions = 5'000'000;
  expect_invalid(run_text("loop.lua", std::string(kHeader) + "while true do end\n", o), "instruction limit exceeded");
  // Also inside a callback, and the limit is per call: many short callbacks are fine.
  expect_invalid(run_text("loop2.lua", std::string(kHeader) + "at(10, function() local i = 0; repeat i = i + 1 until false end)\n", o),
                 "loop2.lua:2:");
  auto ok = run_text("many.lua", std::string(kHeader) + "every(\"1ms\", function() for i = 1, 10000 do end end)\n", o);
  EXPECT_EQ(ok.exit_code, 0) << ok.error;
}

TEST(Lua, MemoryBombHitsTheMemoryLimit) {
  RunOptions o;
  o.limits.memory_bytes = 32u << 20;
  expect_invalid(run_text("bomb.lua", std::string(kHeader) + "local t = {}\nfor i = 1, 1e9 do t[i] = string.rep(\"x\", 1000) .. i end\n", o),
                 "memory limit exceeded");
  expect_invalid(run_text("bomb2.lua", std::string(kHeader) + "local s = string.rep(\"x\", 1 << 30)\n", o),
                 "memory limit exceeded");
}

TEST(Lua, UnknownKeysGetADidYouMean) {
  expect_invalid(run_text("typo.lua", "scenario { name = \"t\", durration = \"1s\" }\n"), "did you mean 'duration'");
  expect_invalid(run_text("typo2.lua", std::string(kHeader) + "testbed { nodes = 2, netwrok = {} }\n"),
                 "typo2.lua:2: testbed: unknown key 'netwrok' (did you mean 'network'?)");
  expect_invalid(run_text("typo3.lua", std::string(kHeader) + "testbed { nodes = 2, network = { latncy = \"1ms\" } }\n"),
                 "did you mean 'latency'");
  expect_invalid(run_text("typo4.lua", "scenario { name = \"t\", kafka_version = \"3.10\" }\n"), "unknown version");
}

TEST(Lua, IllTypedValuesAreExplained) {
  expect_invalid(run_text("type1.lua", "scenario { name = \"t\", duration = \"soon\" }\n"),
                 "scenario.duration: \"soon\" is not a time");
  expect_invalid(run_text("type2.lua", "scenario { name = \"t\", seed = \"x\" }\n"), "scenario.seed: expected a whole number");
  expect_invalid(run_text("type3.lua", std::string(kHeader) + "local t = testbed { nodes = 2 }\nt:crash(\"zz\")\n"),
                 "type3.lua:3: crash(node): there is no node named 'zz'");
  expect_invalid(run_text("type4.lua", std::string(kHeader) + "local t = testbed { nodes = 2 }\nt.crash(1)\n"), "call methods with ':'");
}

TEST(Lua, ScenarioMustComeFirstAndOnce) {
  expect_invalid(run_text("first.lua", "at(\"1s\", function() end)\n"), "declare the scenario first");
  expect_invalid(run_text("twice.lua", std::string(kHeader) + kHeader), "declared twice");
  expect_invalid(run_text("none.lua", "local x = 1\n"), "never declares its scenario");
}

TEST(Lua, ParamsTakeSetOverridesOfTheirType) {
  const std::string text =
      "local n = param(\"n\", 3)\nlocal on = param(\"on\", false)\nlocal s = param(\"s\", \"x\")\n"
      "scenario { name = \"p\", duration = param(\"d\", \"1s\") }\n"
      "note(\"n=\" .. n .. \" on=\" .. tostring(on) .. \" s=\" .. s .. \" \" .. math.type(n))\n";
  sim::MemorySink mem;
  RunOptions o;
  o.sets = {{"n", "7"}, {"on", "true"}, {"s", "hello"}, {"d", "2s"}};
  o.sinks = {&mem};
  auto r = run_text("params.lua", text, o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(r.end_time.ns, 2'000'000'000);
  ASSERT_EQ(mem.of_kind("note").size(), 1u);
  EXPECT_EQ(mem.of_kind("note")[0]->text("text"), "n=7 on=true s=hello integer");
  EXPECT_NE(r.replay.find("--set n=7"), std::string::npos);

  RunOptions bad;
  bad.sets = {{"nn", "1"}};
  auto u = run_text("params.lua", text, bad);
  EXPECT_EQ(u.exit_code, 64);
  EXPECT_NE(u.error.find("did you mean 'n'"), std::string::npos) << u.error;
  RunOptions badtype;
  badtype.sets = {{"n", "many"}};
  EXPECT_EQ(run_text("params.lua", text, badtype).exit_code, 64);
}

TEST(Lua, TimeCallbacksRunAtTheirSimulatedTimes) {
  sim::MemorySink mem;
  RunOptions o;
  o.sinks = {&mem};
  auto r = run_text("times.lua",
                    "scenario { name = \"t\", duration = \"10s\" }\n"
                    "at(\"1s\", function() note(\"at \" .. now()) after(\"500ms\", function() note(\"after \" .. now()) end) end)\n"
                    "every(\"3s\", function() note(\"every \" .. now()) end, { to = \"7s\" })\n"
                    "at(2500, function() note(\"ms \" .. now()) end)\n",
                    o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  std::vector<std::string> notes;
  for (const auto* e : mem.of_kind("note")) notes.push_back(e->text("text"));
  EXPECT_EQ(notes, (std::vector<std::string>{"at 1000.0", "after 1500.0", "ms 2500.0", "every 3000.0", "every 6000.0"}));
}

TEST(Lua, PairsIsOrderedAndMathRandomIsSeeded) {
  const std::string text =
      "scenario { name = \"t\", duration = \"1s\" }\n"
      "local t = { zebra = 1, apple = 2, [3] = 3, mango = 4, [1] = 5 }\n"
      "local keys = {}\nfor k in pairs(t) do keys[#keys + 1] = tostring(k) end\n"
      "note(table.concat(keys, \",\"))\n"
      "note(math.random(1, 1000000) .. \" \" .. math.random(1, 1000000))\n";
  auto notes_for = [&](uint64_t seed) {
    sim::MemorySink mem;
    RunOptions o;
    o.sinks = {&mem};
    o.seed = seed;
    auto r = run_text("order.lua", text, o);
    EXPECT_EQ(r.exit_code, 0) << r.error;
    std::vector<std::string> out;
    for (const auto* e : mem.of_kind("note")) out.push_back(e->text("text"));
    return out;
  };
  auto a = notes_for(1), b = notes_for(1), c = notes_for(2);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0], "1,3,apple,mango,zebra");
  EXPECT_EQ(a, b);
  EXPECT_NE(a[1], c[1]);
  expect_invalid(run_text("seed.lua", std::string(kHeader) + "math.randomseed(4)\n"), "math.randomseed");
}

TEST(Lua, TestbedFaultsAndQueries) {
  sim::MemorySink mem;
  RunOptions o;
  o.sinks = {&mem};
  auto r = run_text("faults.lua",
                    "scenario { name = \"f\", duration = \"10s\" }\n"
                    "local t = testbed { nodes = 3, network = { latency = \"1ms\", detect = \"200ms\" } }\n"
                    "at(\"1s\", function() t:partition({1, 2}, {3})\n"
                    "  assert(not t:reachable(1, 3)) assert(t:reachable(1, 2))\n"
                    "  assert(#t:components() == 2) end)\n"
                    "at(\"2s\", function() t:heal() assert(#t:components() == 1) end)\n"
                    "at(\"3s\", function() t:crash(\"node-2\") assert(t:state(2) == \"crashed\") end)\n"
                    "at(\"4s\", function() t:restart_all() assert(t:state(2) == \"running\") end)\n"
                    "at(\"5s\", function() t:pause(3, \"1s\") assert(t:state(3) == \"paused\") end)\n"
                    "at(\"6500ms\", function() assert(t:state(3) == \"running\") t:shutdown(1) end)\n"
                    "at(\"7s\", function() t:restart(1) t:slow_network { from = 1, to = 2, latency = \"50ms\", loss = 0.1 } end)\n"
                    "at(\"8s\", function() t:slow_disk(2, \"1ms\") t:block(1, 3) t:isolate(2) end)\n"
                    "at(\"9s\", function() local s = t:stats(1) assert(s.starts == 2 and s.pongs > 0) end)\n",
                    o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const char* kind : {"fault.partition", "fault.heal", "node.crash", "node.restart", "node.pause", "node.resume",
                           "node.shutdown", "node.stopped", "fault.slow_network", "fault.slow_disk", "fault.block",
                           "fault.isolate"}) {
    EXPECT_FALSE(mem.of_kind(kind).empty()) << kind;
  }
  expect_invalid(run_text("restart_running.lua", std::string(kHeader) + "local t = testbed { nodes = 1 }\nt:restart(1)\n"),
                 "restart(node-1): it is running");
}

// A check the scenario computed that failed names the line that made it, as an expectation's
// failure names its cause; one that held says nothing more.
TEST(Lua, AFailedCheckNamesItsLine) {
  auto r = run_text("checks.lua", std::string(kHeader) +
                                      "check(\"fine\", true, \"ok\")\n"
                                      "at(\"500ms\", function()\n"
                                      "  check(\"counts\", false, \"3563 of 4000\")\n"
                                      "end)\n");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_TRUE(r.checks[0].explanation.empty());
  EXPECT_FALSE(r.checks[1].held);
  EXPECT_EQ(r.checks[1].detail, "3563 of 4000");
  EXPECT_TRUE(r.checks[1].explanation.starts_with("checked at ")) << r.checks[1].explanation;
  EXPECT_TRUE(r.checks[1].explanation.ends_with("checks.lua:4")) << r.checks[1].explanation;
}
