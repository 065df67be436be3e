// The classic group protocol as the real coordinator answers it, driven request by request
// from a probe node (a member whose every request the test writes), and as the real consumer
// lives it: static members fenced with FENCED_INSTANCE_ID (ClassicGroup.validateMember), a
// joiner with no common protocol rejected alone (ClassicGroup.supportsProtocols), a JoinGroup
// resent during CompletingRebalance answered with the current generation
// (GroupMetadataManager.classicGroupJoinExistingMember), and the client's heartbeats, poll
// timeout and fatal errors (AbstractCoordinator).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "probe_client.hpp"

namespace kafkasim_test {
namespace {

using kafka::Error;
using sim::Duration;

const std::string kGroup = "readers";
const std::string kTopic = "events";

class GroupProtocol : public ::testing::Test {
 protected:
  GroupProtocol() : c_(options()) {
    kafka::TopicSpec spec;
    spec.name = kTopic;
    spec.partitions = 4;
    spec.replication_factor = 3;
    c_.topic(spec);
    c_.offsets_topic();
  }

  static TestCluster::Options options() {
    TestCluster::Options o;
    o.broker = {{"offsets.topic.num.partitions", 3}, {"group.initial.rebalance.delay.ms", 0}};
    return o;
  }

  // A new probe node: a member whose requests the test writes.
  sim::NodeId probe(const std::string& name) {
    probes_.push_back(std::make_unique<ProbeClient>(c_, name));
    return probes_.back()->node();
  }

  // Sends `req` from `from` to the group's coordinator; returns its correlation id.
  template <typename Req>
  int32_t send(sim::NodeId from, std::shared_ptr<Req> req) {
    req->group_id = kGroup;
    return client(from).send(c_.coordinator(kGroup), req);
  }

  // The response to request `correlation_id` of probe `from`, once it came (within `limit`).
  template <typename Resp>
  const Resp* await(sim::NodeId from, int32_t correlation_id, Duration limit = Duration::seconds(5)) {
    return client(from).await<Resp>(correlation_id, limit);
  }

  static std::shared_ptr<kafka::JoinGroupRequest> join(const std::string& member_id, std::optional<std::string> instance,
                                                       std::vector<std::string> protocols = {"range"}) {
    auto req = std::make_shared<kafka::JoinGroupRequest>();
    req->member_id = member_id;
    req->group_instance_id = std::move(instance);
    req->protocols = std::move(protocols);
    req->subscription.topics = {kTopic};
    return req;
  }

  // A JoinGroup answered at once (or within the join phase): the response.
  const kafka::JoinGroupResponse* join_now(sim::NodeId from, std::shared_ptr<kafka::JoinGroupRequest> req) {
    return await<kafka::JoinGroupResponse>(from, send(from, req));
  }

  // A dynamic member's two JoinGroups (KIP-394): the second one's response.
  const kafka::JoinGroupResponse* join_dynamic(sim::NodeId from, std::vector<std::string> protocols = {"range"}) {
    const auto* first = join_now(from, join("", std::nullopt, protocols));
    if (!first || first->error != Error::MEMBER_ID_REQUIRED) return first;
    return join_now(from, join(first->member_id, std::nullopt, protocols));
  }

  Error sync(sim::NodeId from, const kafka::JoinGroupResponse& joined, std::optional<std::string> instance,
             std::vector<std::pair<std::string, std::vector<kafka::TopicPartition>>> assignments = {}) {
    auto req = std::make_shared<kafka::SyncGroupRequest>();
    req->member_id = joined.member_id;
    req->group_instance_id = std::move(instance);
    req->generation = joined.generation;
    req->assignments = std::move(assignments);
    const auto* resp = await<kafka::SyncGroupResponse>(from, send(from, req));
    return resp ? resp->error : Error::REQUEST_TIMED_OUT;
  }

  Error heartbeat(sim::NodeId from, const std::string& member_id, std::optional<std::string> instance, int32_t generation) {
    auto req = std::make_shared<kafka::HeartbeatRequest>();
    req->member_id = member_id;
    req->group_instance_id = std::move(instance);
    req->generation = generation;
    const auto* resp = await<kafka::HeartbeatResponse>(from, send(from, req));
    return resp ? resp->error : Error::REQUEST_TIMED_OUT;
  }

  Error commit(sim::NodeId from, const std::string& member_id, std::optional<std::string> instance, int32_t generation) {
    auto req = std::make_shared<kafka::OffsetCommitRequest>();
    req->member_id = member_id;
    req->group_instance_id = std::move(instance);
    req->generation = generation;
    req->offsets = {{{kTopic, 0}, 5, -1}};
    const auto* resp = await<kafka::OffsetCommitResponse>(from, send(from, req));
    return resp ? resp->error : Error::REQUEST_TIMED_OUT;
  }

  Error leave(sim::NodeId from, const std::string& member_id, std::optional<std::string> instance) {
    auto req = std::make_shared<kafka::LeaveGroupRequest>();
    req->member_id = member_id;
    req->group_instance_id = std::move(instance);
    const auto* resp = await<kafka::LeaveGroupResponse>(from, send(from, req));
    return resp ? resp->error : Error::REQUEST_TIMED_OUT;
  }

  ProbeClient& client(sim::NodeId n) {
    for (const auto& p : probes_)
      if (p->node() == n) return *p;
    throw std::logic_error("not a probe");
  }

  // The messages of kind `msg` node `n` sent.
  size_t sent(sim::NodeId n, std::string_view msg) const {
    size_t count = 0;
    for (const sim::StoredEvent* e : c_.events("net.send", n)) count += e->text("msg") == msg ? 1 : 0;
    return count;
  }

  TestCluster c_;
  std::vector<std::unique_ptr<ProbeClient>> probes_;
};

// ---- the coordinator ----

// ClassicGroup.validateMember: once a static member's instance id maps to a new member id, the
// old one is answered FENCED_INSTANCE_ID by every request that names the instance, not
// UNKNOWN_MEMBER_ID (which would send the old process back to JoinGroup to take the identity
// back: two instances taking turns).
TEST_F(GroupProtocol, AReplacedStaticMemberIsFencedByEveryRequest) {
  const sim::NodeId old_instance = probe("old"), new_instance = probe("new");
  const auto* first = join_now(old_instance, join("", "reader-a"));
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->error, Error::NONE);
  ASSERT_EQ(sync(old_instance, *first, "reader-a", {{first->member_id, {{kTopic, 0}}}}), Error::NONE);

  const auto* second = join_now(new_instance, join("", "reader-a"));
  ASSERT_NE(second, nullptr);
  ASSERT_EQ(second->error, Error::NONE);
  ASSERT_NE(second->member_id, first->member_id);

  const std::string old_id = first->member_id;
  const int32_t gen = second->generation;
  EXPECT_EQ(heartbeat(old_instance, old_id, "reader-a", gen), Error::FENCED_INSTANCE_ID);
  EXPECT_EQ(sync(old_instance, *first, "reader-a"), Error::FENCED_INSTANCE_ID);
  EXPECT_EQ(commit(old_instance, old_id, "reader-a", gen), Error::FENCED_INSTANCE_ID);
  const auto* rejoin = join_now(old_instance, join(old_id, "reader-a"));
  ASSERT_NE(rejoin, nullptr);
  EXPECT_EQ(rejoin->error, Error::FENCED_INSTANCE_ID);
  EXPECT_EQ(leave(old_instance, old_id, "reader-a"), Error::FENCED_INSTANCE_ID);
  // An instance id the group does not know: UNKNOWN_MEMBER_ID, whatever the member id.
  EXPECT_EQ(heartbeat(new_instance, second->member_id, "reader-z", gen), Error::UNKNOWN_MEMBER_ID);

  // The new instance is untouched by all of it.
  const kafka::Group* g = c_.group(kGroup);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->members.size(), 1u);
  EXPECT_TRUE(g->members.count(second->member_id));
  EXPECT_EQ(heartbeat(new_instance, second->member_id, "reader-a", gen), Error::NONE);
}

// GroupMetadataManager.classicGroupJoinNewMember: a joiner whose protocols the group's members
// do not all support is refused INCONSISTENT_GROUP_PROTOCOL at once; the group stays as it was.
TEST_F(GroupProtocol, AnIncompatibleJoinerIsRejectedAlone) {
  const sim::NodeId a = probe("a"), b = probe("b");
  const auto* joined = join_dynamic(a);
  ASSERT_NE(joined, nullptr);
  ASSERT_EQ(joined->error, Error::NONE);
  ASSERT_EQ(sync(a, *joined, std::nullopt), Error::NONE);

  const auto* refused = join_now(b, join("", std::nullopt, {"roundrobin"}));
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->error, Error::INCONSISTENT_GROUP_PROTOCOL);

  const kafka::Group* g = c_.group(kGroup);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->phase, kafka::GroupPhase::stable);
  EXPECT_EQ(g->generation, joined->generation);
  EXPECT_EQ(heartbeat(a, joined->member_id, std::nullopt, joined->generation), Error::NONE);
}

// ClassicGroupMember.matches: a member that resends its JoinGroup during CompletingRebalance
// with the same protocols and metadata (it missed the response) gets the current generation
// back; the group does not rebalance again.
TEST_F(GroupProtocol, AResentJoinDuringCompletingRebalanceGetsTheCurrentGeneration) {
  const sim::NodeId a = probe("a"), b = probe("b");
  const auto* a1 = join_dynamic(a);
  ASSERT_NE(a1, nullptr);
  ASSERT_EQ(sync(a, *a1, std::nullopt), Error::NONE);
  // b joins: a rejoins too, and the join phase completes; nobody syncs yet.
  const auto* b_id = join_now(b, join("", std::nullopt));
  ASSERT_NE(b_id, nullptr);
  ASSERT_EQ(b_id->error, Error::MEMBER_ID_REQUIRED);
  const int32_t b_join = send(b, join(b_id->member_id, std::nullopt));
  const auto* a2 = join_now(a, join(a1->member_id, std::nullopt));
  const auto* b2 = await<kafka::JoinGroupResponse>(b, b_join);
  ASSERT_TRUE(a2 && b2);
  ASSERT_EQ(b2->error, Error::NONE);
  ASSERT_EQ(c_.group(kGroup)->phase, kafka::GroupPhase::completing_rebalance);

  const auto* again = join_now(b, join(b2->member_id, std::nullopt));
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->error, Error::NONE);
  EXPECT_EQ(again->generation, b2->generation);
  EXPECT_EQ(c_.group(kGroup)->phase, kafka::GroupPhase::completing_rebalance);
  EXPECT_EQ(c_.group(kGroup)->generation, b2->generation);
}

// The metadata compared is the whole subscription: a follower that rejoins a stable group
// owning other partitions than it did makes the group rebalance (a changed subscription).
TEST_F(GroupProtocol, AFollowerRejoiningWithOtherOwnedPartitionsRebalances) {
  const sim::NodeId a = probe("a"), b = probe("b");
  const auto* a1 = join_dynamic(a);
  ASSERT_NE(a1, nullptr);
  ASSERT_EQ(sync(a, *a1, std::nullopt), Error::NONE);
  const auto* b_id = join_now(b, join("", std::nullopt));
  ASSERT_NE(b_id, nullptr);
  const int32_t b_join = send(b, join(b_id->member_id, std::nullopt));
  const auto* a2 = join_now(a, join(a1->member_id, std::nullopt));
  const auto* b2 = await<kafka::JoinGroupResponse>(b, b_join);
  ASSERT_TRUE(a2 && b2);
  const std::string leader = a2->leader == a2->member_id ? "a" : "b";
  ASSERT_EQ(leader, "a");
  ASSERT_EQ(sync(b, *b2, std::nullopt), Error::REQUEST_TIMED_OUT);  // waits for the leader
  ASSERT_EQ(sync(a, *a2, std::nullopt, {{b2->member_id, {{kTopic, 1}}}}), Error::NONE);
  c_.run_for(Duration::millis(100));
  ASSERT_EQ(c_.group(kGroup)->phase, kafka::GroupPhase::stable);

  auto rejoin = join(b2->member_id, std::nullopt);
  rejoin->subscription.owned = {{kTopic, 1}};
  rejoin->subscription.generation = b2->generation;
  send(b, rejoin);
  c_.run_for(Duration::millis(100));
  EXPECT_EQ(c_.group(kGroup)->phase, kafka::GroupPhase::preparing_rebalance);
}

// GroupMetadataManager.completeClassicGroupJoin: a static member that does not rejoin in time
// keeps its place (its session decides); only dynamic members are removed. A leader that did not
// rejoin hands the role to one that did (ClassicGroup.maybeElectNewJoinedLeader).
TEST_F(GroupProtocol, AStaticMemberThatDoesNotRejoinKeepsItsPlace) {
  const sim::NodeId s = probe("s"), d = probe("d");
  auto first = join("", "reader-s");
  first->rebalance_timeout_ms = 2000;
  const auto* s1 = join_now(s, first);
  ASSERT_NE(s1, nullptr);
  ASSERT_EQ(sync(s, *s1, "reader-s"), Error::NONE);
  const auto* d_id = join_now(d, join("", std::nullopt));
  ASSERT_NE(d_id, nullptr);
  auto second = join(d_id->member_id, std::nullopt);
  second->rebalance_timeout_ms = 2000;
  const auto* d1 = await<kafka::JoinGroupResponse>(d, send(d, second), Duration::seconds(4));
  ASSERT_NE(d1, nullptr);
  EXPECT_EQ(d1->error, Error::NONE);
  EXPECT_EQ(d1->generation, s1->generation + 1);
  EXPECT_EQ(d1->leader, d1->member_id) << "the leader that did not rejoin hands the role over";
  EXPECT_EQ(d1->members.size(), 2u) << "the absent static member is assigned to as well";
  EXPECT_TRUE(c_.group(kGroup)->members.count(s1->member_id));
}

// GroupMetadataManager.classicGroupLeaveToClassicGroup: a LeaveGroup may name a static member
// by its instance id alone (an administrator's removal), and a pending member's LeaveGroup is a
// valid leave too: either way the stable group rebalances.
TEST_F(GroupProtocol, LeaveGroupByInstanceIdOrFromAPendingMemberRebalances) {
  const sim::NodeId s = probe("s"), d = probe("d");
  const auto* s1 = join_now(s, join("", "reader-s"));
  ASSERT_NE(s1, nullptr);
  ASSERT_EQ(sync(s, *s1, "reader-s"), Error::NONE);
  c_.run_for(Duration::millis(100));
  const auto* pending = join_now(d, join("", std::nullopt));
  ASSERT_NE(pending, nullptr);
  ASSERT_EQ(pending->error, Error::MEMBER_ID_REQUIRED);
  EXPECT_EQ(leave(d, pending->member_id, std::nullopt), Error::NONE);
  EXPECT_EQ(c_.group(kGroup)->phase, kafka::GroupPhase::preparing_rebalance) << "a valid leave rebalances";

  const sim::NodeId admin = probe("admin");
  EXPECT_EQ(leave(admin, "", "reader-s"), Error::NONE);
  EXPECT_FALSE(c_.group(kGroup)->members.count(s1->member_id));
  EXPECT_EQ(leave(admin, "", "reader-s"), Error::UNKNOWN_MEMBER_ID) << "gone already";
}

// ---- the consumer ----

// AbstractCoordinator.HeartbeatThread heartbeats in every state but UNJOINED and
// PREPARING_REBALANCE: a member waiting for its assignment (COMPLETING_REBALANCE) keeps its
// session alive while the leader computes the assignment.
TEST_F(GroupProtocol, AMemberHeartbeatsWhileItWaitsForItsAssignment) {
  const sim::NodeId leader = probe("leader");
  const auto* l1 = join_dynamic(leader);
  ASSERT_NE(l1, nullptr);
  ASSERT_EQ(sync(leader, *l1, std::nullopt), Error::NONE);
  const sim::NodeId member = c_.consumer("reader-1", kGroup, {kTopic}, {{"heartbeat.interval.ms", 1000}});
  // The consumer's JoinGroup starts a rebalance; the leader rejoins and then takes 10 s to sync.
  ASSERT_TRUE(c_.run_until([&] { return c_.group(kGroup) && c_.group(kGroup)->phase == kafka::GroupPhase::preparing_rebalance; }));
  const auto* l2 = join_now(leader, join(l1->member_id, std::nullopt));
  ASSERT_NE(l2, nullptr);
  ASSERT_EQ(l2->error, Error::NONE);
  const size_t before = sent(member, "HeartbeatRequest");
  c_.run_for(Duration::seconds(10));
  EXPECT_FALSE(c_.consumer_at(member)->stable());
  EXPECT_GE(sent(member, "HeartbeatRequest") - before, 5u) << "heartbeats while COMPLETING_REBALANCE";
}

// AbstractCoordinator.maybeLeaveGroup: a static member whose application stops polling for
// max.poll.interval.ms sends no LeaveGroup but resets its generation and member id
// (resetGenerationOnLeaveGroup); its next poll joins again under its instance id, and the
// coordinator replaces its member id (a static rejoin, no rebalance).
TEST_F(GroupProtocol, AStaticMemberPastMaxPollIntervalRejoinsUnderItsInstanceId) {
  const sim::NodeId member = c_.consumer("reader-1", kGroup, {kTopic},
                                          {{"group.instance.id", "reader-1"}, {"max.poll.interval.ms", 5000},
                                           {"auto.offset.reset", "earliest"}});
  ASSERT_TRUE(c_.run_until([&] { return c_.consumer_at(member)->stable(); }));
  const std::string first_id = c_.consumer_at(member)->member_id();
  // One slow record: 8 s of processing, past max.poll.interval.ms.
  c_.world().invoke(member, [](sim::Node& n, sim::Context&) {
    static_cast<kafka::Consumer&>(n).set_processing_time(sim::DurationDist::constant(Duration::seconds(8)));
  });
  const sim::NodeId producer = c_.producer("feed", {});
  kafka::SendSpec one;
  one.topic = kTopic;
  one.partition = 0;
  one.value = "slow";
  c_.send(producer, one);
  ASSERT_TRUE(c_.run_until([&] { return !c_.events("consumer.poll_timeout", member).empty(); }, Duration::seconds(30)));
  // The record is processed again after the rejoin (it was never committed): quickly this time.
  c_.world().invoke(member, [](sim::Node& n, sim::Context&) {
    static_cast<kafka::Consumer&>(n).set_processing_time(sim::DurationDist::constant(Duration::millis(1)));
  });
  c_.run_for(Duration::seconds(10));
  EXPECT_EQ(sent(member, "LeaveGroupRequest"), 0u);
  EXPECT_EQ(c_.events("group.static_rejoin").size(), 1u) << "the member rejoined without its member id";
  ASSERT_TRUE(c_.consumer_at(member)->stable());
  EXPECT_NE(c_.consumer_at(member)->member_id(), first_id);
}

// A fatal JoinGroup error (FENCED_INSTANCE_ID) that arrives while the application processes a
// record is thrown by its next poll() (AbstractCoordinator.joinGroupIfNeeded): the loop stops,
// and the fenced instance never joins again to take its identity back.
TEST_F(GroupProtocol, AFatalJoinErrorDuringProcessingStopsTheNextPoll) {
  // q: a member that will not rejoin for a while, so that a rebalance waits for it.
  const sim::NodeId q = probe("q"), r = probe("r"), usurper = probe("usurper");
  const auto* q1 = join_dynamic(q, {"cooperative-sticky"});
  ASSERT_NE(q1, nullptr);
  ASSERT_EQ(sync(q, *q1, std::nullopt), Error::NONE);
  const sim::NodeId member = c_.consumer(
      "reader-1", kGroup, {kTopic},
      {{"group.instance.id", "reader-1"}, {"partition.assignment.strategy", "cooperative-sticky"},
       {"auto.offset.reset", "earliest"}, {"heartbeat.interval.ms", 500}, {"max.poll.records", 1}});
  c_.world().invoke(member, [](sim::Node& n, sim::Context&) {
    static_cast<kafka::Consumer&>(n).set_processing_time(sim::DurationDist::constant(Duration::seconds(1)));
  });
  ASSERT_TRUE(c_.run_until([&] { return c_.group(kGroup)->phase == kafka::GroupPhase::preparing_rebalance; }));
  const auto* q2 = join_now(q, join(q1->member_id, std::nullopt, {"cooperative-sticky"}));
  ASSERT_NE(q2, nullptr);
  std::vector<kafka::TopicPartition> all;
  for (int32_t p = 0; p < 4; ++p) all.push_back({kTopic, p});
  std::string member_id;
  for (const auto& m : q2->members)
    if (m.member_id != q2->member_id) member_id = m.member_id;
  ASSERT_EQ(sync(q, *q2, std::nullopt, {{member_id, all}}), Error::NONE);
  ASSERT_TRUE(c_.run_until([&] { return c_.consumer_at(member)->stable(); }));
  const sim::NodeId producer = c_.producer("feed", {});
  for (int i = 0; i < 40; ++i) {
    kafka::SendSpec s;
    s.topic = kTopic;
    s.partition = i % 4;
    s.value = "v" + std::to_string(i);
    c_.send(producer, s);
  }
  ASSERT_TRUE(c_.run_until([&] { return c_.consumer_at(member)->app_state() == kafka::AppState::processing; }));
  // r joins: a rebalance that waits for q. The consumer rejoins and goes on processing.
  const auto* r_id = join_now(r, join("", std::nullopt, {"cooperative-sticky"}));
  ASSERT_NE(r_id, nullptr);
  send(r, join(r_id->member_id, std::nullopt, {"cooperative-sticky"}));
  const size_t joins = sent(member, "JoinGroupRequest");
  ASSERT_TRUE(c_.run_until([&] { return sent(member, "JoinGroupRequest") > joins; }, Duration::seconds(10)));
  ASSERT_TRUE(c_.run_until([&] { return c_.consumer_at(member)->app_state() == kafka::AppState::processing; }));
  // Another instance with its identity replaces it: its pending JoinGroup is answered
  // FENCED_INSTANCE_ID while it processes a record.
  send(usurper, join("", "reader-1", {"cooperative-sticky"}));
  c_.run_for(Duration::millis(50));
  ASSERT_EQ(c_.consumer_at(member)->app_state(), kafka::AppState::processing);
  const size_t joins_when_fenced = sent(member, "JoinGroupRequest");
  c_.run_for(Duration::seconds(20));
  EXPECT_EQ(c_.consumer_at(member)->app_state(), kafka::AppState::closed);
  EXPECT_EQ(sent(member, "JoinGroupRequest"), joins_when_fenced) << "a fenced instance never rejoins";
}

}  // namespace
}  // namespace kafkasim_test
