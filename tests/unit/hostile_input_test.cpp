// Input as a hostile user writes it: every promise of the CLI (docs/cli.md) kept. One test per
// class of broken promise: a crash, a limit bypassed, a hang, a wrong exit code, an error
// without its line, a lost file, a run that two processes run differently.
#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <map>
#include <fstream>
#include <sstream>

#include <set>

#include <fmt/format.h>

#include "hostile_helpers.hpp"
#include "sim/cli/child_runs.hpp"
#include "sim/escape.hpp"

using namespace kafkasim_test;
using sim::lua::RunOptions;
using sim::lua::RunResult;

namespace {
const char* const kHeader = kHostileHeader;
}  // namespace

// ---- 1. Crashes ----

TEST(Hostile1Crashes, FinalizersAreRefusedSoNoneCanReachFreedObjects) {
  expect_refused("gc_end", "local c = cluster{} setmetatable({}, {__gc = function() c:crash(1) end})", "__gc finalizers are not available");
  expect_refused("gc_during", "local t = testbed{nodes=2}\nat(\"1s\", function() setmetatable({}, {__gc = function() t:crash(1) end}) end)",
                 "__gc finalizers are not available", 3);
  // A handle's metatable cannot be reached to give every later handle a finalizer.
  expect_refused("gc_handle", "local c = cluster{} getmetatable(c).__gc = function() end", "attempt to index a string value");
}

// ---- 2. Limits that could be bypassed ----

TEST(Hostile2Limits, CatchingTheInstructionLimitDoesNotContinueTheRun) {
  sim::lua::SandboxLimits small;
  small.instructions = 2'000'000;
  for (const std::string body : {
           "while true do pcall(function() while true do end end) end",
           "while true do xpcall(function() while true do end end, function() while true do end end) end",
           "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
           "local co = coroutine.wrap(function() while true do end end)\nwhile true do pcall(co) end",
           "while true do local ok = pcall(error) end",
       }) {
    const RunResult r = run_limited("pcall_loop", body, small);
    EXPECT_EQ(r.exit_code, 2) << body;
    EXPECT_NE(r.error.find("instruction limit exceeded"), std::string::npos) << body << "\n" << r.error;
    EXPECT_NE(r.error.find("pcall_loop.lua:"), std::string::npos) << r.error;
  }
}

TEST(Hostile2Limits, LibraryFunctionsThatRunLongAreMetered) {
  sim::lua::SandboxLimits small;
  small.instructions = 5'000'000;
  for (const std::string body : {
           "local x = (\"a\"):rep(40):find((\"a?\"):rep(40) .. (\"a\"):rep(40))",
           "local x = (\"a\"):rep(200000):find(\".-.-.-.-b\")",
           "table.move({}, 1, 1e12, 1)",
           "local t = {} for i = 1, 1e5 do table.insert(t, 1, i) end",
           "local s = (\"x\"):rep(1e6) for i = 1, 1e6 do local _ = s .. i end",
           "local t = {} for i = 1, 1e4 do t[i] = i end for i = 1, 1e6 do local k = next(t, 5000) end",
       }) {
    const RunResult r = run_limited("metered", body, small);
    EXPECT_EQ(r.exit_code, 2) << body;
    EXPECT_NE(r.error.find("metered.lua:2: instruction limit exceeded"), std::string::npos) << body << "\n" << r.error;
  }
  // An empty result returns at once, however many times it is repeated.
  EXPECT_EQ(run_limited("rep_empty", "assert(string.rep(\"\", math.maxinteger) == \"\")", small).exit_code, 0);
  const RunResult big = run_limited("rep_big", "local x = string.rep(\"x\", 1e9)", small);
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_NE(big.error.find("rep_big.lua:2: memory limit exceeded"), std::string::npos) << big.error;
}

TEST(Hostile2Limits, MemoryLimitNamesTheLineEvenInACallback) {
  sim::lua::SandboxLimits small;
  small.memory_bytes = 64u << 20;
  const RunResult r = run_limited("mem_cb", "at(\"1s\", function()\n  local t = {}\n  for i = 1, 1e9 do t[i] = {i} end\nend)", small);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("mem_cb.lua:4: memory limit exceeded"), std::string::npos) << r.error;
}

TEST(Hostile2Limits, TheWatchdogEndsWorkTheBudgetCannotSee) {
  sim::lua::SandboxLimits limits;
  limits.cpu_seconds = 1;
  // Comparing two long equal strings is one instruction.
  const RunResult r = run_limited("watchdog", "local a = (\"x\"):rep(2e6) local b = (\"x\"):rep(2e6)\nwhile true do local _ = a == b end",
                                  limits);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("watchdog.lua:3: CPU time limit exceeded"), std::string::npos) << r.error;
}

// ---- 4. Scheduling from a coroutine ----

TEST(Hostile4Coroutines, BindingsUseTheCallersStack) {
  const Ran r = run_cli("coroutine", "local fired = false\n"
                                     "coroutine.wrap(function() after(\"100ms\", function() fired = true end) end)()\n"
                                     "local t = coroutine.wrap(function() return testbed { nodes = 2 } end)()\n"
                                     "at(\"1s\", function() check(\"fired\", fired) t:crash(1) end)");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("held     fired"), std::string::npos) << r.out;
}

// ---- 7. Errors without file:line ----

TEST(Hostile7Errors, EveryErrorNamesTheScenarioLine) {
  expect_refused("yield", "at(\"1s\", function()\n  coroutine.yield()\nend)", "attempt to yield from outside a coroutine", 3);
  expect_refused("err_table", "error({})", "error raised with a table value");
  expect_refused("err_nil", "error(nil)", "error raised with nil");
  expect_refused("err_level0", "error(\"plain\", 0)", "plain");
  write_file("hostile/loop_a.lua", "require \"loop_b\"\n");
  write_file("hostile/loop_b.lua", "require \"loop_a\"\n");
  const Ran loop = run_cli("require_loop", "require \"loop_a\"");
  EXPECT_EQ(loop.code, 2) << loop.out;
  EXPECT_NE(loop.out.find("loop_b.lua:1: require \"loop_a\": the modules require each other in a loop (loop_a -> loop_b -> loop_a)"),
            std::string::npos)
      << loop.out;
  const auto binary = write_file("hostile/binary.lua", std::string("\x1bLua\x54\x00", 6) + "junk");
  const Ran b = kafkasim("run " + binary.string() + " --quiet");
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.out.find("binary.lua:1: a scenario is Lua source text"), std::string::npos) << b.out;
}

// ---- 9. Nondeterminism visible to scripts ----

TEST(Hostile9Determinism, TwoProcessesSeeTheSameOrderAndNames) {
  // Keys that Lua orders by address (tables, functions, coroutines) and by a per-process hash
  // seed (strings), and the names tostring and %p give objects.
  const std::string body =
      "local t, names = {}, {}\n"
      "for i = 1, 40 do t[{}] = i; t[function() end] = -i; t[coroutine.create(function() end)] = i * 100; t[\"k\" .. i] = i end\n"
      "for i = 1, 40 do t[coroutine.wrap(function() end)] = i * 1000; t[string.gmatch(\"k\" .. i, \".\")] = -i * 1000 end\n"
      "local order = {}\n"
      "for k, v in pairs(t) do order[#order + 1] = tostring(v) end\n"
      "local k, n = next(t), 0\n"
      "while k ~= nil do n = n + 1; order[#order + 1] = type(k); k = next(t, k) end\n"
      "note(table.concat(order, \",\"), tostring({}), tostring(print), string.format(\"%p %s %10p\", {}, {}, print))\n"
      "local big = {} for i = 1, 300 do big[i] = (i * 7919) % 13 end\n"
      "table.sort(big, function(a, b) return a < b end)\n"
      "note(n, table.concat(big, \"\"))";
  const Ran a = run_cli("determinism", body, "--seed 3");
  const Ran b = run_cli("determinism", body, "--seed 3");
  ASSERT_EQ(a.code, 0) << a.out;
  // The hex word after "hash " in the run summary.
  const auto trace_hash = [](const std::string& out) {
    const std::size_t at = out.find("hash ");
    if (at == std::string::npos) return std::string();
    const std::size_t from = at + 5;
    const std::size_t to = out.find_first_not_of("0123456789abcdef", from);
    return out.substr(from, to - from);
  };
  ASSERT_FALSE(trace_hash(a.out).empty()) << a.out;
  EXPECT_EQ(trace_hash(a.out), trace_hash(b.out)) << a.out << "\n---\n" << b.out;
  EXPECT_NE(a.out.find("table: #"), std::string::npos) << a.out;
}

TEST(Hostile9Determinism, WeakTablesAreRefused) {
  expect_refused("weak", "setmetatable({}, {__mode = \"k\"})", "weak tables (__mode) are not available");
  expect_refused("weak_later", "local mt = {}\nsetmetatable({}, mt)\nmt.__mode = \"k\"", "weak tables", 4);
  expect_refused("weak_rawset", "local mt = {}\nsetmetatable({}, mt)\nrawset(mt, \"__mode\", \"v\")", "weak tables", 4);
}

// ---- 3. Option values that hung the run or exhausted memory ----

namespace {
// A cluster with a producer and a group whose configs are the given Lua fields.
std::string kafka_with(const std::string& broker, const std::string& producer = "", const std::string& group = "") {
  return "local c = cluster { brokers = 3, broker = { " + broker + " } }\n"
         "c:topic(\"t\", { partitions = 2, replication_factor = 3 })\n"
         "local p = c:producer(\"p\", { " + producer + " })\n"
         "p:load { topic = \"t\", rate = 200 }\n"
         "c:group(\"g\", { topics = \"t\", " + group + " })";
}
}  // namespace

TEST(Hostile3Values, NumbersKafkaRejectsAreRefused) {
  for (const std::string value : {"0/0", "1e308", "2^63", "\"2562047.9h\"", "-1/0", "1.5"}) {
    const Ran r = run_cli("time_value", kafka_with("[\"replica.lag.time.max.ms\"] = " + value), "--quiet", 30);
    EXPECT_EQ(r.code, 2) << value << "\n" << r.out;
    EXPECT_NE(r.out.find("time_value.lua:2: cluster.broker: replica.lag.time.max.ms: "), std::string::npos) << r.out;
  }
  const Ran big = run_cli("int_value", kafka_with("", "", "[\"heartbeat.interval.ms\"] = math.maxinteger"), "--quiet", 30);
  EXPECT_EQ(big.code, 2);
  EXPECT_NE(big.out.find("heartbeat.interval.ms: 9223372036854775807 is out of range: Kafka's type for it is INT"), std::string::npos)
      << big.out;
}

TEST(Hostile3Values, ValuesKafkaAcceptsRunToTheEnd) {
  // Long.MAX_VALUE milliseconds is Kafka's "never"; zero periods run as Kafka's schedulers and
  // clients run them; none may stop simulated time.
  for (const auto& [broker, producer, group] : std::vector<std::array<std::string, 3>>{
           {"[\"replica.lag.time.max.ms\"] = math.maxinteger", "", ""},
           {"[\"replica.high.watermark.checkpoint.interval.ms\"] = 0", "", ""},
           {"[\"broker.heartbeat.interval.ms\"] = 0", "", ""},
           {"", "[\"metadata.max.age.ms\"] = 0", "[\"metadata.max.age.ms\"] = 0, [\"heartbeat.interval.ms\"] = 0"},
           {"", "[\"delivery.timeout.ms\"] = 0, [\"request.timeout.ms\"] = 0, [\"linger.ms\"] = 0", ""},
           {"[\"replica.fetch.backoff.ms\"] = 0, [\"replica.fetch.wait.max.ms\"] = 0",
            "[\"retry.backoff.ms\"] = 0, [\"retry.backoff.max.ms\"] = 0", "[\"retry.backoff.ms\"] = 0, [\"fetch.max.wait.ms\"] = 0"},
       }) {
    const Ran r = run_cli("kafka_accepts", kafka_with(broker, producer, group), "--quiet", 60);
    EXPECT_EQ(r.code, 0) << broker << producer << group << "\n" << r.out;
    EXPECT_NE(r.out.find("simulated  2s"), std::string::npos) << r.out;
  }
}

TEST(Hostile3Values, WhatKafkaDoesNotBoundIsCapped) {
  const std::string c = "local c = cluster {}\nc:topic(\"t\")\nlocal p = c:producer(\"p\")\n";
  for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
           {c + "p:load { topic = \"t\", rate = 0/0 }", "load.rate: expected a finite number, got NaN"},
           {c + "p:load { topic = \"t\", rate = 1e308 }", "load.rate: records per simulated second, above 0 and at most"},
           {c + "p:load { topic = \"t\", rate = math.huge }", "load.rate: expected a finite number, got infinity"},
           {c + "p:load { topic = \"t\", keys = 1e8 }", "load.keys: a number of distinct keys between 1 and kafkasim's cap of 1000000"},
           {c + "p:load { topic = \"t\", keys = 1e12 }", "cap of 1000000"},
           {c + "c:group(\"g\", { topics = \"t\", members = 100000 })", "group.members: 100000 is more than kafkasim's cap of 1000"},
           {"local c = cluster {}\n\n\nc:topic(\"t\", { partitions = 2147483647 })", "cap of 10000 partitions per topic"},
           {"local c = cluster { broker = { [\"offsets.topic.num.partitions\"] = 1e9 } }\nc:topic(\"t\")\n\nc:group(\"g\", { topics = \"t\" })",
            "offsets.topic.num.partitions = 1000000000 is more than kafkasim's cap"},
           {"\n\n\nkafka.assign(\"range\", { topics = { t = 2^31 }, members = { { id = \"a\", topics = { \"t\" } } } })",
            "kafka.assign spec.topics.t: a partition count between 0 and kafkasim's cap of 10000"},
       }) {
    const Ran r = run_cli("capped", body, "--quiet", 30);
    EXPECT_EQ(r.code, 2) << body << "\n" << r.out;
    EXPECT_NE(r.out.find("capped.lua:5: "), std::string::npos) << body << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << body << "\n" << r.out;
  }
}

TEST(Hostile3Values, ARunWhoseClockStopsIsEndedWithAReason) {
  // Whatever makes events repeat at one instant (here a callback that reschedules itself with
  // no delay) ends the run with exit code 2 and says where, instead of hanging.
  RunOptions o;
  o.stall_events = 10'000;
  const RunResult r = run_text("hostile/stall.lua", std::string(kHeader) +
                                                        "local t = testbed { nodes = 2 }\n"
                                                        "local function again() after(0, again) end\n"
                                                        "at(\"1500ms\", again)\n",
                               o);
  EXPECT_EQ(r.exit_code, 2) << r.error;
  EXPECT_NE(r.error.find("the simulation stopped advancing: more than 10000 events ran at 1.5s without the clock moving"),
            std::string::npos)
      << r.error;
  EXPECT_EQ(sim::parse_duration("2562047.9h"), std::nullopt) << "an overflowing time is no time, not a negative one";
  EXPECT_EQ(sim::Duration::millis(INT64_MAX), sim::Duration::max());
}

// ---- 12. Silent acceptance ----

TEST(Hostile12Acceptance, ValuesKafkasValidatorsRejectAreErrors) {
  const std::string c = "local c = cluster { brokers = 3 }\n";
  for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
           {"local c = cluster { broker = { [\"min.insync.replicas\"] = -2 } }",
            "min.insync.replicas: invalid value -2: Value must be at least 1"},
           {"local c = cluster { broker = { [\"inter.broker.protocol.version\"] = \"banana\" } }",
            "Version banana is not a valid version"},
           {"local c = cluster {}\nc:topic(\"t\")\nc:group(\"g\", { topics = \"t\", [\"isolation.level\"] = \"dirty\" })",
            "isolation.level: invalid value \"dirty\": String must be one of: read_committed, read_uncommitted"},
           {"local c = cluster {}\nc:topic(\"t\", { replicas = { { 1, 1, 1 } } })", "includes the broker 1 more than once"},
           {"local c = cluster {}\nc:topic(\"t\", { partitions = 0, replicas = {} })", "topic.replicas: give one list of brokers"},
           {"local c = cluster {}\nc:topic(\"t\")\nlocal p = c:producer(\"p\")\np:send(\"t\", { partition = 4294967297 })",
            "Invalid partition: 4294967297"},
           {"expect { lost_acked_writes = -1 }", "expect.lost_acked_writes: how many may be lost, at least 0"},
           {"local c = cluster { network = { loss = 0/0 } }", "cluster.network.loss: expected a finite number, got NaN"},
           {"local c = cluster {}\nc:slow_network { bandwidth = 0/0 }", "slow_network.bandwidth: expected a finite number, got NaN"},
           {"local c = cluster {}\nlocal p = c:producer(\"p\", { [\"linger.ms\"] = 0/0 })", "linger.ms: expected a whole number"},
           {"local c = cluster { broker = { [\"replica.fetch.wait.max.ms\"] = 40000, [\"replica.lag.time.max.ms\"] = 60000 } }",
            "replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms"},
           {"local c = cluster {}\nc:store(\"db\", { latency = 0/0 })", "store options.latency: expected a non-negative time"},
           {"local c = cluster {}\nc:store(\"db\", { latency = 1e300 })", "store options.latency: expected a non-negative time"},
           {"local c = cluster {}\nc:store(\"db\", { latency = { dist = \"zipf\" } })", "store options.latency"},
           {"local c = cluster {}\nlocal db = c:store(\"db\")\ndb:get(0/0)", "get(key): expected a key"},
       }) {
    const Ran r = run_cli("rejected", body, "--quiet", 30);
    EXPECT_EQ(r.code, 2) << body << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << body << "\n" << r.out;
    EXPECT_NE(r.out.find("rejected.lua:"), std::string::npos) << r.out;
  }
}

TEST(Hostile12Acceptance, KafkaKeysKafkasimDoesNotApplyAreErrorsSayingSo) {
  for (const auto& [body, needle] : std::vector<std::pair<std::string, std::string>>{
           {"local c = cluster {}\nc:topic(\"t\")\nc:group(\"g\", { topics = \"t\", [\"group.id\"] = \"other\" })",
            "group.id: a group's group.id is the first argument of c:group"},
           {"local c = cluster {}\nlocal p = c:producer(\"p\", { [\"client.id\"] = \"other\" })", "client.id: a producer's client.id is its name"},
       }) {
    const Ran r = run_cli("not_applied", body, "--quiet", 30);
    EXPECT_EQ(r.code, 2) << body << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << body << "\n" << r.out;
  }
  // A key's default value is what the model does, so it is accepted.
  EXPECT_EQ(run_cli("applied_default", "local c = cluster {}\nlocal p = c:producer(\"p\", { [\"client.id\"] = \"\" })").code, 0);
}

TEST(Hostile12Acceptance, TopicFlushOverridesTakeEffect) {
  // flush.messages = 1 on the topic (not the broker) makes every acknowledged acks=1 write
  // durable: a crash of the leader loses none of them.
  const Ran r = run_cli("topic_flush",
                        "local c = cluster { brokers = 1 }\n"
                        "c:topic(\"t\", { [\"flush.messages\"] = 1 })\n"
                        "local p = c:producer(\"p\", { acks = \"1\", [\"enable.idempotence\"] = false })\n"
                        "p:load { topic = \"t\", rate = 1000 }\n"
                        "at(\"1s\", function() c:crash(1) end)\n"
                        "at(\"1200ms\", function() c:restart(1) end)\n"
                        "expect { lost_acked_writes = 0 }");
  EXPECT_EQ(r.code, 0) << r.out;
  const Ran without = run_cli("topic_no_flush",
                              "local c = cluster { brokers = 1 }\n"
                              "c:topic(\"t\")\n"
                              "local p = c:producer(\"p\", { acks = \"1\", [\"enable.idempotence\"] = false })\n"
                              "p:load { topic = \"t\", rate = 1000 }\n"
                              "at(\"1s\", function() c:crash(1) end)\n"
                              "at(\"1200ms\", function() c:restart(1) end)\n"
                              "expect { lost_acked_writes = 0 }");
  EXPECT_EQ(without.code, 1) << "the same run without the override loses writes:\n" << without.out;
}

// ---- 1. Crashes (continued): the history reader and the suite runner ----

TEST(Hostile1Crashes, DeeplyNestedHistoriesAreRefusedNotRecursedInto) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const auto inside = write_file("hostile/deep_field.jsonl",
                                 "{\"process\":0,\"type\":\"invoke\",\"f\":\"send\",\"value\":" + deep + "}\n");
  const Ran r = kafkasim("check " + inside.string(), 30);
  EXPECT_EQ(r.code, 2) << r.out.substr(0, 300);
  EXPECT_NE(r.out.find("nested more than 32 levels deep"), std::string::npos) << r.out.substr(0, 300);
  const auto top = write_file("hostile/deep_array.json", "[" + deep + "]");
  EXPECT_EQ(kafkasim("check " + top.string(), 30).code, 2);
}

TEST(Hostile1Crashes, TestReportsACrashingScenarioAndGoesOn) {
  const auto dir = scratch_dir() / "hostile_suite";
  std::filesystem::remove_all(dir);
  write_file("hostile_suite/a_crash.lua", "scenario { name = \"crash\", duration = \"1s\" }\ncheck(\"x\", true)\n");
  write_file("hostile_suite/b_fine.lua", "scenario { name = \"fine\", duration = \"1s\" }\ncheck(\"x\", true)\n");
  const auto junit = scratch_dir() / "hostile_suite.xml";
  std::filesystem::remove(junit);
  const Ran r = kafkasim("test " + dir.string() + " --junit " + junit.string(), 60);
  EXPECT_EQ(r.code, 0) << r.out;
  // A run that never ends, ended by the suite's --timeout; the suite goes on after it.
  write_file("hostile_suite/c_hang.lua", "scenario { name = \"hang\", duration = \"1s\" }\nlocal a = (\"x\"):rep(2e7) local b = (\"x\"):rep(2e7)\nwhile true do local _ = a == b end\n");
  const Ran t = kafkasim("test " + dir.string() + " --timeout 2 --junit " + junit.string() + " --force", 60);
  EXPECT_EQ(t.code, 2) << t.out;
  EXPECT_NE(t.out.find("ERROR " + (dir / "c_hang.lua").string() + " (its own seed): timed out"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("replay: kafkasim run " + (dir / "c_hang.lua").string()), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("2 passed, 0 failed, 1 errors"), std::string::npos) << t.out;
  std::ifstream in(junit);
  std::stringstream x;
  x << in.rdbuf();
  EXPECT_NE(x.str().find("errors=\"1\""), std::string::npos) << x.str();
  EXPECT_NE(x.str().find("<error message=\"timed out"), std::string::npos) << x.str();
}

// ---- 5. Bytes that are not UTF-8 ----

TEST(Hostile5Utf8, EveryJsonWriterRepairsInvalidBytesTheSameWay) {
  const auto json = scratch_dir() / "utf8.json";
  const auto history = scratch_dir() / "utf8.jsonl";
  const auto trace = scratch_dir() / "utf8.trace";
  for (const auto& f : {json, history, trace}) std::filesystem::remove(f);
  const Ran r = kafkasim("run " +
                         write_file("hostile/utf8.lua", "scenario { name = \"bad\\xff\\xfe name\", duration = \"1s\" }\n"
                                                        "local c = cluster { brokers = 1 }\nc:topic(\"t\")\n"
                                                        "local p = c:producer(\"p\")\n"
                                                        "p:send(\"t\", { value = \"v\\xc3\\x28\", sync = true })\n"
                                                        "at(\"500ms\", function() check(\"c\\xe2\\x82\", true, \"d\\xed\\xa0\\x80x\") end)\n"
                                                        "expect { lost_acked_writes = 0 }\n")
                             .string() +
                         " --quiet --json " + json.string() + " --history " + history.string() + " --trace " + trace.string());
  ASSERT_EQ(r.code, 0) << r.out;
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  const std::string j = slurp(json), h = slurp(history), t = slurp(trace);
  EXPECT_NE(j.find("bad\xEF\xBF\xBD\xEF\xBF\xBD name"), std::string::npos) << j.substr(0, 200);
  EXPECT_NE(h.find("v\xEF\xBF\xBD("), std::string::npos) << h;
  EXPECT_NE(t.find("v\xEF\xBF\xBD("), std::string::npos) << "the trace repairs it the same way";
  EXPECT_NE(t.find("d\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx"), std::string::npos) << "a surrogate is three invalid bytes, as nlohmann reads it";
  EXPECT_EQ(sim::valid_utf8(std::string("\xF0\x90\x80" "A")), "\xEF\xBF\xBD" "A") << "a truncated sequence is one U+FFFD";
}

// ---- 6. Exit codes ----

TEST(Hostile6ExitCodes, OutputsThatCannotBeWrittenAreUsageErrorsBeforeTheRun) {
  const std::string run = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 1s ";
  for (const std::string& opts : std::vector<std::string>{"--history nodir/h.jsonl", "--json nodir/x.json", "--trace nodir/t.jsonl",
                                                          "--trace " + scratch_dir().string() + " --force"}) {
    const Ran r = kafkasim(run + opts);
    EXPECT_EQ(r.code, 64) << opts << "\n" << r.out;
    EXPECT_EQ(r.out.find("simulated"), std::string::npos) << "the run never started: " << r.out;
  }
  const auto junit_dir = scratch_dir() / "nodir" / "j.xml";
  EXPECT_EQ(kafkasim("test " + source_path("scenarios/kernel_demo.lua").string() + " --junit " + junit_dir.string()).code, 64);
  EXPECT_EQ(kafkasim("check " + scratch_dir().string()).code, 64) << "a folder is not a history";
}

TEST(Hostile6ExitCodes, SeedsOutOfRangeAreUsageErrors) {
  const std::string run = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 1s --seed ";
  for (const char* seed : {"18446744073709551616", "-1", "\"\"", "1e3", "0x10"}) EXPECT_EQ(kafkasim(run + seed).code, 64) << seed;
  const Ran top = kafkasim(run + "18446744073709551615");
  EXPECT_EQ(top.code, 0) << top.out;
  EXPECT_NE(top.out.find("seed       18446744073709551615"), std::string::npos);
}

TEST(Hostile6ExitCodes, SuitesAndSweepsSayWhatTheRunsSay) {
  std::filesystem::create_directories(scratch_dir() / "no_scenarios");
  write_file("no_scenarios/lib/helper.lua", "return {}\n");
  const Ran empty = kafkasim("test " + (scratch_dir() / "no_scenarios").string());
  EXPECT_EQ(empty.code, 64) << empty.out;
  EXPECT_NE(empty.out.find("no scenario in this folder"), std::string::npos) << empty.out;
  const Ran set = kafkasim("sweep " + source_path("scenarios/kernel_demo.lua").string() + " --seeds 1..4 --set unknown=1");
  EXPECT_EQ(set.code, 64) << set.out;
  EXPECT_NE(set.out.find("--set unknown: the scenario has no param 'unknown'"), std::string::npos) << set.out;
  // An invalid scenario is an error of the suite, not a failure.
  write_file("invalid_suite/bad.lua", "scenario { name = \"bad\", duration = \"1s\" }\nlocal x = nil + 1\n");
  const Ran invalid = kafkasim("test " + (scratch_dir() / "invalid_suite").string());
  EXPECT_EQ(invalid.code, 2) << invalid.out;
  EXPECT_NE(invalid.out.find("0 passed, 0 failed, 1 errors"), std::string::npos) << invalid.out;
  EXPECT_NE(invalid.out.find("ERROR "), std::string::npos) << invalid.out;
}

// ---- 8. Files lost or redirected ----

TEST(Hostile8Files, OutputsNeverReplaceInputsOrEachOther) {
  const std::string scenario = source_path("scenarios/kernel_demo.lua").string();
  const std::string run = "run " + scenario + " --quiet --until 1s ";
  const auto x = scratch_dir() / "same.out";
  std::filesystem::remove(x);
  for (const std::string& opts : std::vector<std::string>{"--trace " + x.string() + " --history " + x.string(),
                                                          "--trace " + x.string() + " --json " + x.string(), "--trace - --history -"}) {
    const Ran r = kafkasim(run + opts);
    EXPECT_EQ(r.code, 64) << opts << "\n" << r.out;
    EXPECT_NE(r.out.find("name the same file"), std::string::npos) << r.out;
  }
  EXPECT_FALSE(std::filesystem::exists(x));
  const Ran self = kafkasim(run + "--trace " + scenario + " --force");
  EXPECT_EQ(self.code, 64);
  EXPECT_NE(self.out.find("that is an input of this command"), std::string::npos) << self.out;
  const auto h = write_file("hostile/self_check.jsonl", "{\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n");
  EXPECT_EQ(kafkasim("check " + h.string() + " --json " + h.string() + " --force").code, 64);
}

TEST(Hostile8Files, AFailedRunLeavesTheOldFileAsItWas) {
  const auto trace = scratch_dir() / "kept.trace";
  { std::ofstream(trace) << "precious\n"; }
  const auto bad = write_file("hostile/fails.lua", std::string(kHeader) + "local t = testbed { nodes = 2 }\nat(\"1s\", function() error(\"boom\") end)\n");
  for (const std::string extra : {"", " --set nope=1"}) {
    const Ran r = kafkasim("run " + bad.string() + " --quiet --force --trace " + trace.string() + extra);
    EXPECT_NE(r.code, 0);
    std::ifstream in(trace);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "precious") << "the run failed (" << r.code << "): the old file stays";
  }
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir()))
    EXPECT_NE(e.path().filename().string().rfind(".kept.trace.", 0), 0u) << "no temporary left behind: " << e.path();
}

TEST(Hostile8Files, APlantedSymlinkRedirectsNothing) {
  // A folder of its own: the planted links must not meet other tests' outputs.
  const auto dir = scratch_dir() / "planted";
  std::filesystem::create_directories(dir);
  const auto victim = dir / "victim.txt";
  { std::ofstream(victim) << "untouched\n"; }
  const auto out = dir / "out.trace";
  std::filesystem::remove(out);
  // The old scheme wrote to out.trace.tmp-PID, a name one can plant a link at in advance.
  for (int pid = 0; pid < 64; ++pid) {
    std::error_code ec;
    std::filesystem::create_symlink(victim, dir / ("out.trace.tmp-" + std::to_string(pid)), ec);
  }
  const Ran r = kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 1s --trace " + out.string());
  EXPECT_EQ(r.code, 0) << r.out;
  std::ifstream in(victim);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "untouched");
  EXPECT_TRUE(std::filesystem::is_regular_file(out));
}

TEST(Hostile8Files, DevicesAndStandardOutputAreWrittenDirectly) {
  const std::string run = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 1s ";
  EXPECT_EQ(kafkasim(run + "--trace /dev/null").code, 0);
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null")) << "still a device";
  const Ran r = kafkasim(run + "--trace - 2>/dev/null");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out.rfind("{\"seq\":0,", 0), 0u) << "the trace is standard output, the summary went to standard error: "
                                                 << r.out.substr(0, 200);
}

// ---- 10. JUnit XML ----

TEST(Hostile10Junit, ControlBytesNeverBreakTheXml) {
  const auto dir = scratch_dir() / "junit_suite";
  std::filesystem::remove_all(dir);
  write_file("junit_suite/ctl.lua", "scenario { name = \"ctl \\x1b[31m\\x00 <&>\", duration = \"1s\" }\n"
                                    "check(\"c\", false, \"esc \\x1b nul \\x00 bad \\xff quote \\\" amp & lt <\")\n");
  const auto junit = scratch_dir() / "ctl.xml";
  std::filesystem::remove(junit);
  const Ran r = kafkasim("test " + dir.string() + " --junit " + junit.string());
  EXPECT_EQ(r.code, 1) << r.out;
  std::ifstream in(junit, std::ios::binary);
  std::stringstream x;
  x << in.rdbuf();
  const std::string xml = x.str();
  for (char c : xml) {
    const auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(u >= 0x20 || c == '\n' || c == '\t' || c == '\r') << "a byte XML 1.0 forbids: " << static_cast<int>(u);
  }
  EXPECT_NE(xml.find("esc  nul  bad \xEF\xBF\xBD quote &quot; amp &amp; lt &lt;"), std::string::npos) << xml;
  EXPECT_EQ(sim::xml_text("a\x01" "b\x7f\xEF\xBF\xBE"), "ab\x7f") << "U+FFFE is not XML either";
}

// ---- 11. The replay line of a sweep ----

TEST(Hostile11Replay, ARunInvalidAtLoadNamesTheSeedItWasGiven) {
  const auto bad = write_file("hostile/invalid_at_load.lua", "local x = nil + 1\nscenario { name = \"late\" }\n");
  const Ran r = kafkasim("sweep " + bad.string() + " --seeds 2..3 -j 1 2>/dev/null");
  EXPECT_EQ(r.code, 2) << "an invalid scenario, as test says:\n" << r.out;
  EXPECT_NE(r.out.find("FAIL  seed 2:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: kafkasim run " + bad.string() + " --seed 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("replay: kafkasim run " + bad.string() + " --seed 3\n"), std::string::npos) << r.out;
}

// ---- 12. Silent acceptance (continued) ----

TEST(Hostile12Acceptance, ExpectationsMustJudgeSomething) {
  const std::string group = "local c = cluster {}\nc:topic(\"t\")\nc:group(\"g\", { topics = \"t\" })\n";
  const Ran vacuous = run_cli("vacuous", group + "expect { delivery = \"at-least-once\" }");
  EXPECT_EQ(vacuous.code, 1) << vacuous.out;
  EXPECT_NE(vacuous.out.find("vacuous: the topics of group g had no acknowledged record"), std::string::npos) << vacuous.out;
  EXPECT_EQ(run_cli("vacuous_allowed", group + "expect { delivery = \"at-least-once\", allow_empty = true }").code, 0);
  const Ran unknown = run_cli("unknown_group", group + "local p = c:producer(\"p\")\np:load { topic = \"t\" }\nexpect { group = \"gg\", delivery = \"at-least-once\" }");
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("unknown_group.lua:7: expect.group: the scenario has no group 'gg' (did you mean 'g'?)"), std::string::npos)
      << unknown.out;
  expect_refused("expect_nothing", "expect {}", "say what to expect");
}

TEST(Hostile12Acceptance, TopicsAClientNamesAreAutoCreatedAsInKafka) {
  const std::string body = "local c = cluster { broker = { [\"auto.create.topics.enable\"] = ENABLED } }\n"
                           "local p = c:producer(\"p\")\np:load { topic = \"orders\", rate = 100 }\n"
                           "c:group(\"g\", { topics = \"orders\", [\"auto.offset.reset\"] = \"earliest\" })\n"
                           "expect { delivery = \"at-least-once\" }";
  auto with = [&](const std::string& enabled) { return body.substr(0, body.find("ENABLED")) + enabled + body.substr(body.find("ENABLED") + 7); };
  const Ran on = run_cli("auto_create", with("true"), "");
  EXPECT_EQ(on.code, 0) << on.out;
  EXPECT_NE(on.out.find("auto-created topic 'orders' (1 partition, replication factor 1)"), std::string::npos) << on.out;
  const Ran off = run_cli("auto_create_off", with("false"), "");
  EXPECT_EQ(off.code, 1) << "every send fails with UNKNOWN_TOPIC_OR_PARTITION and the expectation judged nothing:\n" << off.out;
  EXPECT_EQ(off.out.find("auto-created"), std::string::npos) << off.out;
}

TEST(Hostile12Acceptance, ScenarioMistakesAreNamedAsTheScenarios) {
  expect_refused("two_clusters", "local c = cluster {}\nlocal d = cluster {}", "cluster { ... } is declared twice", 3);
  expect_refused("controller_name", "local t = testbed { nodes = { \"controller\" } }\nlocal c = cluster {}",
                 "already named 'controller'", 3);
  expect_refused("bad_policy", "local c = cluster {}\nc:group(\"g\", { topics = \"t\", commit = \"record\" })",
                 "group.commit: unknown policy \"record\" (did you mean 'RECORD'?); the policies are auto, after-process", 3);
  expect_refused("group_options", "local c = cluster {}\nc:group(\"g\", 5)", "options is a table", 3);
  // Two loads on one producer both run, as two application threads would.
  const Ran loads = run_cli("two_loads", "local c = cluster {}\nc:topic(\"t\")\nlocal p = c:producer(\"p\")\n"
                                         "p:load { topic = \"t\", rate = 10, count = 5 }\np:load { topic = \"t\", rate = 10, count = 7 }\n"
                                         "at(\"1900ms\", function() check(\"both ran\", p:stats().ok == 12, p:stats().ok) end)");
  EXPECT_EQ(loads.code, 0) << loads.out;
}

TEST(Hostile12Acceptance, CheckRefusesOperationsThatDoNotPair) {
  for (const auto& [name, text, needle] : std::vector<std::array<std::string, 3>>{
           {"delete", "{\"process\":0,\"type\":\"invoke\",\"f\":\"delete\"}\n", "operation 1: \"f\": \"delete\" is not send, poll"},
           {"cross", "{\"process\":0,\"type\":\"invoke\",\"f\":\"send\",\"value\":[[\"send\",1,5]]}\n"
                     "{\"process\":0,\"type\":\"ok\",\"f\":\"poll\",\"value\":[[\"poll\",{}]]}\n",
            "operation 2: a poll completes the send invoked at operation 1"},
           {"orphan", "{\"op\":7,\"process\":0,\"type\":\"ok\",\"f\":\"poll\",\"value\":[[\"poll\",{}]]}\n",
            "operation 1: a completion of op 7, which has no invocation before it"},
           {"twice", "{\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n{\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n",
            "operation 2: process 0 invokes again before its operation 1 completed"},
       }) {
    const Ran r = kafkasim("check " + write_file("hostile/" + name + ".jsonl", text).string());
    EXPECT_EQ(r.code, 2) << name << "\n" << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << name << "\n" << r.out;
  }
}

// ---- 13. A time limit per scenario in test ----
// (Hostile1Crashes.TestReportsACrashingScenarioAndGoesOn ends a hung scenario with --timeout.)

// ---- 14. Generated values are unique ----

TEST(Hostile14Values, QueuedSyncSendsGetTheirOwnValues) {
  const auto history = scratch_dir() / "sync_values.jsonl";
  std::filesystem::remove(history);
  // A sync send every 100 ms, each acknowledged after 300 ms: sends queue behind the blocked one.
  // They stop at 5 s, so the queue drains (one send per 300 ms) and the member reads the last
  // record well before the run ends, whenever its group formed.
  const auto scenario = write_file("hostile/sync_values.lua",
                                   "scenario { name = \"sync values\", duration = \"6s\" }\n"
                                   "local c = cluster { brokers = 1, network = { latency = \"150ms\" } }\nc:topic(\"t\")\n"
                                   "local p = c:producer(\"p\")\n"
                                   "every(\"100ms\", function() p:send(\"t\", { sync = true }) end, { from = \"2s\", to = \"5s\" })\n"
                                   "c:group(\"g\", { topics = \"t\", [\"auto.offset.reset\"] = \"earliest\" })\n"
                                   "expect { no_anomalies = true }\n");
  const Ran r = kafkasim("run " + scenario.string() + " --quiet --history " + history.string());
  EXPECT_EQ(r.code, 0) << "no duplicate or nonmonotonic-send that never happened:\n" << r.out;
  std::ifstream in(history);
  std::set<std::string> values;
  int sends = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("\"type\":\"invoke\"") == std::string::npos || line.find("\"f\":\"send\"") == std::string::npos) continue;
    ++sends;
    const size_t v = line.find("[\"send\",\"t\",\"");
    ASSERT_NE(v, std::string::npos) << line;
    values.insert(line.substr(v, line.find('"', v + 13) - v));
  }
  EXPECT_GT(sends, 10);
  EXPECT_EQ(values.size(), static_cast<size_t>(sends)) << "every send has its own value";
}

TEST(Hostile9Determinism, MetatablesStayGuardedThroughInheritance) {
  // A class used as a metatable, then given a base class: still no weak mode by assignment.
  expect_refused("weak_inherit", "local Base = {}\nlocal Derived = {}\nDerived.__index = Derived\nlocal obj = setmetatable({}, Derived)\n"
                                 "setmetatable(Derived, { __index = Base })\nDerived.__mode = \"k\"",
                 "weak tables", 7);
  // Ordinary classes still work: methods added later, inheritance through __index.
  const Ran r = run_cli("classes", "local Base = {}\nBase.__index = Base\nfunction Base.hello() return \"hi\" end\n"
                                   "local Derived = setmetatable({}, { __index = Base })\nDerived.__index = Derived\n"
                                   "local obj = setmetatable({}, Derived)\nfunction Derived.extra() return \"x\" end\n"
                                   "check(\"methods\", obj.hello() == \"hi\" and obj.extra() == \"x\")");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(Hostile2Limits, CatchPointsKeepLuasSemantics) {
  // The wrapped pcall, xpcall and coroutine.resume still let a coroutine yield through them.
  const Ran r = run_cli("yields", "local co = coroutine.create(function()\n"
                                  "  local ok, v = pcall(function() local x = coroutine.yield(1) return x * 2 end)\n"
                                  "  local ok2, e = xpcall(function() coroutine.yield(3) error(\"inner\") end, function(m) return \"handled: \" .. m end)\n"
                                  "  return v, e\nend)\n"
                                  "local _, a = coroutine.resume(co)\nlocal _, b = coroutine.resume(co, 21)\nlocal _, c, d = coroutine.resume(co)\n"
                                  "check(\"yields\", a == 1 and b == 3 and c == 42 and d:find(\"handled\") ~= nil, tostring(d))");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("held     yields"), std::string::npos) << r.out;
}

TEST(Hostile1Crashes, AChildThatDiesIsReportedWithItsSignalAndReplayLine) {
  // Whatever kills a run's process (a crash of kafkasim), the suite reports it and goes on.
  std::vector<RunOptions> runs(3);
  for (size_t i = 0; i < runs.size(); ++i) {
    runs[i].path = "scenarios/s" + std::to_string(i) + ".lua";
    runs[i].seed = 7 + i;
  }
  sim::cli::ChildRuns children(2, 0, [](const RunOptions& o) {
    if (o.seed == 8u) std::raise(SIGKILL);  // as the OOM killer would; no handler can intercept it
    RunResult r;
    r.seed = *o.seed;
    return r;
  });
  std::map<size_t, sim::cli::RunReport> reports;
  children.run(runs.size(), [&](size_t i) { return runs[i]; }, [&](size_t i, const sim::cli::RunReport& r) {
    reports[i] = r;
    return true;
  });
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].exit_code, 0);
  EXPECT_EQ(reports[2].exit_code, 0);
  EXPECT_EQ(reports[1].end, sim::cli::RunReport::End::crashed);
  EXPECT_NE(reports[1].failure.find("died of signal 9"), std::string::npos) << reports[1].failure;
  EXPECT_EQ(reports[1].replay, "kafkasim run scenarios/s1.lua --seed 8");
}

// A scenario's strings reach the terminal as text: no escape sequence in a name, a note, a print
// or an error can recolour or clear the screen, and no line break can forge a line of the summary.
TEST(Hostile13Output, TerminalOutputEscapesControlCharacters) {
  const auto path = write_file("hostile/terminal.lua",
                               "scenario { name = \"name\\27[31m\\7\", duration = \"2s\" }\n"
                               "note(\"note\\27[2J \\194\\155X \\226\\128\\174rev\")\n"
                               "print(\"p\\nresult     ok\")\n");
  const Ran r = kafkasim("run " + path.string());
  const auto bad = [](const std::string& out) {
    for (const char* b : {"\x1b", "\x07", "\xC2\x9B", "\xE2\x80\xAE"})
      if (out.find(b) != std::string::npos) return true;
    return false;
  };
  EXPECT_FALSE(bad(r.out)) << r.out;
  EXPECT_NE(r.out.find("name\\x1b[31m\\x07"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("note\\x1b[2J \\u009bX \\u202erev"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("p\\nresult     ok"), std::string::npos) << "the print stays one line: " << r.out;

  const auto failing = write_file("hostile/terminal_error.lua", std::string(kHostileHeader) + "error(\"boom\\27[5m\")\n");
  const Ran e = kafkasim("run " + failing.string());
  EXPECT_EQ(e.code, 2);
  EXPECT_FALSE(bad(e.out)) << e.out;
  EXPECT_NE(e.out.find("boom\\x1b[5m"), std::string::npos) << e.out;

  EXPECT_EQ(sim::terminal_text("a\nb\tc\x7f"), "a\\nb\tc\\x7f");
  EXPECT_EQ(sim::terminal_text("a\nb", true), "a\nb");
  EXPECT_EQ(sim::terminal_text("\xFF" "ok \xE2\x81\xA6"), "\xEF\xBF\xBD" "ok \\u2066") << "invalid UTF-8 repaired, an isolate escaped";
}
