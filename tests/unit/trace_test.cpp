#include <gtest/gtest.h>

#include <sstream>

#include "sim/trace.hpp"

using namespace sim;

TEST(Trace, HashDependsOnEveryPartOfAnEvent) {
  auto hash_of = [](Time t, NodeId n, std::string_view kind, std::initializer_list<Field> f) {
    Trace tr;
    tr.emit(t, n, kind, f);
    return tr.hash();
  };
  const uint64_t base = hash_of(Time{1}, 0, "k", {{"a", Value(1)}});
  EXPECT_EQ(base, hash_of(Time{1}, 0, "k", {{"a", Value(1)}}));
  EXPECT_NE(base, hash_of(Time{2}, 0, "k", {{"a", Value(1)}}));
  EXPECT_NE(base, hash_of(Time{1}, 1, "k", {{"a", Value(1)}}));
  EXPECT_NE(base, hash_of(Time{1}, 0, "j", {{"a", Value(1)}}));
  EXPECT_NE(base, hash_of(Time{1}, 0, "k", {{"b", Value(1)}}));
  EXPECT_NE(base, hash_of(Time{1}, 0, "k", {{"a", Value(2)}}));
  EXPECT_NE(base, hash_of(Time{1}, 0, "k", {{"a", Value("1")}})) << "types are part of the hash";
  EXPECT_NE(base, hash_of(Time{1}, 0, "k", {{"a", Value(1)}, {"b", Value(true)}}));
}

TEST(Trace, OrderOfEventsMatters) {
  Trace a, b;
  a.emit(Time{1}, 0, "x", {});
  a.emit(Time{1}, 0, "y", {});
  b.emit(Time{1}, 0, "y", {});
  b.emit(Time{1}, 0, "x", {});
  EXPECT_NE(a.hash(), b.hash());
}

TEST(Trace, JsonlLinesCarryNamesAndEscapes) {
  std::ostringstream out;
  JsonlSink sink(out);
  Trace tr;
  tr.names().set(0, "broker-1");
  tr.add_sink(&sink);
  tr.emit(Time{1500}, 0, "note", {{"text", Value("say \"hi\"\n")}, {"n", Value(-3)}, {"ok", Value(false)}, {"r", Value(0.5)}});
  tr.emit(Time{2000}, kNoNode, "fault.heal", {});
  tr.finish();
  EXPECT_EQ(out.str(),
            "{\"seq\":0,\"t\":1500,\"node\":\"broker-1\",\"kind\":\"note\",\"text\":\"say \\\"hi\\\"\\n\",\"n\":-3,\"ok\":false,\"r\":0.5}\n"
            "{\"seq\":1,\"t\":2000,\"node\":null,\"kind\":\"fault.heal\"}\n");
}

TEST(Trace, MemorySinkKeepsOwnedCopies) {
  MemorySink mem;
  Trace tr;
  tr.add_sink(&mem);
  {
    std::string temporary = "volatile text";
    tr.emit(Time{1}, 2, "k", {{"s", Value(temporary)}, {"i", Value(42)}});
  }
  ASSERT_EQ(mem.events().size(), 1u);
  EXPECT_EQ(mem.events()[0].text("s"), "volatile text");
  EXPECT_EQ(mem.events()[0].integer("i"), 42);
  EXPECT_EQ(mem.of_kind("k").size(), 1u);
  EXPECT_EQ(tr.events(), 1u);
}
