// The Consumer groups view's data (reports/groups_data.hpp): lanes, assignment segments,
// rebalance pauses of each kind, commits and lag, from events as a run emits them.
#include <gtest/gtest.h>

#include "reports/groups_data.hpp"
#include "report_view_feed.hpp"

using namespace kafkasim_test;
using namespace kafka::event;

namespace {

ConsumerStart start(const char* member, const char* group) {
  return {.member = member, .group = group, .member_id = "", .generation = -1, .detail = "started"};
}
ConsumerAssigned assigned(const char* member, const char* group, int generation, const char* partitions, const char* added,
                          const char* revoked = "") {
  return {.member = member, .group = group, .member_id = member, .generation = generation, .partitions = partitions, .added = added,
          .revoked = revoked, .pause_ms = 0.0};
}
ConsumerRevoked revoked(const char* member, const char* group, int generation, const char* partitions) {
  return {.member = member, .group = group, .generation = generation, .partitions = partitions, .detail = partitions};
}
GroupState state(const char* group, const char* s, int generation, const char* protocol) {
  return {.group = group, .state = s, .generation = generation, .protocol = protocol, .leader = "", .members = "", .reason = "test"};
}
ConsumerCommit commit(const char* member, const char* group, const char* error) {
  return {.member = member, .group = group, .generation = 1, .offsets = "t-0:5", .why = "auto", .sync = false, .error = error};
}

const report::GroupsData::Member& member(const report::GroupsData& d, const char* group, const char* name) {
  return d.groups().at(group).members.at(name);
}

// Two members share t-0..t-3; a third joins and the group rebalances.
void rebalance(ViewFeed& f, const char* group, const char* protocol, bool cooperative) {
  f.at_ms(0, start("a", group));
  f.at_ms(0, start("b", group));
  f.at_ms(100, state(group, "CompletingRebalance", 1, protocol));
  f.at_ms(110, assigned("a", group, 1, "t-0,t-1", "t-0,t-1"));
  f.at_ms(110, assigned("b", group, 1, "t-2,t-3", "t-2,t-3"));
  f.at_ms(1000, start("c", group));
  f.at_ms(1010, state(group, "CompletingRebalance", 2, protocol));
  if (cooperative) {
    // Each gives up only what moves, keeps consuming the rest; c gets them in the next generation.
    f.at_ms(1020, assigned("a", group, 2, "t-0", "", "t-1"));
    f.at_ms(1020, revoked("a", group, 2, "t-1"));
    f.at_ms(1020, assigned("b", group, 2, "t-2,t-3", ""));
    f.at_ms(1500, assigned("c", group, 3, "t-1", "t-1"));
  } else {
    // Everyone gives up everything, then the new assignment comes.
    f.at_ms(1010, revoked("a", group, 1, "t-0,t-1"));
    f.at_ms(1010, revoked("b", group, 1, "t-2,t-3"));
    f.at_ms(1050, assigned("a", group, 2, "t-0", "t-0"));
    f.at_ms(1050, assigned("b", group, 2, "t-2,t-3", "t-2,t-3"));
    f.at_ms(1060, assigned("c", group, 2, "t-1", "t-1"));
  }
}

}  // namespace

TEST(ReportGroups, AnEagerRebalanceStopsEverythingEachMemberHeld) {
  report::GroupsData d;
  ViewFeed f(d);
  rebalance(f, "g", "range", false);
  const auto& a = member(d, "g", "a");
  ASSERT_EQ(a.pauses.size(), 1u);
  EXPECT_EQ(a.pauses[0].kind, "eager");
  EXPECT_EQ(a.pauses[0].partitions, "t-0,t-1");
  EXPECT_EQ(a.pauses[0].start_ns, 1'010'000'000);
  EXPECT_EQ(a.pauses[0].end_ns, 1'060'000'000) << "t-1 waits for c's assignment";
  const auto& b = member(d, "g", "b");
  ASSERT_EQ(b.pauses.size(), 1u);
  EXPECT_EQ(b.pauses[0].end_ns, 1'050'000'000) << "b's own partitions came back to it";
  // a held t-0,t-1 in generation 1, nothing between the revoke and its new assignment, then t-0.
  ASSERT_EQ(a.segments.size(), 2u);
  EXPECT_EQ(a.segments[0].partitions, "t-0,t-1");
  EXPECT_EQ(a.segments[0].generation, 1);
  EXPECT_EQ(a.segments[0].end_ns, 1'010'000'000);
  EXPECT_EQ(a.segments[1].partitions, "t-0");
  EXPECT_EQ(a.segments[1].generation, 2);
  EXPECT_EQ(a.segments[1].start_ns, 1'050'000'000);
}

TEST(ReportGroups, ACooperativeRebalanceStopsOnlyWhatMoves) {
  report::GroupsData d;
  ViewFeed f(d);
  rebalance(f, "g", "cooperative-sticky", true);
  const auto& a = member(d, "g", "a");
  ASSERT_EQ(a.pauses.size(), 1u);
  EXPECT_EQ(a.pauses[0].kind, "cooperative");
  EXPECT_EQ(a.pauses[0].partitions, "t-1");
  EXPECT_EQ(a.pauses[0].end_ns, 1'500'000'000) << "t-1 stands still until c gets it";
  EXPECT_TRUE(member(d, "g", "b").pauses.empty()) << "b moved nothing";
  // a kept t-0 throughout: its segment changes at the new generation without a gap.
  const auto& segs = a.segments;
  ASSERT_EQ(segs.size(), 2u);
  EXPECT_EQ(segs[0].end_ns, segs[1].start_ns);
  EXPECT_EQ(segs[1].partitions, "t-0");
}

TEST(ReportGroups, ACrashedProcessEndsItsLaneAndStopsItsPartitionsUntilReassigned) {
  report::GroupsData d;
  ViewFeed f(d);
  f.at_ms(0, start("a", "g"));
  f.at_ms(0, start("b", "g"));
  f.at_ms(100, state("g", "CompletingRebalance", 1, "range"));
  f.at_ms(110, assigned("a", "g", 1, "t-0", "t-0"));
  f.at_ms(110, assigned("b", "g", 1, "t-1", "t-1"));
  f.at_ms(2000, sim::event::NodeCrash{.node = "a", .unflushed = 0, .entries_lost = 0, .files_torn = 0});
  f.at_ms(2100, ConsumerStart{.member = "x", .group = "other", .member_id = "", .generation = -1, .detail = ""});
  f.at_ms(12000, GroupMemberRemoved{.group = "g", .member_id = "a", .reason = "session timeout"});
  f.at_ms(12010, assigned("b", "g", 2, "t-0,t-1", "t-0"));
  const auto& a = member(d, "g", "a");
  ASSERT_EQ(a.life.size(), 1u);
  EXPECT_EQ(a.life[0].second, 2'000'000'000);
  ASSERT_EQ(a.pauses.size(), 1u);
  EXPECT_EQ(a.pauses[0].cause, "crash");
  EXPECT_EQ(a.pauses[0].end_ns, 12'010'000'000);
  ASSERT_EQ(a.segments.size(), 1u);
  EXPECT_EQ(a.segments[0].end_ns, 2'000'000'000);
  ASSERT_EQ(a.marks.size(), 3u);
  EXPECT_EQ(a.marks[1].kind, "crash");
  EXPECT_EQ(a.marks[2].kind, "removed") << "the coordinator's removal, found by member id";
}

// A crash point (crash_at) ends the member just before its process crashes: its partitions stop
// there too, and the node.crash after it adds nothing.
TEST(ReportGroups, ACrashPointStopsThePartitionsTheMemberHeld) {
  report::GroupsData d;
  ViewFeed f(d);
  f.at_ms(0, start("a", "g"));
  f.at_ms(100, state("g", "CompletingRebalance", 1, "range"));
  f.at_ms(110, assigned("a", "g", 1, "t-0", "t-0"));
  f.at_ms(2000, ConsumerCrashPoint{.member = "a", .group = "g", .member_id = "a", .generation = 1, .detail = "after-process"});
  f.at_ms(2000, sim::event::NodeCrash{.node = "a", .unflushed = 0, .entries_lost = 0, .files_torn = 0});
  f.at_ms(5000, start("a", "g"));
  f.at_ms(5100, assigned("a", "g", 2, "t-0", "t-0"));
  const auto& a = member(d, "g", "a");
  ASSERT_EQ(a.pauses.size(), 1u);
  EXPECT_EQ(a.pauses[0].cause, "crash");
  EXPECT_EQ(a.pauses[0].start_ns, 2'000'000'000);
  EXPECT_EQ(a.pauses[0].end_ns, 5'100'000'000);
}

TEST(ReportGroups, CommitsPastTheCapAreCountedPerSecondAndFailuresStayDistinct) {
  report::GroupsData d(/*cap=*/3);
  ViewFeed f(d);
  f.at_ms(0, start("a", "g"));
  f.at_ms(100, commit("a", "g", "NONE"));
  f.at_ms(200, commit("a", "g", "REBALANCE_IN_PROGRESS"));
  f.at_ms(300, commit("a", "g", "NONE"));
  for (int i = 0; i < 5; ++i) f.at_ms(1100 + i, commit("a", "g", i == 4 ? "COORDINATOR_NOT_AVAILABLE" : "NONE"));
  const auto& a = member(d, "g", "a");
  ASSERT_EQ(a.commits.size(), 3u);
  EXPECT_FALSE(a.commits[1].ok);
  EXPECT_EQ(a.commits[1].detail, "REBALANCE_IN_PROGRESS: t-0:5");
  ASSERT_EQ(a.commit_seconds.size(), 1u);
  EXPECT_EQ(a.commit_seconds.at(1), std::make_pair(int64_t{4}, int64_t{1}));
  std::vector<std::string> said;
  d.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_EQ(said[0], "group g: the first 3 commits are drawn one by one, the other 5 counted per second");
  const auto j = d.json(2'000'000'000);
  EXPECT_EQ(j["groups"][0]["members"][0]["commit_seconds"][0], nlohmann::json::parse("[1, 4, 1]"));
}

TEST(ReportGroups, LagStaysUnderItsPointCapHoweverLongTheRun) {
  report::GroupsData d;
  ViewFeed f(d);
  f.at_ms(0, start("a", "g"));
  for (int s = 0; s < 10'000; ++s)
    f.at_ms(s * 1000.0, ConsumerLag{.member = "a", .group = "g", .topic = "t", .partition = 0, .lag = s == 5000 ? 999 : 1});
  const auto& lag = d.groups().at("g").lag.at("t-0");
  EXPECT_LE(lag.points().size(), 2000u);
  EXPECT_EQ(lag.width_ns(), 8'000'000'000) << "1 s doubled until 10,000 s fit in 2,000 points";
  int64_t top = 0;
  for (const auto& [t, v] : lag.points()) top = std::max(top, v);
  EXPECT_EQ(top, 999) << "a bucket keeps its largest sample";
  std::vector<std::string> said;
  d.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("largest per 8 s"), std::string::npos) << said[0];
}
