// The classic group coordinator. When a group's join phase ends, on real nodes: the initial
// rebalance of an empty group
// waits in windows of group.initial.rebalance.delay.ms, one more for each window in which a new
// member joined, until the rebalance timeout is used up (GroupMetadataManager.prepareRebalance
// and tryCompleteInitialRebalanceElseSchedule; the Scala coordinator's InitialDelayedJoin).
#include <gtest/gtest.h>

#include <algorithm>

#include "broker_model/group/group_coordinator.hpp"
#include "node_harness.hpp"

namespace kafkasim_test {
namespace {

using sim::Duration;

const std::string kTopic = "orders";

kafka::TopicSpec orders() { return one_partition_topic(kTopic); }

// The time of the group's first state change with `state`, or nothing.
std::optional<sim::Time> first(const TestCluster& c, const std::string& state) {
  for (const sim::StoredEvent* e : c.events("group.state"))
    if (e->field("state")->s == state) return e->time;
  return std::nullopt;
}

struct Rebalance {
  sim::Time started, completed;
};

// Starts one member, a second `second_after` later, and runs until the first join completes.
Rebalance initial_rebalance(Duration second_after, const Settings& consumer) {
  TestCluster::Options o;
  o.broker = {{"offsets.topic.num.partitions", 1}, {"group.initial.rebalance.delay.ms", 3000}};
  TestCluster c(o);
  c.topic(orders());
  c.consumer("readers-1", "readers", {kTopic}, consumer);
  EXPECT_TRUE(c.run_until([&] { return first(c, "PreparingRebalance").has_value(); }));
  c.run_for(second_after);
  c.consumer("readers-2", "readers", {kTopic}, consumer);
  EXPECT_TRUE(c.run_until([&] { return first(c, "CompletingRebalance").has_value(); }, Duration::seconds(30)));
  return {*first(c, "PreparingRebalance"), first(c, "CompletingRebalance").value_or(sim::Time{})};
}

TEST(GroupTiming, ANewcomerInTheFirstWindowAddsAWholeSecondWindow) {
  const Rebalance r = initial_rebalance(Duration::seconds(1), {});
  EXPECT_EQ(r.completed - r.started, Duration::seconds(6)) << "two windows of 3 s, not 3 s after the newcomer";
}

TEST(GroupTiming, TheFirstWindowIsTheWholeDelayEvenPastTheRebalanceTimeout) {
  // max.poll.interval.ms is the rebalance timeout: 2 s leaves no time for a second window, but
  // the first is still the full 3 s.
  const Rebalance r = initial_rebalance(Duration::seconds(1), {{"max.poll.interval.ms", 2000}});
  EXPECT_EQ(r.completed - r.started, Duration::seconds(3));
}

// A later rebalance waits for the members at most the rebalance timeout, the largest
// max.poll.interval.ms among them (GroupMetadataManager.maybeCompleteJoinElseSchedule), and
// removes whoever did not rejoin (completeClassicGroupJoin); it ends on the millisecond, not on
// the coordinator's next tick.
TEST(GroupTiming, ALaterRebalanceEndsAtTheRebalanceTimeout) {
  TestCluster::Options o;
  o.broker = {{"offsets.topic.num.partitions", 1}, {"group.initial.rebalance.delay.ms", 0}};
  TestCluster c(o);
  c.topic(orders());
  const Settings slow_to_leave = {{"session.timeout.ms", 60000}, {"max.poll.interval.ms", 10007}};
  c.consumer("readers-1", "readers", {kTopic}, slow_to_leave);
  const sim::NodeId second = c.consumer("readers-2", "readers", {kTopic}, slow_to_leave);
  auto stable_generation = [&](int64_t generation) {
    for (const sim::StoredEvent* e : c.events("group.state"))
      if (e->field("state")->s == "Stable" && e->field("generation")->i >= generation) return true;
    return false;
  };
  auto states_text = [&] {
    std::string out;
    for (const sim::StoredEvent* e : c.events("group.state"))
      out += e->field("state")->s + "/" + std::to_string(e->field("generation")->i) + " ";
    return out;
  };
  ASSERT_TRUE(c.run_until([&] { return stable_generation(1); })) << states_text();
  c.run_for(Duration::seconds(5));
  const size_t before = c.events("group.state").size();
  c.world().pause(second);
  c.consumer("readers-3", "readers", {kTopic}, slow_to_leave);
  ASSERT_TRUE(c.run_until([&] {
    const auto states = c.events("group.state");
    for (size_t i = before; i < states.size(); ++i)
      if (states[i]->field("state")->s == "CompletingRebalance") return true;
    return false;
  }, Duration::seconds(30)));
  const auto states = c.events("group.state");
  std::optional<sim::Time> prepared, completed;
  for (size_t i = before; i < states.size(); ++i) {
    if (!prepared && states[i]->field("state")->s == "PreparingRebalance") prepared = states[i]->time;
    if (!completed && states[i]->field("state")->s == "CompletingRebalance") completed = states[i]->time;
  }
  ASSERT_TRUE(prepared && completed) << states_text();
  EXPECT_EQ(*completed - *prepared, Duration::millis(10007)) << "the paused member held the phase up to the rebalance timeout";
  const std::string members = states.back()->field("members")->s;
  EXPECT_EQ(std::count(members.begin(), members.end(), ','), 1) << "the paused member was removed: " << states_text();
}

// ClassicGroup.selectProtocol counts votes in a HashMap and keeps the first of equal counts in
// its iteration order: "range" (bucket 9 of 16) before "cooperative-sticky" (bucket 15),
// whichever member's preference comes first.
TEST(AssignorVote, ATieGoesToTheAssignorJavasHashMapIteratesFirst) {
  for (const bool coop_first : {false, true}) {
    kafka::Group g;
    kafka::GroupMember a, b;
    a.id = "a";
    b.id = "b";
    a.protocols = {"range", "cooperative-sticky"};
    b.protocols = {"cooperative-sticky", "range"};
    if (coop_first) std::swap(a.protocols, b.protocols);
    g.members = {{"a", a}, {"b", b}};
    EXPECT_EQ(kafka::select_protocol(g), "range") << "coop_first " << coop_first;
  }
  kafka::Group g;
  kafka::GroupMember a, b, c;
  a.protocols = {"cooperative-sticky", "range"};
  b.protocols = a.protocols;
  c.protocols = {"range", "cooperative-sticky"};
  g.members = {{"a", a}, {"b", b}, {"c", c}};
  EXPECT_EQ(kafka::select_protocol(g), "cooperative-sticky") << "the most votes win";
  c.protocols = {"roundrobin"};
  g.members["c"] = c;
  EXPECT_EQ(kafka::select_protocol(g), "") << "no assignor every member supports";
}

}  // namespace
}  // namespace kafkasim_test
