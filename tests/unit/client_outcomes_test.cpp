// What the scenario's clients saw, read from the trace (p:acked(), p:stats(), g:processed(),
// g:stats()): the sink on its own, and through the Lua surface across client crashes.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "scenario_helpers.hpp"
#include "sim/check/client_outcomes.hpp"

using namespace kafkasim_test;
using sim::Field;
using sim::Time;
using sim::Value;

namespace {
void send(sim::Trace& t, int64_t op, const char* value, const char* key = nullptr) {
  t.emit(Time{op}, 0, "op.invoke",
         {{"process", Value("p")}, {"op", Value(op)}, {"f", Value("send")}, {"topic", Value("orders")},
          {"key", Value(key ? key : "")}, {"has_key", Value(key != nullptr)}, {"value", Value(value)}});
}
void outcome(sim::Trace& t, const char* kind, int64_t op, int64_t partition, int64_t offset, const char* error = "NONE",
             const char* cause = "NONE") {
  t.emit(Time{100 + op}, 0, kind,
         {{"process", Value("p")}, {"op", Value(op)}, {"f", Value("send")}, {"partition", Value(partition)},
          {"offset", Value(offset)}, {"error", Value(error)}, {"cause", Value(cause)}});
}
}  // namespace

TEST(ClientOutcomes, ProducerOutcomesPairInvocationsWithCompletions) {
  sim::Trace t;
  check::ClientOutcomes seen;
  t.add_sink(&seen);
  send(t, 0, "a", "k");
  send(t, 1, "b");
  send(t, 2, "c");
  send(t, 3, "d");
  outcome(t, "op.ok", 1, 2, 40);  // acknowledgements in the order they came, not the order sent
  outcome(t, "op.ok", 0, 0, 7);
  outcome(t, "op.info", 2, -1, -1, "REQUEST_TIMED_OUT", "NOT_LEADER_OR_FOLLOWER");
  outcome(t, "op.fail", 3, -1, -1, "RECORD_TOO_LARGE");
  outcome(t, "op.ok", 3, 0, 8);  // a second outcome of one operation is not counted twice

  const auto& p = seen.producer("p");
  EXPECT_EQ(p.sent, 4u);
  EXPECT_EQ(p.ok, 2u);
  EXPECT_EQ(p.indefinite, 1u);
  EXPECT_EQ(p.failed, 1u);
  ASSERT_EQ(p.acked.size(), 2u);
  EXPECT_EQ(seen.text(p.acked[0].value), "b");
  EXPECT_FALSE(p.acked[0].has_key);
  EXPECT_EQ(p.acked[0].partition, 2);
  EXPECT_EQ(p.acked[0].offset, 40);
  EXPECT_EQ(seen.text(p.acked[1].value), "a");
  EXPECT_EQ(seen.text(p.acked[1].key), "k");
  EXPECT_EQ(seen.topic(p.acked[1].topic), "orders");
  EXPECT_EQ(p.errors.at("REQUEST_TIMED_OUT"), 1u);
  EXPECT_EQ(p.errors.at("RECORD_TOO_LARGE"), 1u);
  // The cause is the broker's error behind a timeout, else the error itself.
  EXPECT_EQ(p.causes.at("NOT_LEADER_OR_FOLLOWER"), 1u);
  EXPECT_EQ(p.causes.at("RECORD_TOO_LARGE"), 1u);
  // Latency from the invocation to the acknowledgement, of acknowledged sends only.
  ASSERT_EQ(p.latencies_ns.size(), 2u);
  EXPECT_EQ(p.latencies_ns[0], 100);
  EXPECT_EQ(p.latencies_ns[1], 100);
  EXPECT_EQ(seen.next_op("p"), 4u);
  EXPECT_EQ(seen.next_op("never-seen"), 0u);
  EXPECT_EQ(seen.producer("never-seen").sent, 0u);
}

TEST(ClientOutcomes, GroupOutcomesCountWhatEveryMemberDid) {
  sim::Trace t;
  check::ClientOutcomes seen;
  t.add_sink(&seen);
  auto processed = [&](const char* member, int64_t offset) {
    t.emit(Time{offset}, 0, "consumer.processed",
           {{"member", Value(member)}, {"group", Value("g")}, {"op", Value(0)}, {"key", Value("k")}, {"topic", Value("t")},
            {"partition", Value(1)}, {"offset", Value(offset)}, {"value", Value("v")}});
  };
  processed("g-1", 5);
  processed("g-2", 6);
  t.emit(Time{7}, 0, "consumer.assigned", {{"member", Value("g-1")}, {"group", Value("g")}});
  t.emit(Time{8}, 0, "consumer.assigned", {{"member", Value("g-2")}, {"group", Value("g")}});
  t.emit(Time{9}, 0, "consumer.unblocked", {{"member", Value("g-1")}, {"group", Value("g")}, {"blocked", Value(1'500'000)}});
  t.emit(Time{9}, 0, "consumer.unblocked", {{"member", Value("g-2")}, {"group", Value("g")}, {"blocked", Value(500'000)}});
  t.emit(Time{10}, 0, "consumer.commit", {{"member", Value("g-1")}, {"group", Value("g")}, {"error", Value("NONE")}});
  t.emit(Time{11}, 0, "consumer.commit", {{"member", Value("g-1")}, {"group", Value("g")}, {"error", Value("ILLEGAL_GENERATION")}});
  t.emit(Time{12}, 0, "consumer.truncation_detected", {{"member", Value("g-2")}, {"group", Value("g")}});
  t.emit(Time{13}, 0, "consumer.assigned", {{"member", Value("h-1")}, {"group", Value("h")}});
  t.emit(Time{14}, 0, "consumer.fatal", {{"member", Value("g-2")}, {"group", Value("g")}, {"detail", Value("Heartbeat: FENCED_INSTANCE_ID")}});

  const auto& g = seen.group("g");
  ASSERT_EQ(g.processed.size(), 2u);
  EXPECT_EQ(seen.member(g.processed[1].member), "g-2");
  EXPECT_EQ(g.processed[1].offset, 6);
  EXPECT_EQ(g.processed[1].time_ns, 6);
  EXPECT_EQ(seen.text(g.processed[0].key), "k");
  EXPECT_EQ(g.assignments, 2u) << "another group's rebalance is not this one's";
  EXPECT_EQ(g.blocked_ns, 2'000'000);
  EXPECT_EQ(g.commits, 1u);
  EXPECT_EQ(g.commits_failed, 1u);
  EXPECT_EQ(g.commit_errors.size(), 1u);
  EXPECT_EQ(g.commit_errors.at("ILLEGAL_GENERATION"), 1u);
  EXPECT_EQ(g.truncations, 1u);
  ASSERT_EQ(g.fatal_errors.size(), 1u);
  EXPECT_EQ(g.fatal_errors.at("FENCED_INSTANCE_ID"), 1u) << "counted by error, whichever request met it";
}

TEST(ClientOutcomes, RestartedClientsContinueTheirOperationsAndKeepTheirHistory) {
  // What a crashed producer or member saw stays in the trace, and its successor numbers its
  // operations on from where it stopped, so generated values stay unique.
  auto r = run_text("restarts.lua", R"(
scenario { name = "restarts", duration = "30s" }
local c = cluster { brokers = 3, network = { latency = "1ms" },
                   broker = { ["offsets.topic.num.partitions"] = 4, ["group.initial.rebalance.delay.ms"] = 1000 } }
c:topic("t", { partitions = 2, replication_factor = 3 })
local p = c:producer("p", { acks = "all" })
local g = c:group("g", { members = 2, topics = { "t" }, commit = "after-process", ["auto.offset.reset"] = "earliest",
                         ["session.timeout.ms"] = 6000, ["heartbeat.interval.ms"] = 1000 })
-- The group forms in two windows of the initial delay (about 2 s), before the crash.
at("2s", function() p:load { topic = "t", rate = 100, count = 50 } end)
at("4s", function() p:crash() g:member(1):crash() end)
at("5s", function() p:restart() g:member(1):restart() end)
at("7s", function() p:load { topic = "t", rate = 100, count = 50 } end)
at("29s", function()
  local values, distinct = {}, 0
  for _, a in ipairs(p:acked()) do
    if not values[a.value] then distinct = distinct + 1 end
    values[a.value] = true
  end
  check("both incarnations' sends are counted", p:stats().sent == 100 and p:stats().ok == 100, p:stats().sent .. " sent")
  check("generated values are unique across the restart", distinct == 100 and values["p-99"], distinct .. " distinct")
  check("every record was processed, by either incarnation", g:stats().processed >= 100, g:stats().processed .. " processed")
  check("the crash and restart rebalanced the group", g:stats().assignments >= 4, g:stats().assignments .. " assignments")
end)
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.checks.size(), 4u);
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
}

TEST(ClientOutcomes, StatsShowLatencyPercentilesAndCommits) {
  // p:stats().latency_ms: nearest-rank percentiles of acknowledged sends' latencies (an empty
  // table before the first); g:stats().commits and commits_failed count consumer.commit events.
  // acks=all over 5 ms links: the leader's append plus a follower's fetch, at least 10 ms.
  sim::MemorySink events;
  sim::lua::RunOptions o;
  o.sinks = {&events};
  auto r = run_text("latency.lua", R"(
scenario { name = "latency", duration = "10s" }
local c = cluster { brokers = 3, network = { latency = "5ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local p = c:producer("p", { acks = "all" })
local g = c:group("g", { members = 1, topics = { "t" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
check("no latency before an acknowledgement", next(p:stats().latency_ms) == nil)
at("1s", function() p:load { topic = "t", rate = 100, count = 200 } end)
at("9s", function()
  local l = p:stats().latency_ms
  check("percentiles in order", l.p50 >= 10 and l.p50 <= l.p99 and l.p99 <= l.max, string.format("%g %g %g", l.p50, l.p99, l.max))
  note(string.format("%.6f", l.max))
  local s = g:stats()
  check("commits counted", s.commits > 0 and s.commits_failed == 0, s.commits .. " " .. s.commits_failed)
  note(tostring(s.commits))
end)
)",
                    o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
  // The largest latency and the commit count, from the trace itself.
  std::map<int64_t, int64_t> invoked;
  int64_t max_ns = 0, commits = 0;
  for (const auto* e : events.of_kind("op.invoke"))
    if (e->text("f") == "send") invoked[e->integer("op")] = e->time.ns;
  for (const auto* e : events.of_kind("op.ok"))
    if (e->text("f") == "send") max_ns = std::max(max_ns, e->time.ns - invoked.at(e->integer("op")));
  for (const auto* e : events.of_kind("consumer.commit")) commits += e->text("error") == "NONE" ? 1 : 0;
  std::vector<std::string> noted;
  for (const auto* e : events.of_kind("note")) noted.push_back(e->text("text"));
  ASSERT_EQ(noted.size(), 2u);
  EXPECT_EQ(noted[0], fmt::format("{:.6f}", static_cast<double>(max_ns) / 1e6));
  EXPECT_EQ(noted[1], std::to_string(commits));
}

TEST(ClientOutcomes, BlockedTimeIsTheTimeMembersWaitedInRebalances) {
  // A member joining a stable group makes the eager members holding partitions stop until the
  // rebalance completes: g:stats().blocked_ms is the sum of those waits, read from
  // consumer.unblocked events.
  sim::MemorySink events;
  sim::lua::RunOptions o;
  o.sinks = {&events};
  auto r = run_text("blocked.lua", R"(
scenario { name = "blocked", duration = "20s" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("t", { partitions = 4, replication_factor = 3 })
local p = c:producer("p", {})
local g = c:group("g", { members = 2, topics = { "t" }, commit = "after-process", ["auto.offset.reset"] = "earliest",
                         ["partition.assignment.strategy"] = "range" })
at("1s", function() p:load { topic = "t", rate = 200 } end)
at("8s", function() g:scale(3) end)
at("19s", function() note(string.format("%.6f", g:stats().blocked_ms)) end)
)",
                    o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  int64_t blocked = 0;
  for (const auto* e : events.of_kind("consumer.unblocked")) blocked += e->integer("blocked");
  EXPECT_GT(blocked, 0) << "the rebalance paused the members holding partitions";
  std::string noted;
  for (const auto* e : events.of_kind("note")) noted = e->text("text");
  EXPECT_EQ(noted, fmt::format("{:.6f}", static_cast<double>(blocked) / 1e6));
}

TEST(ClientOutcomes, TextsComeBackByteForByte) {
  // Generated texts are kept as a name and a number, others as bytes; either way what goes in
  // comes out, including texts that only look generated.
  check::TextArena arena;
  const std::string big(3 << 20, 'x');  // longer than a chunk
  const std::vector<std::string> texts = {"",         "orders-17", "key-0",     "a-01",   "x-",    "-5",
                                          "a-b-12",   "k-9999999999999999999", "k-18446744073709551616",
                                          "k--1",     std::string("n\0ul-3", 6), "plain", big, "after-big", "orders-18"};
  std::vector<check::TextArena::Piece> pieces;
  for (const auto& t : texts) pieces.push_back(arena.add(t));
  for (size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(arena.get(pieces[i]), texts[i]) << i;
}
