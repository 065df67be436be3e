// Kafka's own assignor tests, turned into unit tests of kafka::assign. Each test names the Java test
// it comes from (Kafka trunk, clients/src/test/java/org/apache/kafka/clients/consumer/):
// RangeAssignorTest, RoundRobinAssignorTest, StickyAssignorTest, CooperativeStickyAssignorTest,
// internals/AbstractStickyAssignorTest and internals/AbstractPartitionAssignorTest. Expected
// assignments are Kafka's; where Kafka asserts properties (validity, balance, stickiness) over
// generated input, the same properties are checked, with seeded generators instead of Random().
//
// Kafka's tests pass a HashMap of subscriptions; `Group` below keeps the members in the order of
// their first put, which is the insertion order the assignors' HashMap emulation needs.
#include "broker_model/group/assignors.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "broker_model/group/java_collections.hpp"

namespace {

using kafka::Assignment;
using kafka::AssignorFailure;
using kafka::MemberSubscription;
using kafka::TopicPartition;
using Partitions = std::vector<TopicPartition>;
using Topics = std::map<std::string, int32_t>;  // topic -> partition count
using Names = std::vector<std::string>;

TopicPartition tp(const std::string& topic, int32_t partition) { return {topic, partition}; }

Partitions sorted(Partitions list) {
  std::sort(list.begin(), list.end());
  return list;
}

// "t1-0, t1-3, t2-0" (the notation of Kafka's rack tests), sorted.
Partitions parse(const std::string& text) {
  Partitions list;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    const size_t dash = item.rfind('-');
    list.push_back({item.substr(0, dash), std::stoi(item.substr(dash + 1))});
  }
  return sorted(list);
}

MemberSubscription member(const std::string& id, Names topics, Partitions owned = {},
                          int32_t generation = -1) {
  MemberSubscription m;
  m.member_id = id;
  m.topics = std::move(topics);
  m.owned = std::move(owned);
  m.generation = generation;
  return m;
}

MemberSubscription static_member(const std::string& id, const std::string& instance, Names topics) {
  MemberSubscription m = member(id, std::move(topics));
  m.group_instance_id = instance;
  return m;
}

// The subscriptions HashMap of Kafka's tests: put replaces a member in place or appends it.
class Group {
 public:
  Group() = default;
  Group(std::initializer_list<MemberSubscription> members) {
    for (const auto& m : members) put(m);
  }
  void put(const MemberSubscription& m) {
    for (auto& existing : members_) {
      if (existing.member_id == m.member_id) {
        existing = m;
        return;
      }
    }
    members_.push_back(m);
  }
  void remove(const std::string& id) {
    std::erase_if(members_, [&](const MemberSubscription& m) { return m.member_id == id; });
  }
  MemberSubscription& at(const std::string& id) {
    for (auto& m : members_)
      if (m.member_id == id) return m;
    throw std::out_of_range(id);
  }
  const std::vector<MemberSubscription>& members() const { return members_; }
  size_t size() const { return members_.size(); }

 private:
  std::vector<MemberSubscription> members_;
};

size_t count_topic(const Partitions& list, const std::string& topic) {
  return static_cast<size_t>(
      std::count_if(list.begin(), list.end(), [&](const TopicPartition& p) { return p.topic == topic; }));
}

bool contains_all(const Partitions& list, const Partitions& subset) {
  return std::all_of(subset.begin(), subset.end(), [&](const TopicPartition& p) {
    return std::find(list.begin(), list.end(), p) != list.end();
  });
}

size_t total_partitions(const Assignment& assignment) {
  size_t total = 0;
  for (const auto& entry : assignment) total += entry.second.size();
  return total;
}

// AbstractStickyAssignorTest.isFullyBalanced.
bool is_fully_balanced(const Assignment& assignment) {
  size_t low = SIZE_MAX;
  size_t high = 0;
  for (const auto& entry : assignment) {
    low = std::min(low, entry.second.size());
    high = std::max(high, entry.second.size());
  }
  return assignment.empty() || high - low <= 1;
}

// AbstractStickyAssignorTest.verifyValidityAndBalance: every member appears; a member only gets
// partitions of its topics; no partition twice; and two members whose loads differ by more than
// one share no topic (else a partition could have moved to the lighter one).
void expect_valid_and_balanced(const Group& group, const Assignment& assignment) {
  ASSERT_EQ(assignment.size(), group.size());
  std::set<TopicPartition> seen;
  for (const MemberSubscription& m : group.members()) {
    ASSERT_EQ(assignment.count(m.member_id), 1u) << m.member_id;
    for (const TopicPartition& p : assignment.at(m.member_id)) {
      EXPECT_NE(std::find(m.topics.begin(), m.topics.end(), p.topic), m.topics.end())
          << p.to_string() << " assigned to " << m.member_id << " which does not subscribe to it";
      EXPECT_TRUE(seen.insert(p).second) << p.to_string() << " assigned twice";
    }
  }
  for (auto a = assignment.begin(); a != assignment.end(); ++a) {
    for (auto b = std::next(a); b != assignment.end(); ++b) {
      const auto diff = static_cast<long>(a->second.size()) - static_cast<long>(b->second.size());
      if (diff >= -1 && diff <= 1) continue;
      for (const TopicPartition& p : a->second)
        EXPECT_EQ(count_topic(b->second, p.topic), 0u)
            << a->first << " (" << a->second.size() << ") and " << b->first << " (" << b->second.size()
            << ") share topic " << p.topic << ": the assignment could be more balanced";
    }
  }
}

// Every partition of every subscribed topic is assigned: for the cooperative assignor this is
// Kafka's "partitionsTransferringOwnership is empty" (nothing held back for a follow-up rebalance).
void expect_complete(const Topics& topics, const Group& group, const Assignment& assignment) {
  std::set<std::string> subscribed;
  for (const auto& m : group.members()) subscribed.insert(m.topics.begin(), m.topics.end());
  size_t expected = 0;
  for (const auto& [topic, count] : topics)
    if (subscribed.count(topic) > 0) expected += static_cast<size_t>(count);
  EXPECT_EQ(total_partitions(assignment), expected);
}

// AbstractStickyAssignor.isSticky, judged from the outside: within one topic, no two members
// trade partitions (one partition moving a -> b while another moves b -> a). A move is a kept-able
// owned partition (owner still present and subscribed) that ends with another member.
void expect_sticky(const Group& before, const Assignment& after) {
  std::map<TopicPartition, std::string> owner_before;
  for (const auto& m : before.members())
    for (const TopicPartition& p : m.owned)
      if (std::find(m.topics.begin(), m.topics.end(), p.topic) != m.topics.end())
        owner_before[p] = m.member_id;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> moves;  // topic -> (from, to)
  for (const auto& [id, list] : after)
    for (const TopicPartition& p : list)
      if (const auto it = owner_before.find(p); it != owner_before.end() && it->second != id)
        moves[p.topic].insert({it->second, id});
  for (const auto& [topic, pairs] : moves)
    for (const auto& [from, to] : pairs)
      EXPECT_EQ(pairs.count({to, from}), 0u) << from << " and " << to << " trade partitions of " << topic;
}

// Kafka's getTopicName / getConsumerName: prefix + number zero-padded to the width of max.
std::string canonical(const std::string& prefix, int i, int max) {
  std::string digits = std::to_string(i);
  const size_t width = std::to_string(max).size();
  if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
  return prefix + digits;
}

// ================================================================================ RangeAssignorTest

Assignment range(const Topics& topics, const Group& group) {
  return kafka::assign("range", topics, group.members());
}

TEST(RangeAssignorTest, testOneConsumerNoTopic) {
  const Assignment a = range({}, {member("consumer1", {})});
  EXPECT_EQ(a, (Assignment{{"consumer1", {}}}));
}

TEST(RangeAssignorTest, testOneConsumerNonexistentTopic) {
  const Assignment a = range({}, {member("consumer1", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", {}}}));
}

TEST(RangeAssignorTest, testOneConsumerOneTopic) {
  const Assignment a = range({{"topic1", 3}}, {member("consumer1", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-1, topic1-2")}}));
}

TEST(RangeAssignorTest, testOnlyAssignsPartitionsFromSubscribedTopics) {
  const Assignment a = range({{"topic1", 3}, {"other", 3}}, {member("consumer1", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-1, topic1-2")}}));
}

TEST(RangeAssignorTest, testOneConsumerMultipleTopics) {
  const Assignment a = range({{"topic1", 1}, {"topic2", 2}}, {member("consumer1", {"topic1", "topic2"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic2-0, topic2-1")}}));
}

TEST(RangeAssignorTest, testTwoConsumersOneTopicOnePartition) {
  const Assignment a =
      range({{"topic1", 1}}, {member("consumer1", {"topic1"}), member("consumer2", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0")}, {"consumer2", {}}}));
}

TEST(RangeAssignorTest, testTwoConsumersOneTopicTwoPartitions) {
  const Assignment a =
      range({{"topic1", 2}}, {member("consumer1", {"topic1"}), member("consumer2", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0")}, {"consumer2", parse("topic1-1")}}));
}

TEST(RangeAssignorTest, testMultipleConsumersMixedTopics) {
  const Assignment a = range({{"topic1", 3}, {"topic2", 2}},
                             {member("consumer1", {"topic1"}), member("consumer2", {"topic1", "topic2"}),
                              member("consumer3", {"topic1"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0")},
                           {"consumer2", parse("topic1-1, topic2-0, topic2-1")},
                           {"consumer3", parse("topic1-2")}}));
}

TEST(RangeAssignorTest, testTwoConsumersTwoTopicsSixPartitions) {
  const Assignment a = range({{"topic1", 3}, {"topic2", 3}}, {member("consumer1", {"topic1", "topic2"}),
                                                              member("consumer2", {"topic1", "topic2"})});
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-1, topic2-0, topic2-1")},
                           {"consumer2", parse("topic1-2, topic2-2")}}));
}

TEST(RangeAssignorTest, testTwoStaticConsumersTwoTopicsSixPartitions) {
  // consumer-b sorts first: static members compare by group.instance.id.
  const Assignment a =
      range({{"topic1", 3}, {"topic2", 3}}, {static_member("consumer-b", "instance1", {"topic1", "topic2"}),
                                             static_member("consumer-a", "instance2", {"topic1", "topic2"})});
  EXPECT_EQ(a, (Assignment{{"consumer-b", parse("topic1-0, topic1-1, topic2-0, topic2-1")},
                           {"consumer-a", parse("topic1-2, topic2-2")}}));
}

TEST(RangeAssignorTest, testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions) {
  // The static member sorts before the dynamic one whatever their member ids.
  const Assignment a =
      range({{"topic1", 3}, {"topic2", 3}}, {static_member("consumer-b", "instance1", {"topic1", "topic2"}),
                                             member("consumer-a", {"topic1", "topic2"})});
  EXPECT_EQ(a, (Assignment{{"consumer-b", parse("topic1-0, topic1-1, topic2-0, topic2-1")},
                           {"consumer-a", parse("topic1-2, topic2-2")}}));
}

TEST(RangeAssignorTest, testStaticMemberRangeAssignmentPersistent) {
  const Topics topics{{"topic1", 5}, {"topic2", 4}};
  const Names both{"topic1", "topic2"};
  Group group{static_member("consumer1", "instance1", both), static_member("consumer2", "instance2", both),
              static_member("consumer3", "instance3", both), member("consumer4", both)};
  Assignment expected{{"consumer1", parse("topic1-0, topic1-1, topic2-0")},
                      {"consumer2", parse("topic1-2, topic2-1")},
                      {"consumer3", parse("topic1-3, topic2-2")},
                      {"consumer4", parse("topic1-4, topic2-3")}};
  EXPECT_EQ(range(topics, group), expected);

  // Replacing the dynamic member keeps the static members' assignment.
  group.remove("consumer4");
  group.put(member("consumer5", both));
  expected.erase("consumer4");
  expected["consumer5"] = parse("topic1-4, topic2-3");
  EXPECT_EQ(range(topics, group), expected);
}

// checkStaticAssignment: the assignment keyed by group.instance.id.
std::map<std::string, Partitions> by_instance(const Group& group, const Assignment& assignment) {
  std::map<std::string, Partitions> out;
  for (const auto& m : group.members())
    if (m.group_instance_id) out[*m.group_instance_id] = assignment.at(m.member_id);
  return out;
}

// The member ids of instance3 and instance2 change to consumer4 and consumer5.
void swap_member_ids(Group& group) {
  MemberSubscription moved3 = group.at("consumer3");
  moved3.member_id = "consumer4";
  group.put(moved3);
  group.remove("consumer3");
  MemberSubscription moved2 = group.at("consumer2");
  moved2.member_id = "consumer5";
  group.put(moved2);
  group.remove("consumer2");
}

TEST(RangeAssignorTest, testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges) {
  const Topics topics{{"topic1", 5}, {"topic2", 5}};
  const Names both{"topic1", "topic2"};
  Group group{static_member("consumer1", "instance1", both), static_member("consumer2", "instance2", both),
              static_member("consumer3", "instance3", both)};
  const std::map<std::string, Partitions> expected{
      {"instance1", parse("topic1-0, topic1-1, topic2-0, topic2-1")},
      {"instance2", parse("topic1-2, topic1-3, topic2-2, topic2-3")},
      {"instance3", parse("topic1-4, topic2-4")}};
  EXPECT_EQ(by_instance(group, range(topics, group)), expected);
  swap_member_ids(group);
  EXPECT_EQ(by_instance(group, range(topics, group)), expected);
}

// Three members consumer0..2, as AbstractPartitionAssignorTest.verifyRackAssignment names them.
Group three_members(const Names& t0, const Names& t1, const Names& t2,
                    const std::vector<std::string>& owned = {}) {
  Group group;
  const Names* topics[] = {&t0, &t1, &t2};
  for (int i = 0; i < 3; ++i)
    group.put(member("consumer" + std::to_string(i), *topics[i],
                     owned.empty() ? Partitions{} : parse(owned[static_cast<size_t>(i)])));
  return group;
}

Assignment expected_three(const std::string& a, const std::string& b, const std::string& c) {
  return {{"consumer0", parse(a)}, {"consumer1", parse(b)}, {"consumer2", parse(c)}};
}

// The rack tests' vectors for the cases where rack-aware logic is not used (no broker racks, no
// consumer racks, or every partition on every rack).
TEST(RangeAssignorTest, testRackAwareAssignmentWithUniformSubscription_nonRackAware) {
  const Names all{"t1", "t2", "t3"};
  EXPECT_EQ(range({{"t1", 6}, {"t2", 7}, {"t3", 2}}, three_members(all, all, all)),
            expected_three("t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "t1-2, t1-3, t2-3, t2-4, t3-1",
                           "t1-4, t1-5, t2-5, t2-6"));
}

TEST(RangeAssignorTest, testRackAwareAssignmentWithNonEqualSubscription_nonRackAware) {
  const Names all{"t1", "t2", "t3"};
  EXPECT_EQ(range({{"t1", 6}, {"t2", 7}, {"t3", 2}}, three_members(all, all, {"t1", "t3"})),
            expected_three("t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1",
                           "t1-4, t1-5"));
}

TEST(RangeAssignorTest, testRackAwareAssignmentWithUniformPartitions_nonRackAware) {
  const Names all{"t1", "t2", "t3"};
  EXPECT_EQ(range({{"t1", 5}, {"t2", 5}, {"t3", 5}}, three_members(all, all, all)),
            expected_three("t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3",
                           "t1-4, t2-4, t3-4"));
}

TEST(RangeAssignorTest, testRackAwareAssignmentWithUniformPartitionsNonEqualSubscription_nonRackAware) {
  const Names all{"t1", "t2", "t3"};
  EXPECT_EQ(range({{"t1", 5}, {"t2", 5}, {"t3", 5}}, three_members(all, all, {"t1", "t3"})),
            expected_three("t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3",
                           "t1-4, t3-4"));
}

TEST(RangeAssignorTest, testRackAwareAssignmentWithCoPartitioning_nonRackAware) {
  const Topics topics{{"t1", 6}, {"t2", 6}, {"t3", 2}, {"t4", 2}};
  Group split{member("consumer0", {"t1", "t2"}), member("consumer1", {"t1", "t2"}),
              member("consumer2", {"t3", "t4"}), member("consumer3", {"t3", "t4"})};
  EXPECT_EQ(range(topics, split), (Assignment{{"consumer0", parse("t1-0, t1-1, t1-2, t2-0, t2-1, t2-2")},
                                              {"consumer1", parse("t1-3, t1-4, t1-5, t2-3, t2-4, t2-5")},
                                              {"consumer2", parse("t3-0, t4-0")},
                                              {"consumer3", parse("t3-1, t4-1")}}));
  const Names all{"t1", "t2", "t3", "t4"};
  Group same{member("consumer0", all), member("consumer1", all), member("consumer2", all),
             member("consumer3", all)};
  EXPECT_EQ(range(topics, same), (Assignment{{"consumer0", parse("t1-0, t1-1, t2-0, t2-1, t3-0, t4-0")},
                                             {"consumer1", parse("t1-2, t1-3, t2-2, t2-3, t3-1, t4-1")},
                                             {"consumer2", parse("t1-4, t2-4")},
                                             {"consumer3", parse("t1-5, t2-5")}}));
}

TEST(RangeAssignorTest, testCoPartitionedAssignmentWithSameSubscription_nonRackAware) {
  // t7..t9 are subscribed but have no metadata.
  const Names all{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"};
  EXPECT_EQ(
      range({{"t1", 6}, {"t2", 6}, {"t3", 2}, {"t4", 2}, {"t5", 4}, {"t6", 4}}, three_members(all, all, all)),
      expected_three("t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
                     "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2", "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3"));
}

// =========================================================================== RoundRobinAssignorTest

Assignment roundrobin(const Topics& topics, const Group& group) {
  return kafka::assign("roundrobin", topics, group.members());
}

TEST(RoundRobinAssignorTest, testOneConsumerNoTopic) {
  EXPECT_EQ(roundrobin({}, {member("consumer", {})}), (Assignment{{"consumer", {}}}));
}

TEST(RoundRobinAssignorTest, testOneConsumerNonexistentTopic) {
  EXPECT_EQ(roundrobin({}, {member("consumer", {"topic"})}), (Assignment{{"consumer", {}}}));
}

TEST(RoundRobinAssignorTest, testOneConsumerOneTopic) {
  EXPECT_EQ(roundrobin({{"topic", 3}}, {member("consumer", {"topic"})}),
            (Assignment{{"consumer", parse("topic-0, topic-1, topic-2")}}));
}

TEST(RoundRobinAssignorTest, testOnlyAssignsPartitionsFromSubscribedTopics) {
  EXPECT_EQ(roundrobin({{"topic", 3}, {"other", 3}}, {member("consumer", {"topic"})}),
            (Assignment{{"consumer", parse("topic-0, topic-1, topic-2")}}));
}

TEST(RoundRobinAssignorTest, testOneConsumerMultipleTopics) {
  EXPECT_EQ(roundrobin({{"topic1", 1}, {"topic2", 2}}, {member("consumer", {"topic1", "topic2"})}),
            (Assignment{{"consumer", parse("topic1-0, topic2-0, topic2-1")}}));
}

TEST(RoundRobinAssignorTest, testTwoConsumersOneTopicOnePartition) {
  EXPECT_EQ(roundrobin({{"topic", 1}}, {member("consumer1", {"topic"}), member("consumer2", {"topic"})}),
            (Assignment{{"consumer1", parse("topic-0")}, {"consumer2", {}}}));
}

TEST(RoundRobinAssignorTest, testTwoConsumersOneTopicTwoPartitions) {
  EXPECT_EQ(roundrobin({{"topic", 2}}, {member("consumer1", {"topic"}), member("consumer2", {"topic"})}),
            (Assignment{{"consumer1", parse("topic-0")}, {"consumer2", parse("topic-1")}}));
}

TEST(RoundRobinAssignorTest, testMultipleConsumersMixedTopics) {
  EXPECT_EQ(roundrobin({{"topic1", 3}, {"topic2", 2}},
                       {member("consumer1", {"topic1"}), member("consumer2", {"topic1", "topic2"}),
                        member("consumer3", {"topic1"})}),
            (Assignment{{"consumer1", parse("topic1-0")},
                        {"consumer2", parse("topic1-1, topic2-0, topic2-1")},
                        {"consumer3", parse("topic1-2")}}));
}

TEST(RoundRobinAssignorTest, testTwoDynamicConsumersTwoTopicsSixPartitions) {
  EXPECT_EQ(roundrobin({{"topic1", 3}, {"topic2", 3}}, {member("consumer1", {"topic1", "topic2"}),
                                                        member("consumer2", {"topic1", "topic2"})}),
            (Assignment{{"consumer1", parse("topic1-0, topic1-2, topic2-1")},
                        {"consumer2", parse("topic1-1, topic2-0, topic2-2")}}));
}

TEST(RoundRobinAssignorTest, testTwoStaticConsumersTwoTopicsSixPartitions) {
  EXPECT_EQ(roundrobin({{"topic1", 3}, {"topic2", 3}},
                       {static_member("consumer-b", "instance1", {"topic1", "topic2"}),
                        static_member("consumer-a", "instance2", {"topic1", "topic2"})}),
            (Assignment{{"consumer-b", parse("topic1-0, topic1-2, topic2-1")},
                        {"consumer-a", parse("topic1-1, topic2-0, topic2-2")}}));
}

TEST(RoundRobinAssignorTest, testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions) {
  EXPECT_EQ(roundrobin({{"topic1", 3}, {"topic2", 3}},
                       {static_member("consumer-b", "instance1", {"topic1", "topic2"}),
                        member("consumer-a", {"topic1", "topic2"})}),
            (Assignment{{"consumer-b", parse("topic1-0, topic1-2, topic2-1")},
                        {"consumer-a", parse("topic1-1, topic2-0, topic2-2")}}));
}

TEST(RoundRobinAssignorTest, testStaticMemberRoundRobinAssignmentPersistent) {
  const Topics topics{{"topic1", 3}, {"topic2", 3}};
  const Names both{"topic1", "topic2"};
  Group group{static_member("consumer1", "instance1", both), static_member("consumer2", "instance2", both),
              static_member("consumer3", "instance3", both), member("consumer4", both)};
  Assignment expected{{"consumer1", parse("topic1-0, topic2-1")},
                      {"consumer2", parse("topic1-1, topic2-2")},
                      {"consumer3", parse("topic1-2")},
                      {"consumer4", parse("topic2-0")}};
  EXPECT_EQ(roundrobin(topics, group), expected);

  group.remove("consumer4");
  group.put(member("consumer5", both));
  expected.erase("consumer4");
  expected["consumer5"] = parse("topic2-0");
  EXPECT_EQ(roundrobin(topics, group), expected);
}

TEST(RoundRobinAssignorTest, testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges) {
  const Topics topics{{"topic1", 5}, {"topic2", 5}};
  const Names both{"topic1", "topic2"};
  Group group{static_member("consumer1", "instance1", both), static_member("consumer2", "instance2", both),
              static_member("consumer3", "instance3", both)};
  const std::map<std::string, Partitions> expected{
      {"instance1", parse("topic1-0, topic1-3, topic2-1, topic2-4")},
      {"instance2", parse("topic1-1, topic1-4, topic2-2")},
      {"instance3", parse("topic1-2, topic2-0, topic2-3")}};
  EXPECT_EQ(by_instance(group, roundrobin(topics, group)), expected);
  swap_member_ids(group);
  EXPECT_EQ(by_instance(group, roundrobin(topics, group)), expected);
}

// ================================================ AbstractPartitionAssignorTest and the API itself

// MemberInfo ordering, seen through roundrobin: with one partition per member the k-th member in
// MemberInfo order gets partition k.
std::vector<std::string> member_info_order(const Group& group) {
  const auto count = static_cast<int32_t>(group.size());
  const Assignment a = roundrobin({{"t", count}}, group);
  std::vector<std::string> order(group.size());
  for (const auto& [id, list] : a) order[static_cast<size_t>(list.at(0).partition)] = id;
  return order;
}

TEST(AssignorTest, testMemberInfoSortingWithoutGroupInstanceId) {
  // AbstractPartitionAssignorTest
  EXPECT_EQ(member_info_order({member("c", {"t"}), member("a", {"t"}), member("b", {"t"})}),
            (Names{"a", "b", "c"}));
}

TEST(AssignorTest, testMemberInfoSortingWithAllGroupInstanceId) {
  // AbstractPartitionAssignorTest
  EXPECT_EQ(member_info_order({static_member("a", "y", {"t"}), static_member("b", "z", {"t"}),
                               static_member("c", "x", {"t"})}),
            (Names{"c", "a", "b"}));
}

TEST(AssignorTest, testMemberInfoSortingSomeGroupInstanceId) {
  // AbstractPartitionAssignorTest
  EXPECT_EQ(
      member_info_order({member("a", {"t"}), static_member("b", "y", {"t"}), static_member("c", "x", {"t"})}),
      (Names{"c", "b", "a"}));
}

TEST(AssignorTest, testMergeSortManyMemberInfo) {
  // AbstractPartitionAssignorTest: 100 members, about half static; statics first, each half by id.
  std::mt19937 rng(42);
  Names statics;
  Names dynamics;
  std::vector<MemberSubscription> members;
  for (int i = 0; i < 100; ++i) {
    const std::string id = std::to_string(i + 100);
    const bool is_static = rng() % 2 == 0;
    members.push_back(is_static ? static_member(id, id, {"t"}) : member(id, {"t"}));
    (is_static ? statics : dynamics).push_back(id);
  }
  std::shuffle(members.begin(), members.end(), rng);
  Group group;
  for (const auto& m : members) group.put(m);
  statics.insert(statics.end(), dynamics.begin(), dynamics.end());
  EXPECT_EQ(member_info_order(group), statics);
}

TEST(AssignorTest, UnknownStrategyIsRejected) {
  EXPECT_THROW(kafka::assign("sticky2", {}, {}), std::invalid_argument);
  EXPECT_THROW(kafka::supported_protocols("uniform"), std::invalid_argument);
}

TEST(AssignorTest, InvalidInputIsRejected) {
  EXPECT_THROW(kafka::assign("range", {}, {member("a", {}), member("a", {})}), std::invalid_argument);
  EXPECT_THROW(kafka::assign("range", {{"t", -1}}, {member("a", {"t"})}), std::invalid_argument);
}

TEST(AssignorTest, SupportedProtocols) {
  // ConsumerPartitionAssignor.supportedProtocols and CooperativeStickyAssignor's override.
  using P = kafka::RebalanceProtocol;
  for (const char* eager_only : {"range", "roundrobin", "sticky"})
    EXPECT_EQ(kafka::supported_protocols(eager_only), (std::vector<P>{P::eager})) << eager_only;
  EXPECT_EQ(kafka::supported_protocols("cooperative-sticky"), (std::vector<P>{P::cooperative, P::eager}));
}

TEST(AssignorTest, EmptyGroupGetsEmptyAssignment) {
  for (const char* strategy : {"range", "roundrobin", "sticky", "cooperative-sticky"})
    EXPECT_TRUE(kafka::assign(strategy, {{"t", 3}}, {}).empty()) << strategy;
}

TEST(AssignorTest, TopicPartitionToStringAndOrder) {
  EXPECT_EQ(tp("topic", 3).to_string(), "topic-3");
  EXPECT_LT(tp("a", 9), tp("b", 0));
  EXPECT_LT(tp("a", 1), tp("a", 2));
}

// ==================================================================== JavaHashMap emulation

TEST(JavaHashMapTest, StringHashCodeMatchesJava) {
  // Values printed by Java's String.hashCode.
  EXPECT_EQ(kafka::java::string_hash(""), 0);
  EXPECT_EQ(kafka::java::string_hash("a"), 97);
  EXPECT_EQ(kafka::java::string_hash("hello"), 99162322);
  EXPECT_EQ(kafka::java::string_hash("consumer1"), -421004549);
  EXPECT_EQ(kafka::java::string_hash("topic"), 110546223);
  EXPECT_EQ(kafka::java::string_hash("\xc3\xa9"), 233);              // U+00E9: one UTF-16 unit
  EXPECT_EQ(kafka::java::string_hash("\xf0\x9f\x98\x80"), 1772899);  // U+1F600: a surrogate pair
}

TEST(JavaHashMapTest, StringCompareIsUtf16Order) {
  EXPECT_LT(kafka::java::compare("consumer1", "consumer2"), 0);
  EXPECT_EQ(kafka::java::compare("x", "x"), 0);
  // U+FFFF against U+1F600: UTF-8 bytes order them one way, Java's UTF-16 units the other.
  EXPECT_GT(kafka::java::compare("\xef\xbf\xbf", "\xf0\x9f\x98\x80"), 0);
}

std::vector<std::string> hash_order(const std::vector<std::string>& keys) {
  kafka::java::HashOrder<std::string> map;
  for (const auto& key : keys) map.insert(key, kafka::java::string_hash(key));
  return map.keys();
}

TEST(JavaHashMapTest, ConsumerIdsIterateInBucketOrder) {
  // "consumer1".."consumer4" land in buckets 12, 11, 10, 9 of 16.
  EXPECT_EQ(hash_order({"consumer1", "consumer2", "consumer3", "consumer4"}),
            (Names{"consumer4", "consumer3", "consumer2", "consumer1"}));
  EXPECT_EQ(hash_order({"consumer4", "consumer2", "consumer1", "consumer3"}),
            (Names{"consumer4", "consumer3", "consumer2", "consumer1"}));
}

TEST(JavaHashMapTest, TableDoublesPastThreeQuartersFull) {
  kafka::java::HashOrder<int> map;
  for (int i = 0; i < 12; ++i) map.insert(i, i);
  EXPECT_EQ(map.capacity(), 16u);
  map.insert(12, 12);
  EXPECT_EQ(map.capacity(), 32u);
  // Integer keys hash to themselves: 16 and 0 share bucket 0 of 16 but not of 32.
  kafka::java::HashOrder<int> small;
  for (const int key : {16, 1, 0}) small.insert(key, key);
  EXPECT_EQ(small.keys(), (std::vector<int>{16, 0, 1}));  // one bucket keeps insertion order
  for (int key = 100; key < 110; ++key) small.insert(key, key);
  EXPECT_EQ(small.capacity(), 32u);
  EXPECT_EQ(small.keys().at(0), 0);  // 16 moved to bucket 16
}

TEST(JavaHashMapTest, RemovalUnlinksAndReinsertionGoesLast) {
  kafka::java::HashOrder<int> map;
  for (const int key : {0, 16, 32}) map.insert(key, key);  // all in bucket 0
  EXPECT_TRUE(map.erase(0));
  map.insert(0, 0);
  EXPECT_EQ(map.keys(), (std::vector<int>{16, 32, 0}));
  EXPECT_EQ(map.front(), 16);
}

TEST(JavaHashMapTest, NineCollidingKeysDoubleASmallTable) {
  // "Aa" and "BB" hash alike, so do all strings built from them. A ninth key in one bucket makes
  // Java resize (not treeify) a table under 64 buckets.
  Names keys;
  for (const char* a : {"Aa", "BB"})
    for (const char* b : {"Aa", "BB"})
      for (const char* c : {"Aa", "BB"})
        for (const char* d : {"Aa", "BB"}) keys.push_back(std::string(a) + b + c + d);
  keys.resize(9);
  kafka::java::HashOrder<std::string> map;
  for (size_t i = 0; i < keys.size(); ++i) {
    map.insert(keys[i], kafka::java::string_hash(keys[i]));
    EXPECT_EQ(map.capacity(), i < 8 ? 16u : 32u);
  }
  EXPECT_EQ(map.keys(), keys);  // equal hashes: insertion order
}

// ======================================================== AbstractStickyAssignorTest (both)

// Runs each test for "sticky" and "cooperative-sticky", as StickyAssignorTest and
// CooperativeStickyAssignorTest both extend AbstractStickyAssignorTest.
class AbstractStickyAssignorTest : public ::testing::TestWithParam<std::string> {
 protected:
  static constexpr int32_t kGeneration = 1;  // the tests' generationId

  bool cooperative() const { return GetParam() == "cooperative-sticky"; }

  Assignment run(const Topics& topics, const Group& group) const {
    return kafka::assign(GetParam(), topics, group.members());
  }

  // The test's verifyValidityAndBalance. For the cooperative assignor (its override) this first
  // runs follow-up rebalances, with each member owning what it was assigned, until nothing is
  // revoked; a partition must never be revoked and assigned in one rebalance. Like Kafka's, it
  // updates `group` and `assignment` to the final state.
  void verify(const Topics& topics, Group& group, Assignment& assignment) const {
    if (cooperative()) {
      for (int rebalances = 0;; ++rebalances) {
        std::set<TopicPartition> added;
        std::set<TopicPartition> revoked;
        for (const auto& m : group.members()) {
          const Partitions& assigned = assignment.at(m.member_id);
          for (const auto& p : m.owned)
            if (!contains_all(assigned, {p})) revoked.insert(p);
          for (const auto& p : assigned)
            if (!contains_all(m.owned, {p})) added.insert(p);
        }
        for (const auto& p : added)
          EXPECT_EQ(revoked.count(p), 0u) << p.to_string() << " revoked and assigned in one rebalance";
        if (revoked.empty()) break;
        ASSERT_LT(rebalances, 4);
        for (const auto& m : std::vector<MemberSubscription>(group.members()))
          group.put(member(m.member_id, m.topics, assignment.at(m.member_id), kGeneration));
        assignment = run(topics, group);
      }
    }
    expect_valid_and_balanced(group, assignment);
  }

  // The assignment returned when Kafka holds back `transferring` (partitionsTransferringOwnership)
  // from a sticky assignment `sticky`: the cooperative assignor leaves them out.
  Assignment direct(Assignment sticky, const std::set<TopicPartition>& transferring) const {
    if (cooperative())
      for (auto& entry : sticky)
        std::erase_if(entry.second, [&](const TopicPartition& p) { return transferring.count(p) > 0; });
    return sticky;
  }
};

INSTANTIATE_TEST_SUITE_P(Sticky, AbstractStickyAssignorTest,
                         ::testing::Values("sticky", "cooperative-sticky"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param == "sticky" ? std::string("sticky")
                                                          : std::string("cooperative");
                         });

TEST_P(AbstractStickyAssignorTest, testOneConsumerNoTopic) {
  Group group{member("consumer", {})};
  Assignment a = run({}, group);
  EXPECT_EQ(a, (Assignment{{"consumer", {}}}));
  verify({}, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOneConsumerNonexistentTopic) {
  const Topics topics{{"topic", 0}};
  Group group{member("consumer", {"topic"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer", {}}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOneConsumerOneTopic) {
  const Topics topics{{"topic", 3}};
  Group group{member("consumer", {"topic"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer", parse("topic-0, topic-1, topic-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOnlyAssignsPartitionsFromSubscribedTopics) {
  const Topics topics{{"topic", 2}};
  Group group{member("consumer", {"topic"}, parse("topic-0, topic-1, other-0, other-1"), kGeneration)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer", parse("topic-0, topic-1")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOneConsumerMultipleTopics) {
  const Topics topics{{"topic1", 1}, {"topic2", 2}};
  Group group{member("consumer", {"topic1", "topic2"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer", parse("topic1-0, topic2-0, topic2-1")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testTwoConsumersOneTopicOnePartition) {
  const Topics topics{{"topic", 1}};
  Group group{member("consumer1", {"topic"}), member("consumer2", {"topic"})};
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  EXPECT_TRUE(is_fully_balanced(a));
}

TEST_P(AbstractStickyAssignorTest, testTwoConsumersOneTopicTwoPartitions) {
  const Topics topics{{"topic", 2}};
  Group group{member("consumer1", {"topic"}), member("consumer2", {"topic"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-0")}, {"consumer2", parse("topic-1")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testMultipleConsumersMixedTopicSubscriptions) {
  const Topics topics{{"topic1", 3}, {"topic2", 2}};
  Group group{member("consumer1", {"topic1"}), member("consumer2", {"topic1", "topic2"}),
              member("consumer3", {"topic1"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-2")},
                           {"consumer2", parse("topic2-0, topic2-1")},
                           {"consumer3", parse("topic1-1")}}));
  verify(topics, group, a);
  EXPECT_TRUE(is_fully_balanced(a));
}

TEST_P(AbstractStickyAssignorTest, testTwoConsumersTwoTopicsSixPartitions) {
  const Topics topics{{"topic1", 3}, {"topic2", 3}};
  Group group{member("consumer1", {"topic1", "topic2"}), member("consumer2", {"topic1", "topic2"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-2, topic2-1")},
                           {"consumer2", parse("topic1-1, topic2-0, topic2-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testConsumerOwningMinQuotaExpectedMaxQuota) {
  const Topics topics{{"topic1", 2}, {"topic2", 3}};
  const Names both{"topic1", "topic2"};
  Group group{member("consumer1", both, parse("topic1-0, topic2-1"), kGeneration),
              member("consumer2", both, parse("topic1-1, topic2-2"), kGeneration)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic2-1, topic2-0")},
                           {"consumer2", parse("topic1-1, topic2-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers) {
  const Topics topics{{"topic1", 2}, {"topic2", 2}};
  const Names both{"topic1", "topic2"};
  Group group{member("consumer1", both, parse("topic1-0, topic2-0"), kGeneration),
              member("consumer2", both, parse("topic1-1, topic2-1"), kGeneration),
              member("consumer3", both, {}, kGeneration)};
  Assignment a = run(topics, group);
  // Kafka: partitionsTransferringOwnership == {topic2-0 -> consumer3}.
  const Assignment sticky{{"consumer1", parse("topic1-0")},
                          {"consumer2", parse("topic1-1, topic2-1")},
                          {"consumer3", parse("topic2-0")}};
  EXPECT_EQ(a, direct(sticky, {tp("topic2", 0)}));
  verify(topics, group, a);
  EXPECT_EQ(a, sticky);
}

TEST_P(AbstractStickyAssignorTest, testAllConsumersAreUnderMinQuota) {
  const Topics topics{{"topic1", 2}, {"topic2", 3}};
  const Names both{"topic1", "topic2"};
  Group group{member("consumer1", both, parse("topic1-0"), kGeneration),
              member("consumer2", both, parse("topic1-1"), kGeneration),
              member("consumer3", both, {}, kGeneration)};
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic2-1")},
                           {"consumer2", parse("topic1-1, topic2-2")},
                           {"consumer3", parse("topic2-0")}}));
}

TEST_P(AbstractStickyAssignorTest, testAddRemoveConsumerOneTopic) {
  const Topics topics{{"topic", 3}};
  Group group{member("consumer1", {"topic"})};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-0, topic-1, topic-2")}}));
  verify(topics, group, a);

  group.put(member("consumer1", {"topic"}, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", {"topic"}, {}, kGeneration));
  a = run(topics, group);
  const Assignment sticky{{"consumer1", parse("topic-0, topic-1")}, {"consumer2", parse("topic-2")}};
  EXPECT_EQ(a, direct(sticky, {tp("topic", 2)}));  // Kafka: transferring {topic-2 -> consumer2}
  verify(topics, group, a);
  EXPECT_EQ(a, sticky);

  group.remove("consumer1");
  group.put(member("consumer2", {"topic"}, a.at("consumer2"), kGeneration));
  a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer2", parse("topic-0, topic-1, topic-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testTopicBalanceAfterReassignment) {
  const Topics topics{{"topic1", 12}, {"topic2", 12}};
  const Names both{"topic1", "topic2"};
  const auto expect_per_topic = [](const Assignment& a, size_t each) {
    for (const auto& [id, list] : a) {
      EXPECT_EQ(count_topic(list, "topic1"), each) << id;
      EXPECT_EQ(count_topic(list, "topic2"), each) << id;
    }
  };
  Group group{member("consumer1", both)};
  Assignment a = run(topics, group);
  verify(topics, group, a);
  expect_per_topic(a, 12);

  group.put(member("consumer1", both, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", both, {}, kGeneration));
  a = run(topics, group);
  verify(topics, group, a);
  expect_per_topic(a, 6);

  group.put(member("consumer1", both, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", both, a.at("consumer2"), kGeneration));
  group.put(member("consumer3", both, {}, kGeneration));
  group.put(member("consumer4", both, {}, kGeneration));
  a = run(topics, group);
  verify(topics, group, a);
  expect_per_topic(a, 3);

  group.remove("consumer1");
  group.remove("consumer2");
  group.put(member("consumer3", both, a.at("consumer3"), kGeneration));
  group.put(member("consumer4", both, a.at("consumer4"), kGeneration));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  expect_per_topic(a, 6);
}

TEST_P(AbstractStickyAssignorTest, testAddRemoveTwoConsumersTwoTopics) {
  const Topics topics{{"topic1", 3}, {"topic2", 4}};
  const Names both{"topic1", "topic2"};
  Group group{member("consumer1", both), member("consumer2", both)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0, topic1-2, topic2-1, topic2-3")},
                           {"consumer2", parse("topic1-1, topic2-0, topic2-2")}}));
  verify(topics, group, a);

  group.put(member("consumer1", both, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", both, a.at("consumer2"), kGeneration));
  group.put(member("consumer3", both, {}, kGeneration));
  group.put(member("consumer4", both, {}, kGeneration));
  a = run(topics, group);
  const Assignment sticky{{"consumer1", parse("topic1-0, topic2-1")},
                          {"consumer2", parse("topic2-0, topic1-1")},
                          {"consumer3", parse("topic1-2, topic2-3")},
                          {"consumer4", parse("topic2-2")}};
  // Kafka: transferring {topic1-2 -> consumer3, topic2-3 -> consumer3, topic2-2 -> consumer4}.
  EXPECT_EQ(a, direct(sticky, {tp("topic1", 2), tp("topic2", 3), tp("topic2", 2)}));
  verify(topics, group, a);
  EXPECT_EQ(a, sticky);

  group.remove("consumer1");
  group.remove("consumer2");
  group.put(member("consumer3", both, a.at("consumer3"), kGeneration));
  group.put(member("consumer4", both, a.at("consumer4"), kGeneration));
  a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer3", parse("topic1-2, topic2-3, topic1-0, topic2-1")},
                           {"consumer4", parse("topic2-2, topic1-1, topic2-0")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testPoorRoundRobinAssignmentScenario) {
  Topics topics;
  for (int i = 1; i <= 5; ++i) topics["topic" + std::to_string(i)] = i % 2 + 1;
  const Names all{"topic1", "topic2", "topic3", "topic4", "topic5"};
  const Names odd{"topic1", "topic3", "topic5"};
  Group group{member("consumer1", all), member("consumer2", odd), member("consumer3", odd),
              member("consumer4", all)};
  Assignment a = run(topics, group);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testAddRemoveTopicTwoConsumers) {
  Topics topics{{"topic", 3}};
  Group group{member("consumer1", {"topic"}), member("consumer2", {"topic"})};
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  EXPECT_TRUE(is_fully_balanced(a));
  verify(topics, group, a);
  const Partitions first1 = a.at("consumer1");
  const Partitions first2 = a.at("consumer2");
  EXPECT_EQ(first1.size() + first2.size(), 3u);

  topics["topic2"] = 3;
  group.put(member("consumer1", {"topic", "topic2"}, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", {"topic", "topic2"}, a.at("consumer2"), kGeneration));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  const Partitions second1 = a.at("consumer1");
  const Partitions second2 = a.at("consumer2");
  EXPECT_EQ(second1.size(), 3u);
  EXPECT_EQ(second2.size(), 3u);
  EXPECT_TRUE(contains_all(second1, first1));
  EXPECT_TRUE(contains_all(second2, first2));

  topics.erase("topic");
  group.put(member("consumer1", {"topic2"}, a.at("consumer1"), kGeneration));
  group.put(member("consumer2", {"topic2"}, a.at("consumer2"), kGeneration));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  EXPECT_EQ(a.at("consumer1").size() + a.at("consumer2").size(), 3u);
  EXPECT_TRUE(contains_all(second1, a.at("consumer1")));
  EXPECT_TRUE(contains_all(second2, a.at("consumer2")));
}

TEST_P(AbstractStickyAssignorTest, testReassignmentAfterOneConsumerLeaves) {
  Topics topics;
  for (int i = 1; i < 20; ++i) topics[canonical("t", i, 20)] = i;
  Group group;
  for (int i = 1; i < 20; ++i) {
    Names subscribed;
    for (int j = 1; j <= i; ++j) subscribed.push_back(canonical("t", j, 20));
    group.put(member(canonical("c", i, 20), subscribed));
  }
  Assignment a = run(topics, group);
  verify(topics, group, a);

  for (const auto& m : std::vector<MemberSubscription>(group.members()))
    group.put(member(m.member_id, m.topics, a.at(m.member_id), kGeneration));
  group.remove("c10");
  const Group before = group;
  a = run(topics, group);
  expect_sticky(before, a);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testReassignmentAfterOneConsumerAdded) {
  const Topics topics{{"topic", 20}};
  Group group;
  for (int i = 1; i < 10; ++i) group.put(member(canonical("c", i, 10), {"topic"}));
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);

  // Kafka's test adds the member without passing anyone's owned partitions.
  group.put(member(canonical("c", 10, 10), {"topic"}));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testSameSubscriptions) {
  Topics topics;
  Names all;
  for (int i = 1; i < 15; ++i) {
    topics[canonical("t", i, 15)] = i;
    all.push_back(canonical("t", i, 15));
  }
  Group group;
  for (int i = 1; i < 9; ++i) group.put(member(canonical("c", i, 9), all));
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);

  for (const auto& m : std::vector<MemberSubscription>(group.members()))
    group.put(member(m.member_id, m.topics, a.at(m.member_id), kGeneration));
  group.remove(canonical("c", 5, 9));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
}

// testLargeAssignmentAndGroupWithUniformSubscription, testLargeAssignmentAndGroupWithNonEqualSubscription
// and testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout assert only that Kafka finishes within a
// timeout; they run twice (fresh, then with every member owning its partitions).
void run_twice(const std::string& strategy, const Topics& topics, Group group) {
  const Assignment first = kafka::assign(strategy, topics, group.members());
  for (const auto& m : std::vector<MemberSubscription>(group.members()))
    group.put(member(m.member_id, m.topics, first.at(m.member_id), 1));
  const Assignment second = kafka::assign(strategy, topics, group.members());
  EXPECT_EQ(second.size(), group.size());
}

TEST_P(AbstractStickyAssignorTest, testLargeAssignmentAndGroupWithUniformSubscription) {
  // Kafka: 500 topics x 2000 partitions, 2000 members (non-rack case), 30 s.
  const int topic_count = 500;
  const int member_count = 2000;
  Topics topics;
  Names all;
  for (int i = 0; i < topic_count; ++i) {
    topics[canonical("t", i, topic_count)] = 2000;
    all.push_back(canonical("t", i, topic_count));
  }
  Group group;
  for (int i = 0; i < member_count; ++i) group.put(member(canonical("c", i, member_count), all));
  run_twice(GetParam(), topics, group);
}

TEST_P(AbstractStickyAssignorTest, testLargeAssignmentAndGroupWithNonEqualSubscription) {
  // Kafka: as above with the last member subscribing to one topic, 90 s.
  const int topic_count = 500;
  const int member_count = 2000;
  Topics topics;
  Names all;
  for (int i = 0; i < topic_count; ++i) {
    topics[canonical("t", i, topic_count)] = 2000;
    all.push_back(canonical("t", i, topic_count));
  }
  Group group;
  for (int i = 0; i < member_count; ++i)
    group.put(member(canonical("c", i, member_count), i == member_count - 1 ? Names{all.front()} : all));
  run_twice(GetParam(), topics, group);
}

TEST_P(AbstractStickyAssignorTest, testAssignmentAndGroupWithNonEqualSubscriptionNotTimeout) {
  // Kafka: 100 topics x 200 partitions, 500 members in two subscription groups, 90 s.
  const int topic_count = 100;
  const int member_count = 500;
  Topics topics;
  Names first_half;
  Names second_half;
  for (int i = 0; i < topic_count; ++i) {
    topics[canonical("t", i, topic_count)] = 200;
    (i < topic_count / 2 ? first_half : second_half).push_back(canonical("t", i, topic_count));
  }
  Group group;
  for (int i = 0; i < member_count; ++i)
    group.put(member(canonical("c", i, member_count), i % 4 == 0 ? first_half : second_half));
  run_twice(GetParam(), topics, group);
}

TEST_P(AbstractStickyAssignorTest, testSubscriptionNotEqualAndAssignSamePartitionWith3Generation) {
  const Topics topics{{"topic", 6}, {"topic1", 1}};
  Group group;
  const int sequences[][3] = {{1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {2, 3, 1}, {3, 1, 2}, {3, 2, 1}};
  for (const auto& gens : sequences) {
    group.put(member("consumer1", {"topic"}, parse("topic-0, topic-2"), gens[0]));
    group.put(member("consumer2", {"topic"}, parse("topic-1, topic-2, topic-3"), gens[1]));
    group.put(member("consumer3", {"topic"}, parse("topic-2, topic-4, topic-5"), gens[2]));
    group.put(member("consumer4", {"topic1"}, parse("topic1-0"), 2));
    const Assignment a = run(topics, group);
    std::set<TopicPartition> distinct;
    for (const auto& [id, list] : a) {
      distinct.insert(list.begin(), list.end());
      EXPECT_GE(list.size(), 1u) << id;
      EXPECT_LE(list.size(), 2u) << id;
    }
    EXPECT_EQ(distinct.size(), total_partitions(a));
  }
}

// Kafka's getRandomSublist: drop a random number (less than the size) of random elements.
Names random_sublist(const Names& list, std::mt19937& rng) {
  Names out = list;
  const size_t drop = rng() % list.size();
  for (size_t i = 0; i < drop; ++i) out.erase(out.begin() + static_cast<long>(rng() % out.size()));
  return out;
}

TEST_P(AbstractStickyAssignorTest, testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription) {
  std::mt19937 rng(2024);
  const int topic_count = 40;
  const int member_count = 200;
  Topics topics;
  for (int i = 0; i < topic_count; ++i)
    topics[canonical("t", i, topic_count)] = static_cast<int32_t>(rng() % 10 + 1);
  Group group;
  for (int i = 0; i < member_count; ++i) {
    Names subscribed;
    const auto picks = static_cast<unsigned>(rng() % 20);
    for (unsigned j = 0; j < picks; ++j)
      subscribed.push_back(canonical("t", static_cast<int>(rng() % topic_count), topic_count));
    group.put(member(canonical("c", i, member_count), subscribed));
  }
  Assignment a = run(topics, group);
  verify(topics, group, a);
  expect_complete(topics, group, a);

  for (const auto& m : std::vector<MemberSubscription>(group.members()))
    if (m.member_id != canonical("c", 0, member_count))
      group.put(member(m.member_id, m.topics, a.at(m.member_id), kGeneration));
  for (int i = 0; i < 50; ++i)
    group.remove(canonical("c", static_cast<int>(rng() % member_count), member_count));
  const Group before = group;
  a = run(topics, group);
  expect_sticky(before, a);
  verify(topics, group, a);
  expect_complete(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testNewSubscription) {
  Topics topics;
  for (int i = 1; i < 5; ++i) topics[canonical("t", i, 5)] = 1;
  Group group;
  for (int i = 0; i < 3; ++i) {
    Names subscribed;
    for (int j = i; j <= 3 * i - 2; ++j) subscribed.push_back(canonical("t", j, 5));
    group.put(member(canonical("c", i, 3), subscribed));
  }
  Assignment a = run(topics, group);
  verify(topics, group, a);

  group.at(canonical("c", 0, 3)).topics.push_back(canonical("t", 1, 5));
  const Group before = group;
  a = run(topics, group);
  expect_sticky(before, a);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testMoveExistingAssignments) {
  Topics topics;
  for (int i = 1; i <= 6; ++i) topics["topic" + std::to_string(i)] = 1;
  Group group{
      member("consumer1", {"topic1", "topic2"}, parse("topic1-0"), kGeneration),
      member("consumer2", {"topic1", "topic2", "topic3", "topic4"}, parse("topic2-0, topic3-0"), kGeneration),
      member("consumer3", {"topic2", "topic3", "topic4", "topic5", "topic6"},
             parse("topic4-0, topic5-0, topic6-0"), kGeneration)};
  Assignment a = run(topics, group);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testStickiness) {
  const Topics topics{{"topic1", 3}};
  Group group{member("consumer1", {"topic1"}), member("consumer2", {"topic1"}),
              member("consumer3", {"topic1"}), member("consumer4", {"topic1"})};
  Assignment a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  std::map<std::string, TopicPartition> first;
  for (const auto& [id, list] : a) {
    EXPECT_LE(list.size(), 1u) << id;
    if (list.size() == 1) first.emplace(id, list[0]);
  }

  // Remove the potential group leader.
  group.remove("consumer1");
  for (const char* id : {"consumer2", "consumer3", "consumer4"})
    group.put(member(id, {"topic1"}, a.at(id), kGeneration));
  a = run(topics, group);
  expect_complete(topics, group, a);
  verify(topics, group, a);
  for (const auto& [id, list] : a) {
    EXPECT_EQ(list.size(), 1u) << id;
    if (first.count(id) > 0) {
      EXPECT_TRUE(contains_all(list, {first.at(id)})) << "stickiness not honoured for " << id;
    }
  }
}

TEST_P(AbstractStickyAssignorTest, testAssignmentUpdatedForDeletedTopic) {
  const Topics topics{{"topic1", 1}, {"topic3", 100}};
  Group group{member("consumer", {"topic1", "topic2", "topic3"})};
  const Assignment a = run(topics, group);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.at("consumer").size(), 101u);
}

TEST_P(AbstractStickyAssignorTest, testNoExceptionThrownWhenOnlySubscribedTopicDeleted) {
  Group group{member("consumer", {"topic"})};
  Assignment a = run({{"topic", 3}}, group);
  expect_complete({{"topic", 3}}, group, a);
  group.put(member("consumer", {"topic"}, a.at("consumer"), kGeneration));
  a = run({}, group);
  EXPECT_EQ(a, (Assignment{{"consumer", {}}}));
}

TEST_P(AbstractStickyAssignorTest, testReassignmentWithRandomSubscriptionsAndChanges) {
  std::mt19937 rng(7);
  for (int round = 1; round <= 100; ++round) {
    const int topic_count = 10 + static_cast<int>(rng() % 10);
    Topics topics;
    Names names;
    for (int i = 0; i < topic_count; ++i) {
      names.push_back(canonical("t", i, 20));
      topics[names.back()] = i + 1;
    }
    const int member_count = 20 + static_cast<int>(rng() % 20);
    Group group;
    for (int i = 0; i < member_count; ++i) {
      Names subscribed = random_sublist(names, rng);
      std::sort(subscribed.begin(), subscribed.end());
      group.put(member(canonical("c", i, 40), subscribed));
    }
    Assignment a = run(topics, group);
    verify(topics, group, a);
    expect_complete(topics, group, a);

    Group next;
    for (int i = 0; i < member_count; ++i) {
      Names subscribed = random_sublist(names, rng);
      std::sort(subscribed.begin(), subscribed.end());
      const std::string id = canonical("c", i, 40);
      next.put(member(id, subscribed, a.at(id), kGeneration));
    }
    a = run(topics, next);
    expect_sticky(next, a);
    verify(topics, next, a);
    expect_complete(topics, next, a);
    if (HasFailure()) {
      ADD_FAILURE() << "round " << round;
      return;
    }
  }
}

TEST_P(AbstractStickyAssignorTest, testAllConsumersReachExpectedQuotaAndAreConsideredFilled) {
  const Topics topics{{"topic", 4}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), kGeneration),
              member("consumer2", {"topic"}, parse("topic-2"), kGeneration),
              member("consumer3", {"topic"}, {}, kGeneration)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-0, topic-1")},
                           {"consumer2", parse("topic-2")},
                           {"consumer3", parse("topic-3")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration) {
  const Topics topics{{"topic", 3}, {"topic2", 3}};
  const Names both{"topic", "topic2"};
  const Partitions owned = parse("topic-0, topic-2, topic2-1");
  Group group{member("consumer1", both, owned, 10), member("consumer2", both, owned, 9)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", owned}, {"consumer2", parse("topic-1, topic2-0, topic2-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration) {
  const Topics topics{{"topic", 3}, {"topic2", 3}};
  const Names both{"topic", "topic2"};
  const Partitions owned = parse("topic-0, topic-2, topic2-1");
  Group group{member("consumer1", both, owned, 10), member("consumer2", both, owned, -1)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", owned}, {"consumer2", parse("topic-1, topic2-0, topic2-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest,
       testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration) {
  const Topics topics{{"topic", 3}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), kGeneration),
              member("consumer2", {"topic"}, parse("topic-0, topic-2"), kGeneration),
              member("consumer3", {"topic"}, {}, kGeneration)};
  Assignment a = run(topics, group);
  const Assignment sticky{
      {"consumer1", parse("topic-1")}, {"consumer2", parse("topic-2")}, {"consumer3", parse("topic-0")}};
  EXPECT_EQ(a, direct(sticky, {tp("topic", 0)}));  // Kafka: transferring {topic-0 -> consumer3}
  verify(topics, group, a);
  EXPECT_EQ(a, sticky);
}

TEST_P(AbstractStickyAssignorTest, testEnsurePartitionsAssignedToHighestGeneration) {
  const Topics topics{{"topic", 3}, {"topic2", 3}, {"topic3", 3}};
  const Names all{"topic", "topic2", "topic3"};
  Group group{member("consumer1", all, parse("topic-0, topic2-0, topic3-0"), 10),
              member("consumer2", all, parse("topic-1, topic2-1, topic3-1"), 9),
              member("consumer3", all, parse("topic2-1, topic3-0, topic3-2"), 8)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-0, topic2-0, topic3-0")},
                           {"consumer2", parse("topic-1, topic2-1, topic3-1")},
                           {"consumer3", parse("topic-2, topic2-2, topic3-2")}}));
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testNoReassignmentOnCurrentMembers) {
  const Topics topics{{"topic", 3}, {"topic1", 3}, {"topic2", 3}, {"topic3", 3}};
  const Names all{"topic", "topic2", "topic3", "topic1"};
  Group group{member("consumer1", all, {}, -1),
              member("consumer2", all, parse("topic-0, topic2-0, topic1-0"), 9),
              member("consumer3", all, parse("topic3-2, topic2-2, topic1-1"), 8),
              member("consumer4", all, parse("topic3-1, topic-1, topic-2"), 7)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a.at("consumer1"), parse("topic1-2, topic2-1, topic3-0"));
  expect_complete(topics, group, a);
  verify(topics, group, a);
}

TEST_P(AbstractStickyAssignorTest, testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration) {
  const Topics topics{{"topic", 3}, {"topic2", 3}};
  const Names both{"topic", "topic2"};
  Group group{member("consumer1", both, parse("topic-0, topic2-1, topic-1"), 10),
              member("consumer2", both, parse("topic-0, topic2-1, topic2-2"), 8)};
  Assignment a = run(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-0, topic2-1, topic-1")},
                           {"consumer2", parse("topic-2, topic2-2, topic2-0")}}));
  verify(topics, group, a);
}

// The non-rack-aware vectors of the rack tests: owned partitions come without a generation, and
// Kafka's StickyAssignor test passes them without user data, so only the cooperative assignor sees them.
TEST_P(AbstractStickyAssignorTest, testRackAwareAssignmentWithUniformSubscription_nonRackAware) {
  const Topics topics{{"t1", 6}, {"t2", 7}, {"t3", 2}};
  const Names all{"t1", "t2", "t3"};
  const std::vector<std::string> expected{"t1-0, t1-3, t2-0, t2-3, t2-6", "t1-1, t1-4, t2-1, t2-4, t3-0",
                                          "t1-2, t1-5, t2-2, t2-5, t3-1"};
  const Assignment want = expected_three(expected[0], expected[1], expected[2]);
  EXPECT_EQ(run(topics, three_members(all, all, all)), want);
  EXPECT_EQ(run(topics, three_members(all, all, all, cooperative() ? expected : std::vector<std::string>{})),
            want);
}

TEST_P(AbstractStickyAssignorTest, testRackAwareAssignmentWithNonEqualSubscription_nonRackAware) {
  const Topics topics{{"t1", 6}, {"t2", 7}, {"t3", 2}};
  const Names all{"t1", "t2", "t3"};
  const Names some{"t1", "t3"};
  const std::vector<std::string> expected{"t1-5, t2-0, t2-2, t2-4, t2-6", "t1-3, t2-1, t2-3, t2-5, t3-0",
                                          "t1-0, t1-1, t1-2, t1-4, t3-1"};
  const Assignment want = expected_three(expected[0], expected[1], expected[2]);
  EXPECT_EQ(run(topics, three_members(all, all, some)), want);
  EXPECT_EQ(run(topics, three_members(all, all, some, cooperative() ? expected : std::vector<std::string>{})),
            want);

  // "Verify that result is same as non-rack-aware assignment if all racks match" (with
  // preferRackAwareLogic off): the cooperative assignor goes through an intermediate assignment.
  const std::vector<std::string> owned{"t1-0, t1-1, t1-2, t1-3, t1-4", "t1-5, t2-0, t2-1, t2-2, t2-3",
                                       "t2-4, t2-5, t2-6, t3-0, t3-1"};
  if (!cooperative()) {
    EXPECT_EQ(run(topics, three_members(all, all, some)), want);
    return;
  }
  const std::vector<std::string> intermediate{"t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"};
  EXPECT_EQ(run(topics, three_members(all, all, some, owned)),
            expected_three(intermediate[0], intermediate[1], intermediate[2]));
  EXPECT_EQ(run(topics, three_members(all, all, some, intermediate)),
            expected_three("t1-2, t1-3, t1-4, t2-4, t2-5", "t2-0, t2-1, t2-2, t2-3, t2-6",
                           "t1-0, t1-1, t1-5, t3-0, t3-1"));
}

// ================================================================= StickyAssignorTest (eager only)

Assignment sticky(const Topics& topics, const Group& group) {
  return kafka::assign("sticky", topics, group.members());
}

TEST(
    StickyAssignorTest,
    testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer) {
  const Topics topics{{"topic", 3}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), 1),
              member("consumer2", {"topic"}, parse("topic-0, topic-2"), 1),
              member("consumer3", {"topic"}, {}, 1)};
  const Assignment a = sticky(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-1")},
                           {"consumer2", parse("topic-2")},
                           {"consumer3", parse("topic-0")}}));
  expect_valid_and_balanced(group, a);
}

TEST(
    StickyAssignorTest,
    testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer) {
  const Topics topics{{"topic", 4}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), 1),
              member("consumer2", {"topic"}, parse("topic-0, topic-2"), 1),
              member("consumer3", {"topic"}, {}, 1)};
  const Assignment a = sticky(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic-1, topic-3")},
                           {"consumer2", parse("topic-2")},
                           {"consumer3", parse("topic-0")}}));
  expect_valid_and_balanced(group, a);
}

class StickyGenerationsTest : public ::testing::TestWithParam<bool> {};  // isAllSubscriptionsEqual

INSTANTIATE_TEST_SUITE_P(StickyAssignorTest, StickyGenerationsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param) {
                           return param.param ? std::string("allSubscriptionsEqual")
                                              : std::string("subscriptionsDiffer");
                         });

bool disjoint(const Partitions& a, const Partitions& b) {
  return std::none_of(a.begin(), a.end(), [&](const TopicPartition& p) { return contains_all(b, {p}); });
}

TEST_P(StickyGenerationsTest, testAssignmentWithMultipleGenerations1) {
  const Topics topics{{"topic", 6}, {"topic2", 6}};
  const Names all{"topic", "topic2"};
  const Names c2_topics = GetParam() ? all : Names{"topic"};
  Group group{member("consumer1", all), member("consumer2", c2_topics), member("consumer3", all)};
  Assignment a = sticky(topics, group);
  const Partitions r1p1 = a.at("consumer1");
  const Partitions r1p2 = a.at("consumer2");
  const Partitions r1p3 = a.at("consumer3");
  EXPECT_EQ(r1p1.size(), 4u);
  EXPECT_EQ(r1p2.size(), 4u);
  EXPECT_EQ(r1p3.size(), 4u);
  expect_valid_and_balanced(group, a);

  group.put(member("consumer1", all, r1p1, 1));
  group.put(member("consumer2", c2_topics, r1p2, 1));
  group.remove("consumer3");
  a = sticky(topics, group);
  const Partitions r2p1 = a.at("consumer1");
  const Partitions r2p2 = a.at("consumer2");
  EXPECT_EQ(r2p1.size(), 6u);
  EXPECT_EQ(r2p2.size(), 6u);
  if (GetParam()) {
    EXPECT_TRUE(contains_all(r2p1, r1p1));  // only when all subscriptions are equal
  }
  EXPECT_TRUE(contains_all(r2p2, r1p2));
  expect_valid_and_balanced(group, a);
  EXPECT_FALSE(disjoint(r2p2, r1p3));

  group.remove("consumer1");
  group.put(member("consumer2", c2_topics, r2p2, 2));
  group.put(member("consumer3", all, r1p3, 1));
  a = sticky(topics, group);
  EXPECT_EQ(a.at("consumer2").size(), 6u);
  EXPECT_EQ(a.at("consumer3").size(), 6u);
  EXPECT_TRUE(disjoint(a.at("consumer2"), a.at("consumer3")));
  expect_valid_and_balanced(group, a);
}

TEST_P(StickyGenerationsTest, testAssignmentWithMultipleGenerations2) {
  const Topics topics{{"topic", 4}, {"topic2", 4}, {"topic3", 4}};
  const Names all{"topic", "topic2", "topic3"};
  const Names c1_topics = GetParam() ? all : Names{"topic"};
  const Names c3_topics = GetParam() ? all : Names{"topic", "topic2"};
  Group group{member("consumer1", c1_topics), member("consumer2", all), member("consumer3", c3_topics)};
  Assignment a = sticky(topics, group);
  const Partitions r1p1 = a.at("consumer1");
  const Partitions r1p2 = a.at("consumer2");
  const Partitions r1p3 = a.at("consumer3");
  EXPECT_EQ(r1p1.size(), 4u);
  EXPECT_EQ(r1p2.size(), 4u);
  EXPECT_EQ(r1p3.size(), 4u);
  expect_valid_and_balanced(group, a);

  group.remove("consumer1");
  group.put(member("consumer2", all, r1p2, 1));
  group.remove("consumer3");
  a = sticky(topics, group);
  const Partitions r2p2 = a.at("consumer2");
  EXPECT_EQ(r2p2.size(), 12u);
  EXPECT_TRUE(contains_all(r2p2, r1p2));
  expect_valid_and_balanced(group, a);

  group.put(member("consumer1", c1_topics, r1p1, 1));
  group.put(member("consumer2", all, r2p2, 2));
  group.put(member("consumer3", c3_topics, r1p3, 1));
  a = sticky(topics, group);
  EXPECT_EQ(a.at("consumer1").size(), 4u);
  EXPECT_EQ(a.at("consumer2").size(), 4u);
  EXPECT_EQ(a.at("consumer3").size(), 4u);
  expect_valid_and_balanced(group, a);
}

TEST_P(StickyGenerationsTest, testAssignmentWithConflictingPreviousGenerations) {
  const Topics topics{{"topic", 4}, {"topic2", 4}, {"topic3", 4}};
  const Names all{"topic", "topic2", "topic3"};
  const Names c1_topics = GetParam() ? all : Names{"topic"};
  const Names c2_topics = GetParam() ? all : Names{"topic", "topic2"};
  const Partitions c1_owned = GetParam() ? parse("topic-0, topic-1, topic-2, topic2-2, topic2-3, topic3-0")
                                         : parse("topic-0, topic-1, topic-2, topic-3");
  const Partitions c2_owned = parse("topic-0, topic-1, topic2-0, topic2-1, topic2-2, topic2-3");
  const Partitions c3_owned = parse("topic-2, topic-3, topic3-0, topic3-1, topic3-2, topic3-3");
  Group group{member("consumer1", c1_topics, c1_owned, 1), member("consumer2", c2_topics, c2_owned, 2),
              member("consumer3", all, c3_owned, 2)};
  const Assignment a = sticky(topics, group);
  EXPECT_EQ(a.at("consumer1").size(), 4u);
  EXPECT_EQ(a.at("consumer2").size(), 4u);
  EXPECT_EQ(a.at("consumer3").size(), 4u);
  EXPECT_TRUE(contains_all(c2_owned, a.at("consumer2")));
  EXPECT_TRUE(contains_all(c3_owned, a.at("consumer3")));
  expect_valid_and_balanced(group, a);
  EXPECT_TRUE(is_fully_balanced(a));
}

TEST(StickyAssignorTest, testSchemaBackwardCompatibility) {
  // consumer2's user data has the old schema, without a generation; consumer3 sends none.
  const Topics topics{{"topic", 3}};
  const Partitions c1_owned = parse("topic-0, topic-2");
  const Partitions c2_owned = parse("topic-1");
  Group group{member("consumer1", {"topic"}, c1_owned, 1), member("consumer2", {"topic"}, c2_owned, -1),
              member("consumer3", {"topic"})};
  const Assignment a = sticky(topics, group);
  for (const auto& [id, list] : a) EXPECT_EQ(list.size(), 1u) << id;
  EXPECT_TRUE(contains_all(c1_owned, a.at("consumer1")));
  EXPECT_TRUE(contains_all(c2_owned, a.at("consumer2")));
  expect_valid_and_balanced(group, a);
}

TEST(StickyAssignorTest, testAssignorWithOldVersionSubscriptions) {
  // The generation travels in the user data for every subscription version.
  const Topics topics{{"topic1", 3}};
  Group group{member("consumer1", {"topic1"}, parse("topic1-0"), 1),
              member("consumer2", {"topic1"}, parse("topic1-1"), 1), member("consumer3", {"topic1"}, {}, 1)};
  const Assignment a = sticky(topics, group);
  EXPECT_EQ(a, (Assignment{{"consumer1", parse("topic1-0")},
                           {"consumer2", parse("topic1-1")},
                           {"consumer3", parse("topic1-2")}}));
  expect_valid_and_balanced(group, a);
}

// ================================================== CooperativeStickyAssignorTest (cooperative only)

Assignment cooperative(const Topics& topics, const Group& group) {
  return kafka::assign("cooperative-sticky", topics, group.members());
}

TEST(
    CooperativeStickyAssignorTest,
    testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer) {
  // topic-0 counts as owned by both claimants: nobody gets it until both have revoked it.
  const Topics topics{{"topic", 3}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), 1),
              member("consumer2", {"topic"}, parse("topic-0, topic-2"), 1),
              member("consumer3", {"topic"}, {}, 1)};
  EXPECT_EQ(
      cooperative(topics, group),
      (Assignment{{"consumer1", parse("topic-1")}, {"consumer2", parse("topic-2")}, {"consumer3", {}}}));
}

TEST(
    CooperativeStickyAssignorTest,
    testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer) {
  const Topics topics{{"topic", 4}};
  Group group{member("consumer1", {"topic"}, parse("topic-0, topic-1"), 1),
              member("consumer2", {"topic"}, parse("topic-0, topic-2"), 1),
              member("consumer3", {"topic"}, {}, 1)};
  EXPECT_EQ(cooperative(topics, group), (Assignment{{"consumer1", parse("topic-1, topic-3")},
                                                    {"consumer2", parse("topic-2")},
                                                    {"consumer3", {}}}));
}

TEST(CooperativeStickyAssignorTest, testAssignorWithOldVersionSubscriptions) {
  // V1 subscriptions carry the generation (1) in the user data.
  const Topics topics{{"topic1", 3}};
  Group group{member("consumer1", {"topic1"}, parse("topic1-0"), 1),
              member("consumer2", {"topic1"}, parse("topic1-1"), 1), member("consumer3", {"topic1"}, {}, 1)};
  EXPECT_EQ(cooperative(topics, group), (Assignment{{"consumer1", parse("topic1-0")},
                                                    {"consumer2", parse("topic1-1")},
                                                    {"consumer3", parse("topic1-2")}}));
}

// ===================================================== where Kafka's sticky assignors themselves fail
// Found by comparing with Kafka's Java classes on generated groups; Kafka fails identically.

TEST(StickyAssignorTest, PreviousOwnerOutsideBalancingThrowsLikeKafka) {
  // c02 owned topic-0 at generation 3 but now subscribes to nothing, so it sits out balancing;
  // balancing topic-0 reads its assignment: NullPointerException in Kafka.
  const Topics topics{{"topic", 4}};
  Group group{member("c03", {"topic"}, {}, 4),
              member("c00", {"topic"}, parse("topic-3, topic-1, topic-2"), 3),
              member("c02", {}, parse("topic-0"), 3), member("c01", {"topic"}, {}, 3)};
  for (const char* strategy : {"sticky", "cooperative-sticky"}) {
    try {
      kafka::assign(strategy, topics, group.members());
      ADD_FAILURE() << strategy << ": expected AssignorFailure";
    } catch (const AssignorFailure& e) {
      EXPECT_EQ(e.kind(), AssignorFailure::Kind::throws) << strategy;
    }
  }
}

TEST(StickyAssignorTest, EndlessBalancingIsReportedLikeKafkaNeverReturning) {
  // Kafka moves t2-2 between c45441 and c55677 forever on this group.
  const Topics topics{{"t0", 26}, {"t1", 3}, {"t2", 5}};
  Group group{
      member("c45441", {"t1", "t2"}, parse("t2-2, t2-3, t2-4"), 6),
      member("c63726", {"t0"}, parse("t0-8, t0-12, t0-13, t0-14, t0-16, t0-18, t0-19, t0-20, t0-22"), 6),
      member("n32078", {"t0", "t1"}, parse("t0-0, t0-1, t0-2, t0-3, t0-4, t0-5, t0-6, t0-7"), 6),
      member("c55677", {"t2"}, parse("t2-0, t2-1"), 6),
      member("c57204", {"t0", "t2"}, parse("t1-1"), 6),
      member("c45064", {"t1"}, parse("t1-0, t1-2"), 6),
      member("c86724", {"t0"}, parse("t0-9, t0-10, t0-11, t0-15, t0-17, t0-21, t0-23, t0-24, t0-25"), 6)};
  for (const char* strategy : {"sticky", "cooperative-sticky"}) {
    try {
      kafka::assign(strategy, topics, group.members());
      ADD_FAILURE() << strategy << ": expected AssignorFailure";
    } catch (const AssignorFailure& e) {
      EXPECT_EQ(e.kind(), AssignorFailure::Kind::never_returns) << strategy;
    }
  }
}

TEST(StickyAssignorTest, LeadingEmptySubscriptionDoesNotBreakEquality) {
  // Kafka compares subscriptions with the first non-empty one in HashMap order, so a member with
  // no topics that iterates first leaves the constrained algorithm on, and it gets partitions of
  // topics it does not subscribe to. "consumer4" iterates before "consumer1".
  const Topics topics{{"topic", 2}};
  const Assignment first = sticky(topics, {member("consumer4", {}), member("consumer1", {"topic"})});
  EXPECT_EQ(first, (Assignment{{"consumer1", parse("topic-0")}, {"consumer4", parse("topic-1")}}));
  // Iterating after a non-empty subscription, the empty one makes them unequal.
  const Assignment second = sticky(topics, {member("consumer1", {}), member("consumer4", {"topic"})});
  EXPECT_EQ(second, (Assignment{{"consumer1", {}}, {"consumer4", parse("topic-0, topic-1")}}));
}

}  // namespace
