// Scripts that attack the sandbox itself: its stack discipline, its limits, its guards. Each
// test names the promise of docs/lua-reference.md#the-sandbox it holds the sandbox to.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <array>
#include <ctime>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "hostile_helpers.hpp"
#include "sim/lua/errors.hpp"
#include "sim/lua/sandbox.hpp"
#include "sim/lua/watchdog.hpp"

using namespace kafkasim_test;
using sim::lua::RunResult;
using sim::lua::SandboxLimits;

namespace {

// A cluster with one broker, a topic "t" and a producer "p" (lines 2 to 4 of the scenario).
const std::string kCluster = "local c = cluster { brokers = 1 }\nc:topic(\"t\")\nlocal p = c:producer(\"p\")\n";

}  // namespace

// ---- next and pairs ----

TEST(HostileSandbox, PairsAndNextTakeLibraryClosuresAsKeys) {
  // coroutine.wrap functions and gmatch iterators are C closures whose first upvalue is a
  // coroutine or a string; a thousand gmatch keys once overran the Lua stack.
  const Ran r = run_cli("closure_keys",
                        "local w = coroutine.wrap(function() end)\n"
                        "local t = { [w] = 1 }\n"
                        "local seen = 0\n"
                        "for k, v in pairs(t) do seen = seen + 1; assert(k == w and v == 1) end\n"
                        "assert(next(t) == w and next(t, w) == nil)\n"
                        "local g, n, m = {}, 0, 0\n"
                        "for i = 1, 1000 do local s = \"k\" .. i; g[s] = true; g[string.gmatch(s, \".\")] = true end\n"
                        "for k in pairs(g) do n = n + 1 end\n"
                        "local k = next(g)\n"
                        "while k ~= nil do m = m + 1; k = next(g, k) end\n"
                        "check(\"closure keys\", seen == 1 and n == 2000 and m == 2000, seen .. \" \" .. n .. \" \" .. m)",
                        "--quiet", 60);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("held     closure keys"), std::string::npos) << r.out;
}

// ---- the CPU watchdog ----

TEST(HostileSandbox, TheWatchdogStillWatchesAfterANestedCall) {
  SandboxLimits limits;
  limits.cpu_seconds = 1;
  sim::lua::Sandbox sb(scratch_dir(), limits);
  sb.protected_call("outer", [&](lua_State*) { sb.protected_call("inner", [](lua_State*) {}); });
  bool expired = false;
  sb.protected_call("runaway", [&](lua_State*) {
    const std::clock_t start = std::clock();
    while (!sim::lua::watchdog::expired() && std::clock() - start < 4 * CLOCKS_PER_SEC) {
    }
    expired = sim::lua::watchdog::expired();
  });
  EXPECT_TRUE(expired) << "a call after a nested one ran 4 s of CPU past its 1 s limit unflagged";
}

TEST(HostileSandbox, ASendCallbackLeavesTheWatchdogOnForLaterCalls) {
  // An acks=0 send completes inside p:send; its callback once ran nested in the scenario's call.
  SandboxLimits limits;
  limits.cpu_seconds = 1;
  limits.instructions = 1'000'000;  // far more than 1 s of the loop below needs; hit first only without the watchdog
  const RunResult r = run_limited("nested_watchdog",
                                  "local c = cluster { brokers = 1 }\nc:topic(\"t\")\n"
                                  "local p = c:producer(\"p\", { acks = \"0\" })\n"
                                  "local a, b = (\"x\"):rep(2e6), (\"x\"):rep(2e6)\n"
                                  "at(\"500ms\", function() p:send(\"t\") end)  -- the producer learns the topic's leader\n"
                                  "at(\"1s\", function() p:send(\"t\", { callback = function() end }) end)\n"
                                  "at(\"1500ms\", function()\n  while true do local _ = a == b end\nend)",
                                  limits);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("nested_watchdog.lua:9: CPU time limit exceeded"), std::string::npos) << r.error;
}

TEST(HostileSandbox, ASendCallbackRunsAfterTheCallThatSentAndItsErrorsEndTheRun) {
  // The callback runs at the instant the send completed, as an event of its own: never inside
  // the producer's update, so an error in it cannot leave the producer half updated and a
  // pcall around p:send cannot catch it.
  const Ran ok = run_cli("callback_order", kCluster +
                                               "local order = {}\n"
                                               "at(\"1s\", function()\n"
                                               "  p:send(\"t\", { callback = function(r) order[#order + 1] = r.outcome .. \"@\" .. now() end })\n"
                                               "  order[#order + 1] = \"sent\"\n"
                                               "end)\n"
                                               "at(\"1900ms\", function() check(\"order\", table.concat(order, \",\") ~= \"\", table.concat(order, \",\")) end)");
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("held     order: sent,ok@"), std::string::npos) << ok.out;
  const Ran acks0 = run_cli("callback_acks0", "local c = cluster { brokers = 1 }\nc:topic(\"t\")\n"
                                              "local p = c:producer(\"p\", { acks = \"0\" })\n"
                                              "local order = {}\n"
                                              "at(\"500ms\", function() p:send(\"t\") end)\n"
                                              "at(\"1s\", function()\n"
                                              "  p:send(\"t\", { callback = function(r) order[#order + 1] = r.outcome .. \"@\" .. now() end })\n"
                                              "  order[#order + 1] = \"sent\"\n"
                                              "end)\n"
                                              "at(\"1900ms\", function() check(\"order\", true, table.concat(order, \",\")) end)");
  EXPECT_EQ(acks0.code, 0) << acks0.out;
  EXPECT_NE(acks0.out.find("held     order: sent,ok@1000"), std::string::npos) << "same instant, after the call:\n" << acks0.out;
  const Ran err = run_cli("callback_error", "local c = cluster { brokers = 1 }\nc:topic(\"t\")\n"
                                            "local p = c:producer(\"p\", { acks = \"0\" })\n"
                                            "at(\"500ms\", function() p:send(\"t\") end)\n"
                                            "at(\"1s\", function()\n"
                                            "  local sent, e = pcall(p.send, p, \"t\", { callback = function() error(\"in callback\") end })\n"
                                            "  check(\"send returned\", sent, tostring(e))\n"
                                            "end)");
  EXPECT_EQ(err.code, 2) << err.out;
  EXPECT_NE(err.out.find("callback_error.lua:7: in callback"), std::string::npos) << err.out;
  EXPECT_NE(err.out.find("held     send returned"), std::string::npos) << err.out;
}

// ---- the guard against weak tables ----

TEST(HostileSandbox, TheWeakModeGuardCannotBeRemoved) {
  // The guard once lived in a field of the metatable's own metatable, which the script owns.
  expect_refused("weak_unguarded_x",
                 "local X = {}\nlocal mt = setmetatable({}, X)\nlocal t = setmetatable({}, mt)\nX.__newindex = nil\nmt.__mode = \"k\"",
                 "weak tables (__mode) are not available", 6);
  expect_refused("weak_rawset_x",
                 "local X = {}\nlocal mt = setmetatable({}, X)\nlocal t = setmetatable({}, mt)\nrawset(X, \"__newindex\", nil)\n"
                 "mt.__mode = \"k\"",
                 "weak tables", 6);
  expect_refused("weak_own_newindex",
                 "local mt = {}\nlocal t = setmetatable({}, mt)\nlocal Y = { __newindex = function() end }\nsetmetatable(mt, Y)\n"
                 "Y.__newindex = nil\nmt.__mode = \"k\"",
                 "weak tables", 7);
  expect_refused("gc_own_newindex",
                 "local mt = {}\nlocal t = setmetatable({}, mt)\nlocal Y = { __newindex = rawset }\nsetmetatable(mt, Y)\nmt.__gc = print",
                 "__gc finalizers are not available", 6);
  // rawset of __mode into a table that is not a metatable is Lua's rawset; using it as one is
  // what is refused.
  expect_refused("weak_rawset_plain", "local m = {}\nrawset(m, \"__mode\", \"k\")\nassert(m.__mode == \"k\")\nsetmetatable({}, m)",
                 "weak tables", 5);
}

TEST(HostileSandbox, AGuardedMetatableKeepsItsOwnMetatablesBehaviour) {
  // Classes whose class table has a metatable (a metaclass): every metamethod of the metaclass
  // applies to the class table as in Lua, also those added after the class was first used.
  const Ran r = run_cli("metaclass",
                        "local Base = {}\nBase.__index = Base\nfunction Base.new(cls, x) return setmetatable({ x = x }, cls) end\n"
                        "local Meta = { __index = Base, __call = function(cls, x) return cls:new(x) end,\n"
                        "  __tostring = function() return \"Meta-class\" end, __add = function() return \"added\" end,\n"
                        "  __len = function() return 42 end, __concat = function() return \"cat\" end,\n"
                        "  __eq = function() return true end, __lt = function() return true end }\n"
                        "local Derived = setmetatable({}, Meta)\nDerived.__index = Derived\n"
                        "local obj = Derived(5)\n"
                        "Meta.__unm = function() return \"neg\" end\n"
                        "local bad, e = pcall(function() return Derived * 2 end)\n"
                        "local store = {}\nlocal C = setmetatable({}, { __newindex = store, __index = function(_, k) return k .. \"!\" end })\n"
                        "setmetatable({}, C)\nC.z = 1\n"
                        "local Locked = setmetatable({}, { __metatable = \"locked\" })\nsetmetatable({}, Locked)\n"
                        "local plain = {}\nsetmetatable({}, plain)\n"
                        "local Self = {}\nSelf.__index = Self\nsetmetatable(Self, Self)\nsetmetatable({}, Self)\n"
                        "local looped, le = pcall(function() return Self.missing end)\n"
                        "check(\"calls\", obj.x == 5 and getmetatable(obj) == Derived and obj.new == Base.new)\n"
                        "check(\"metamethods\", tostring(Derived) == \"Meta-class\" and Derived + 1 == \"added\" and 1 + Derived == \"added\"\n"
                        "  and #Derived == 42 and Derived .. \"s\" == \"cat\" and Derived == {} and Derived < 1 and -Derived == \"neg\")\n"
                        "check(\"missing\", not bad and e:find(\"attempt to perform arithmetic on a table value\") ~= nil, e)\n"
                        "check(\"index and newindex\", C.foo == \"foo!\" and store.z == 1 and rawget(C, \"z\") == nil)\n"
                        "check(\"getmetatable\", getmetatable(Derived) == Meta and getmetatable(Locked) == \"locked\" and getmetatable(plain) == nil)\n"
                        "check(\"protected\", not pcall(setmetatable, Locked, {}))\n"
                        "check(\"loop\", not looped and le:find(\"metaclass.lua:%d+: '__index' chain too long; possible loop\") ~= nil, le)");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* name : {"calls", "metamethods", "missing", "index and newindex", "getmetatable", "protected", "loop"})
    EXPECT_NE(r.out.find(std::string("held     ") + name), std::string::npos) << name << "\n" << r.out;
}

// ---- the pattern matcher's work ----

TEST(HostileSandbox, PatternWorkInSetsAndReplacementsIsMetered) {
  // Each walks a long set (or a long replacement) once per character of the subject: about
  // 10^12 byte operations behind a million charged steps, until every walk was charged.
  for (const std::string body : {
           "local x = string.find((\"b\"):rep(1e6), \"[\" .. (\"a\"):rep(1e6) .. \"]\")",
           "local x = string.find((\"b\"):rep(1e6), \"[\" .. (\"a\"):rep(1e5) .. \"b]*c\")",
           "local x = string.find((\"b\"):rep(1e6), \"%f[\" .. (\"a\"):rep(1e6) .. \"]\")",
           "local x = string.gsub((\"x\"):rep(1e6), \"\", (\"%0\"):rep(1e5))",
       }) {
    const Ran r = run_cli("pattern_work", body, "--quiet", 60);
    EXPECT_EQ(r.code, 2) << body << "\n" << r.out;
    EXPECT_NE(r.out.find("pattern_work.lua:2: instruction limit exceeded"), std::string::npos) << body << "\n" << r.out;
  }
}

// ---- caps ----

TEST(HostileSandbox, TheReplicaCapHoldsAfterItsErrorIsCaught) {
  expect_refused("cap_caught",
                 "local c = cluster { brokers = 1, broker = { [\"num.partitions\"] = 150000 } }\nlocal p = c:producer(\"p\")\n"
                 "local refused = not pcall(p.send, p, \"t\")\nassert(refused)\np:send(\"t\")",
                 "cap of 100000 partition replicas", 6);
}

TEST(HostileSandbox, ClientProcessesPerRunAreCapped) {
  // A replaced member's old process stays in the world: replace() in a loop would grow the
  // model without bound, outside the Lua heap's limit. The producer and the group's first
  // member count too, so the 1,999th replacement is one too many.
  const std::string group = kCluster + "local g = c:group(\"g\", { topics = { \"t\" } })\nlocal m = g:member(1)\n";
  expect_refused("replace_loop", group + "for i = 1, 1998 do m:replace() end\nm:replace()",
                 "replace: this would take the run past kafkasim's cap of 2000 client processes", 8);
  // Scaled-away members count as well; a scale past the cap starts none of its members, so a
  // script that catches the error is still under it.
  expect_refused("scale_loop",
                 group + "g:scale(1000) g:scale(0)\nassert(not pcall(g.scale, g, 1000))\n"
                         "g:scale(999)\ng:scale(1000)",
                 "scale(n): this would take the run past kafkasim's cap of 2000 client processes", 10);
}

TEST(HostileSandbox, TextHandedToTheSimulatorIsLimited) {
  // A record value is capped as value_size is.
  expect_refused("big_value", kCluster + "local v = (\"x\"):rep(100 * 1024 * 1024 + 1)\np:send(\"t\", { value = v })",
                 "send record.value: at most 104857600 bytes (kafkasim's cap)", 6);
  // What a scenario hands over in one run is limited, like its Lua memory: notes are not kept
  // in Lua, but go into the trace.
  expect_refused("note_flood", "local v = (\"x\"):rep(10e6)\nfor i = 1, 100 do note(v) end", "text limit exceeded", 3);
  SandboxLimits small;
  small.text_bytes = 1 << 20;
  for (const std::string& flood : {std::string("for i = 1, 10 do p:send(\"t\", { value = v }) end"),
                                   std::string("for i = 1, 10 do p:send(\"t\", { key = v }) end"),
                                   std::string("for i = 1, 10 do check(\"c\", true, v) end"),
                                   std::string("for i = 1, 10 do log(v) end"),
                                   std::string("p:load { topic = \"t\", keys = { v, v, v, v } }")}) {
    const RunResult r = run_limited("text_flood", kCluster + "local v = (\"x\"):rep(300000)\n" + flood, small);
    EXPECT_EQ(r.exit_code, 2) << flood;
    EXPECT_NE(r.error.find("text_flood.lua:6: text limit exceeded"), std::string::npos) << flood << "\n" << r.error;
  }
  // The assignors' work grows with every partition of every topic: capped in all.
  expect_refused("assign_total",
                 "local topics = {}\nfor i = 1, 20 do topics[\"t\" .. i] = 10000 end\n"
                 "kafka.assign(\"range\", { topics = topics, members = { { id = \"a\", topics = { \"t1\" } } } })",
                 "kafka.assign spec.topics: at most 100000 partitions in all (kafkasim's cap)", 4);
}

// ---- error text, the same in every process ----

TEST(HostileSandbox, ErrorTextIsTheSameInEveryProcess) {
  // Lua names a function (in a traceback, in a bad-argument error of a function called from C)
  // by the first path to it in package.loaded, searched in an order it seeds per process; the
  // first key that is not a name, and the first bad topic of kafka.assign, were found in hash
  // order too.
  for (const auto& [name, body, needle] : std::vector<std::array<std::string, 3>>{
           {"trace_names", "function a() error(\"x\") end\nb = a\nlocal function c() a() end\nc()", "trace_names.lua:2: in global 'a'"},
           {"argerror_names", "alias = string.rep\nlocal _, e = pcall(alias)\nerror(e, 0)", "bad argument #1 to 'string.rep'"},
           {"key_names", "testbed { [{}] = 1, [function() end] = 2, [coroutine.create(print)] = 3 }", "keys must be names, found a function"},
           {"assign_topics", "kafka.assign(\"range\", { topics = { d = -1, c = -1, b = -1, a = -1 }, members = {} })",
            "kafka.assign spec.topics.a: a partition count"},
       }) {
    std::set<std::string> texts;
    for (int i = 0; i < 8; ++i) {
      const Ran r = run_cli(name, body);
      const size_t from = r.out.find("error: ");
      texts.insert(r.out.substr(from, r.out.find("\nscenario ") - from));
    }
    EXPECT_EQ(texts.size(), 1u) << name << ": eight processes, " << texts.size() << " texts";
    EXPECT_NE(texts.begin()->find(needle), std::string::npos) << *texts.begin();
  }
}

// ---- Lua 5.4's library ----

TEST(HostileSandbox, ReplacedLibraryFunctionsBehaveAsLua54s) {
  const Ran r = run_cli("lua54",
                        "local full = math.random(0)\n"
                        "local ok1, e1 = pcall(math.random, 1, 2, 3)\n"
                        "local ok2, e2 = pcall(math.random, 5, 1)\n"
                        "local ok3, e3 = pcall(string.rep, \"x\", 3e9)\n"
                        "local ok4, e4 = pcall(string.format, \"%.3p\", {})\n"
                        "local ok5, e5 = pcall(string.format, \"%5\")\n"
                        "local t = setmetatable({}, { __len = function() return math.maxinteger end })\n"
                        "table.insert(t, \"x\")\n"
                        "local mt = {}\nsetmetatable({}, mt)\n"
                        "check(\"random(0)\", math.type(full) == \"integer\")\n"
                        "check(\"arguments\", not ok1 and e1:find(\"wrong number of arguments\") ~= nil, e1)\n"
                        "check(\"interval\", not ok2 and e2:find(\"bad argument #1 to 'math.random' (interval is empty)\", 1, true) ~= nil, e2)\n"
                        "check(\"rep\", not ok3 and e3:find(\"resulting string too large\") ~= nil, e3)\n"
                        "check(\"%p\", not ok4 and e4:find(\"invalid conversion specification: '%.3p'\", 1, true) ~= nil, e4)\n"
                        "check(\"%5\", not ok5 and e5:find(\"bad argument #2 to\", 1, true) ~= nil, e5)\n"
                        "check(\"%-5p\", string.format(\"%-8p|%8p|\", {}, {}):find(\"^#%d+ +| +#%d+|$\") ~= nil)\n"
                        "check(\"insert\", rawget(t, math.mininteger) == \"x\")\n"
                        "check(\"getmetatable\", getmetatable(mt) == nil)");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* name : {"random(0)", "arguments", "interval", "rep", "%p", "%5", "%-5p", "insert", "getmetatable"})
    EXPECT_NE(r.out.find(std::string("held     ") + name), std::string::npos) << name << "\n" << r.out;
}

TEST(HostileSandbox, ARecordValueKeepsItsBytesAfterANul) {
  // Options tables were read as C strings, which end at the first NUL byte.
  const Ran r = run_cli("nul_value", kCluster +
                                         "p:send(\"t\", { value = \"a\\0b\", key = \"k\\0\" })\n"
                                         "at(\"1500ms\", function()\n"
                                         "  local rec = c:log(1, \"t\", 0)[1]\n"
                                         "  check(\"bytes\", rec ~= nil and rec.value == \"a\\0b\" and rec.key == \"k\\0\")\n"
                                         "end)");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("held     bytes"), std::string::npos) << r.out;
}

TEST(HostileSandbox, GarbageNotYetCollectedDoesNotEndARun) {
  // 35 MB alive, and forty strings of 5 MB, one alive at a time, under a 64 MiB limit. Lua's
  // collector starts a cycle when the heap has doubled since the last one: until then the
  // bytes in use cross the limit with garbage.
  SandboxLimits limits;
  limits.memory_bytes = 64u << 20;
  const RunResult r = run_limited("garbage",
                                  "local keep = (\"k\"):rep(35e6)\nfor i = 1, 40 do local s = (\"x\"):rep(5e6) .. i end\n"
                                  "check(\"done\", #keep == 35e6)",
                                  limits);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  // What is alive still counts.
  const RunResult live = run_limited("live", "local keep = {}\nfor i = 1, 20 do keep[i] = (\"x\"):rep(20e6) .. i end", limits);
  EXPECT_EQ(live.exit_code, 2);
  EXPECT_NE(live.error.find("live.lua:3: memory limit exceeded"), std::string::npos) << live.error;
}

TEST(HostileSandbox, RequireReadsOnlyRegularFiles) {
  // A named pipe beside the scenario: opening it waits for a writer that never comes, in a
  // call no CPU limit can stop.
  const auto fifo = scratch_dir() / "hostile" / "pipe_module.lua";
  std::filesystem::create_directories(fifo.parent_path());
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  expect_refused("requires_fifo", "require \"pipe_module\"", "require \"pipe_module\": no file");
}
