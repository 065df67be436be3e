// Scripts that attack the sandbox itself: its stack discipline, its limits, its guards. Each
// test names the promise of docs/lua-reference.md#the-sandbox it holds the sandbox to.
#include <gtest/gtest.h>

#include <string>

#include "hostile_helpers.hpp"

using namespace kafkasim_test;

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

