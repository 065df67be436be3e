// The rules of a partition's replicas, without a cluster: where a diverging follower
// truncates (KIP-279), and the leader's bookkeeping of its followers, ISR and high watermark.
#include <gtest/gtest.h>

#include "broker_model/broker/partition.hpp"
#include "broker_model/broker/replica_fetcher.hpp"

namespace kafka {
namespace {

std::shared_ptr<RecordBatch> records(int n) {
  auto b = std::make_shared<RecordBatch>();
  b->records = std::make_shared<std::vector<Record>>(n);
  return b;
}

// A log with `n` records in each of the given leader epochs, in order.
std::unique_ptr<PartitionLog> log_with(sim::Disk& disk, std::vector<std::pair<int32_t, int>> epochs) {
  auto log = std::make_unique<PartitionLog>(disk, "t", 0);
  for (auto [epoch, n] : epochs) log->append_as_leader(*records(n), epoch, 0);
  return log;
}

// ---- AbstractFetcherThread.getOffsetTruncationState ----

TEST(TruncationPoint, UnknownEndOffsetTruncatesToTheHighWatermark) {
  sim::Disk disk;
  auto log = log_with(disk, {{1, 5}});
  log->maybe_increment_hw(3);
  const TruncationPoint p = truncation_point(*log, 1, -1);
  EXPECT_EQ(p.to, 3);
  EXPECT_TRUE(p.done);
}

TEST(TruncationPoint, ALeaderWithoutEpochsGivesItsEndOffset) {
  sim::Disk disk;
  auto log = log_with(disk, {{1, 5}});
  EXPECT_EQ(truncation_point(*log, -1, 2).to, 2);
  EXPECT_EQ(truncation_point(*log, -1, 9).to, 5) << "never past our own end";
}

TEST(TruncationPoint, TheSharedEpochEndsWhereEitherLogEndsIt) {
  sim::Disk disk;
  auto log = log_with(disk, {{1, 3}, {2, 4}});  // epoch 1: [0,3), epoch 2: [3,7)
  TruncationPoint p = truncation_point(*log, 1, 2);
  EXPECT_EQ(p.to, 2) << "the leader ended epoch 1 first";
  EXPECT_TRUE(p.done);
  p = truncation_point(*log, 1, 5);
  EXPECT_EQ(p.to, 3) << "we ended epoch 1 first";
  EXPECT_TRUE(p.done);
}

TEST(TruncationPoint, AnEpochWeNeverHadMeansAskingAgainAboutOursBefore) {
  sim::Disk disk;
  auto log = log_with(disk, {{1, 3}, {3, 4}});  // the leader answers about epoch 2, which we skipped
  const TruncationPoint p = truncation_point(*log, 2, 5);
  EXPECT_EQ(p.to, 3) << "the end of our largest epoch below 2";
  EXPECT_FALSE(p.done);
}

TEST(TruncationPoint, AFollowerOlderThanEveryEpochTakesTheLeadersEnd) {
  sim::Disk disk;
  auto log = log_with(disk, {{4, 6}});
  // Epoch 2 is older than every epoch we know: end_offset_for answers (2, start of epoch 4).
  TruncationPoint p = truncation_point(*log, 2, 1);
  EXPECT_EQ(p.to, 0) << "our epoch 2 'ends' where our epoch 4 starts";
  EXPECT_TRUE(p.done);
  auto empty = std::make_unique<PartitionLog>(disk, "u", 0);
  p = truncation_point(*empty, 2, 1);
  EXPECT_EQ(p.to, 0) << "an empty log has nothing to cut";
  EXPECT_TRUE(p.done);
}

TEST(TruncationMode, FollowsTheInterBrokerProtocol) {
  EXPECT_EQ(truncation_mode_for("0.10.2"), TruncationMode::high_watermark);
  EXPECT_EQ(truncation_mode_for("0.11.0"), TruncationMode::epoch_v0);
  EXPECT_EQ(truncation_mode_for("2.0"), TruncationMode::epoch_v1);
  EXPECT_EQ(truncation_mode_for("2.7"), TruncationMode::fetch_diverging);
}

// ---- Replica.updateFetchState and the leader's Partition ----

constexpr sim::Duration kLag = sim::Duration::millis(30000);
sim::Time at_ms(int64_t ms) { return sim::Time{ms * 1'000'000}; }

Partition leader_of(sim::Disk& disk, int records_in_epoch_1, std::vector<BrokerId> isr, sim::Time now) {
  Partition p(log_with(disk, {{1, records_in_epoch_1}}));
  PartitionState s;
  s.topic = "t";
  s.replicas = {1, 2, 3};
  s.isr = std::move(isr);
  s.leader = 1;
  s.leader_epoch = 2;
  p.replicas = s.replicas;
  p.make_leader(s, 1, now);
  return p;
}

TEST(Replica, AFetchReachingThePreviousEndCatchesUpAsOfThatFetch) {
  Replica r;
  r.update_fetch_state(0, 10, at_ms(100));  // behind
  EXPECT_FALSE(r.last_caught_up) << "never caught up";
  r.update_fetch_state(10, 15, at_ms(200));  // reaches where the leader was at the last fetch
  EXPECT_EQ(r.last_caught_up, at_ms(100));
  r.update_fetch_state(15, 15, at_ms(300));  // reaches the leader's end
  EXPECT_EQ(r.last_caught_up, at_ms(300));
  EXPECT_TRUE(r.caught_up(15, at_ms(999'999), kLag)) << "at the leader's end, however long ago";
  EXPECT_FALSE(r.caught_up(16, at_ms(300) + kLag + sim::Duration::millis(1), kLag));
}

TEST(Partition, MakeLeaderCountsTheIsrAsCaughtUpAndStartsItsEpochAtTheEnd) {
  sim::Disk disk;
  Partition p = leader_of(disk, 5, {1, 2}, at_ms(1000));
  EXPECT_EQ(p.epoch_start_offset, 5);
  EXPECT_EQ(p.log->latest_epoch(), 2);
  EXPECT_EQ(p.remotes.at(2).last_caught_up, at_ms(1000));
  EXPECT_FALSE(p.remotes.at(3).last_caught_up) << "outside the ISR: never caught up";
  EXPECT_EQ(p.remotes.at(2).leo, -1) << "unknown until it fetches";
}

TEST(Partition, TheIsrLosesAFollowerThatLaggedLongerThanTheLagTime) {
  sim::Disk disk;
  Partition p = leader_of(disk, 5, {1, 2, 3}, at_ms(0));
  p.update_follower_fetch_state(2, 5, at_ms(10000));  // caught up
  p.update_follower_fetch_state(3, 2, at_ms(10000));  // behind since the election
  EXPECT_EQ(p.isr_without_laggards(1, at_ms(30000), kLag), (std::vector<BrokerId>{1, 2, 3}));
  EXPECT_EQ(p.isr_without_laggards(1, at_ms(30001), kLag), (std::vector<BrokerId>{1, 2}));
  EXPECT_EQ(p.isr_without_laggards(1, at_ms(99999), kLag), (std::vector<BrokerId>{1, 2})) << "at the leader's end";
  p.log->append_as_leader(*records(1), 2, 0);
  EXPECT_EQ(p.isr_without_laggards(1, at_ms(40000), kLag), (std::vector<BrokerId>{1, 2}));
  EXPECT_EQ(p.isr_without_laggards(1, at_ms(40001), kLag), (std::vector<BrokerId>{1}));
}

TEST(Partition, TheHighWatermarkWaitsForTheMaximalIsrAndCaughtUpFollowers) {
  sim::Disk disk;
  Partition p = leader_of(disk, 10, {1, 2}, at_ms(100000));
  auto unfenced = [](BrokerId) { return true; };
  p.update_follower_fetch_state(2, 8, at_ms(100100));
  p.update_follower_fetch_state(3, 4, at_ms(100100));  // not in the ISR, and behind
  EXPECT_EQ(p.leader_hw_candidate(at_ms(100100), kLag, unfenced), 8) << "3 was never caught up: not waited for";
  p.pending_isr = std::vector<BrokerId>{1, 2, 3};  // KIP-497: the maximal ISR counts at once
  EXPECT_EQ(p.leader_hw_candidate(at_ms(100100), kLag, unfenced), 4);
  p.pending_isr.reset();
  p.update_follower_fetch_state(3, 10, at_ms(100200));
  p.update_follower_fetch_state(3, 6, at_ms(100300));  // a caught-up replica that could join the ISR
  EXPECT_EQ(p.leader_hw_candidate(at_ms(100300), kLag, unfenced), 6);
  EXPECT_EQ(p.leader_hw_candidate(at_ms(100300), kLag, [](BrokerId b) { return b != 3; }), 8) << "unless fenced";
}

TEST(Partition, AFollowerJoinsTheIsrOnceIntoThisLeadersEpoch) {
  sim::Disk disk;
  Partition p = leader_of(disk, 5, {1}, at_ms(0));
  p.log->append_as_leader(*records(3), 2, 0);  // epoch 2 starts at 5
  p.log->maybe_increment_hw(4);
  p.update_follower_fetch_state(2, 4, at_ms(10));
  EXPECT_FALSE(p.can_add_to_isr(2, true)) << "at the HW but not yet into epoch 2";
  p.update_follower_fetch_state(2, 5, at_ms(20));
  EXPECT_TRUE(p.can_add_to_isr(2, true));
  EXPECT_FALSE(p.can_add_to_isr(2, false)) << "a fenced broker never joins";
  EXPECT_FALSE(p.can_add_to_isr(3, true)) << "3 never fetched";
}

// Kafka's "never" is time 0, 1970: never within replica.lag.time.max.ms of any clock reading.
// The virtual clock starts at 0, so this holds only if "never" is not a time.
TEST(Replica, NeverCaughtUpIsNotCaughtUpEvenInTheFirstLagTime) {
  sim::Disk disk;
  Partition p = leader_of(disk, 10, {1, 2}, at_ms(0));
  auto eligible = [](BrokerId) { return true; };
  p.update_follower_fetch_state(2, 10, at_ms(100));
  p.update_follower_fetch_state(3, 4, at_ms(100));  // outside the ISR, behind, never caught up
  EXPECT_FALSE(p.remotes.at(3).caught_up(10, at_ms(100), kLag));
  EXPECT_EQ(p.leader_hw_candidate(at_ms(100), kLag, eligible), 10) << "the HW does not wait for a replica never caught up";
  Replica never;
  EXPECT_FALSE(never.caught_up(5, at_ms(1), kLag));
}

// Replica.resetReplicaState: a leader re-elected in a new epoch keeps what it knew of its
// followers; one that was not leading starts from nothing.
TEST(Partition, AReElectedLeaderKeepsItsFollowersEndOffsets) {
  sim::Disk disk;
  Partition p = leader_of(disk, 5, {1, 2, 3}, at_ms(0));
  p.update_follower_fetch_state(2, 5, at_ms(1000), 7);
  p.update_follower_fetch_state(3, 3, at_ms(1000), 8);
  PartitionState s;
  s.topic = "t";
  s.replicas = {1, 2, 3};
  s.isr = {1, 2};
  s.leader = 1;
  s.leader_epoch = 3;
  s.partition_epoch = 1;
  const Partition::LeaderChange change = p.make_leader(s, 1, at_ms(2000));
  EXPECT_TRUE(change.applied && change.new_epoch && !change.new_leader);
  EXPECT_EQ(p.remotes.at(2).leo, 5) << "kept";
  EXPECT_EQ(p.remotes.at(2).broker_epoch, 7);
  EXPECT_EQ(p.remotes.at(2).last_fetch, at_ms(2000)) << "in the ISR: fetched as of the election";
  EXPECT_EQ(p.remotes.at(3).leo, 3);
  EXPECT_FALSE(p.remotes.at(3).last_fetch) << "outside the ISR: not fetched until it fetches";
  EXPECT_FALSE(p.remotes.at(3).last_caught_up);
  // updateAssignmentAndIsr drops a follower no longer assigned.
  s.replicas = {1, 2};
  s.isr = {1, 2};
  s.partition_epoch = 2;
  p.replicas = s.replicas;
  EXPECT_TRUE(p.make_leader(s, 1, at_ms(3000)).applied);
  EXPECT_EQ(p.remotes.count(3), 0u);
  EXPECT_EQ(p.remotes.at(2).leo, 5) << "same epoch: nothing reset";
  // A record older than the partition epoch this leader knows is skipped.
  s.partition_epoch = 1;
  s.isr = {1};
  EXPECT_FALSE(p.make_leader(s, 1, at_ms(4000)).applied);
  EXPECT_EQ(p.isr, (std::vector<BrokerId>{1, 2}));
  // A broker that was following knows nothing of the other followers when it leads.
  p.make_follower(s);
  s.partition_epoch = 3;
  s.leader_epoch = 4;
  EXPECT_TRUE(p.make_leader(s, 1, at_ms(5000)).new_leader);
  EXPECT_EQ(p.remotes.at(2).leo, -1);
}

// Partition.makeLeader takes the controller's ISR over an AlterPartition in flight.
TEST(Partition, MakeLeaderReplacesAPendingIsrChange) {
  sim::Disk disk;
  Partition p = leader_of(disk, 5, {1, 2}, at_ms(0));
  p.pending_isr = std::vector<BrokerId>{1, 2, 3};
  p.pending_correlation_id = 4;
  PartitionState s;
  s.topic = "t";
  s.replicas = {1, 2, 3};
  s.isr = {1};
  s.leader = 1;
  s.leader_epoch = 2;
  s.partition_epoch = 1;
  EXPECT_TRUE(p.make_leader(s, 1, at_ms(10)).applied);
  EXPECT_EQ(p.isr, (std::vector<BrokerId>{1}));
  EXPECT_FALSE(p.pending_isr);
  EXPECT_EQ(p.pending_correlation_id, -1) << "the answer to the replaced change is stale";
}

// Partition.checkEnoughReplicasReachOffset counts the maximal ISR; appendRecordsToLeader and
// isUnderMinIsr the committed one.
TEST(Partition, AfterTheAppendTheMaximalIsrCounts) {
  sim::Disk disk;
  Partition p = leader_of(disk, 1, {1}, at_ms(0));
  p.pending_isr = std::vector<BrokerId>{1, 2};  // an expansion in flight
  EXPECT_FALSE(p.enough_in_sync(2));
  EXPECT_TRUE(p.enough_in_maximal_isr(2));
  p.isr = {1, 2};
  p.pending_isr = std::vector<BrokerId>{1};  // a shrink in flight: the maximal ISR is the committed one
  EXPECT_TRUE(p.enough_in_maximal_isr(2));
}

// Partition.isReplicaIsrEligible (KIP-903).
TEST(Partition, IsrEligibilityFollowsTheRegistrationAndTheFetchesBrokerEpoch) {
  sim::Disk disk;
  Partition p = leader_of(disk, 1, {1}, at_ms(0));
  MetadataImage image;
  image.brokers[2] = {.epoch = 40, .rack = "", .fenced = false, .in_controlled_shutdown = false};
  EXPECT_FALSE(p.is_replica_isr_eligible(2, image)) << "no fetch yet: no broker epoch";
  p.update_follower_fetch_state(2, 1, at_ms(1), 40);
  EXPECT_TRUE(p.is_replica_isr_eligible(2, image));
  image.brokers[2].in_controlled_shutdown = true;
  EXPECT_FALSE(p.is_replica_isr_eligible(2, image)) << "in controlled shutdown";
  image.brokers[2].in_controlled_shutdown = false;
  image.brokers[2].epoch = 55;  // registered again: its fetches name the old incarnation
  EXPECT_FALSE(p.is_replica_isr_eligible(2, image));
  p.update_follower_fetch_state(2, 1, at_ms(2), -1);
  EXPECT_TRUE(p.is_replica_isr_eligible(2, image)) << "-1 skips the check";
  image.brokers[2].fenced = true;
  EXPECT_FALSE(p.is_replica_isr_eligible(2, image));
  EXPECT_FALSE(p.is_replica_isr_eligible(3, image)) << "not registered";
}

TEST(Partition, EnoughInSyncIsCappedByTheReplicationFactor) {
  sim::Disk disk;
  Partition p = leader_of(disk, 1, {1, 2}, at_ms(0));
  EXPECT_TRUE(p.enough_in_sync(2));
  EXPECT_FALSE(p.enough_in_sync(3));
  p.replicas = {1, 2};
  EXPECT_TRUE(p.enough_in_sync(3)) << "min.insync.replicas above the replication factor counts as all of them";
}

}  // namespace
}  // namespace kafka

// ---- the cluster's invariants (broker_model/cluster_invariants.hpp) ----

#include "broker_model/cluster_invariants.hpp"

namespace kafka {
namespace {

std::unique_ptr<PartitionLog> log_of(sim::Disk& disk, const std::string& topic, std::vector<std::string> values, int64_t hw) {
  auto log = std::make_unique<PartitionLog>(disk, topic, 0);
  auto b = std::make_shared<RecordBatch>();
  auto records = std::make_shared<std::vector<Record>>();
  for (auto& v : values) records->push_back(Record{"k", v, true, 1, 0, {}});
  b->records = records;
  log->append_as_leader(*b, 1, 0);
  log->maybe_increment_hw(hw);
  return log;
}

ReplicaView replica(BrokerId b, const PartitionLog& log, bool leader = false, int32_t epoch = 1, uint32_t incarnation = 1) {
  return {b, incarnation, {log.topic(), 0}, leader, epoch, &log};
}

TEST(ClusterInvariants, OneLeaderPerPartitionAndEpoch) {
  sim::Disk d1, d2;
  auto l1 = log_of(d1, "t", {"a"}, 1), l2 = log_of(d2, "t", {"a"}, 1);
  SingleLeaderPerEpoch inv;
  EXPECT_EQ(inv.check({{replica(1, *l1, true, 1), replica(2, *l2, true, 2)}, {}, {}}), "") << "different epochs";
  EXPECT_NE(inv.check({{replica(1, *l1, true, 1), replica(2, *l2, true, 1)}, {}, {}}), "");
}

TEST(ClusterInvariants, ALeadersHighWatermarkNeverMovesBackWhileItRuns) {
  sim::Disk disk;
  auto log = log_of(disk, "t", {"a", "b", "c"}, 3);
  MonotonicHighWatermark inv;
  EXPECT_EQ(inv.check({{replica(1, *log, true)}, {}, {}}), "");
  sim::Disk other;
  auto behind = log_of(other, "t", {"a"}, 1);
  EXPECT_EQ(inv.check({{replica(1, *behind, true, 1, 2)}, {}, {}}), "") << "a restarted broker reads an older checkpoint";
  EXPECT_NE(inv.check({{replica(1, *behind, true, 1, 1)}, {}, {}}), "");
}

TEST(ClusterInvariants, APartitionsEpochsNeverGoBack) {
  MonotonicEpochs inv;
  PartitionState s;
  s.topic = "t";
  s.leader_epoch = 3;
  s.partition_epoch = 5;
  EXPECT_EQ(inv.check({{}, {&s}, {}}), "");
  s.partition_epoch = 4;
  EXPECT_NE(inv.check({{}, {&s}, {}}), "");
  MonotonicEpochs fresh;
  EXPECT_EQ(fresh.check({{}, {&s}, {}}), "");
  s.leader_epoch = 2;
  EXPECT_NE(fresh.check({{}, {&s}, {}}), "");
}

TEST(ClusterInvariants, ACommittedRecordIsTheSameOnEveryReplica) {
  sim::Disk d1, d2, d3;
  auto leader = log_of(d1, "t", {"a", "b", "c"}, 3);
  auto follower = log_of(d2, "t", {"a", "b"}, 2);
  auto diverged = log_of(d3, "t", {"a", "x", "c"}, 2);
  ConsistentCommittedData inv;
  EXPECT_EQ(inv.check({{replica(1, *leader, true), replica(2, *follower)}, {}, {}}), "");
  const std::string broken = inv.check({{replica(1, *leader, true), replica(3, *diverged)}, {}, {}});
  EXPECT_NE(broken.find("t-0 offset 1: broker 3 holds x"), std::string::npos) << broken;
  ConsistentCommittedData risky;
  EXPECT_EQ(risky.check({{replica(1, *leader, true), replica(3, *diverged)}, {}, {"t"}}), "") << "the topic allows unclean elections";
  auto uncommitted = log_of(d3, "u", {"a", "y"}, 1);
  auto other = log_of(d2, "u", {"a", "z"}, 2);
  ConsistentCommittedData fresh;
  EXPECT_EQ(fresh.check({{replica(1, *other, true), replica(2, *uncommitted)}, {}, {}}), "") << "y is above its replica's HW";
}

TEST(ClusterInvariants, CommittedDataIsJudgedOnlyWhereKafkaPromisesIt) {
  ConfigSet c(ConfigScope::broker, {3, 9});
  EXPECT_FALSE(ConsistentCommittedData::applies_to(c, {})) << "by default logs are not flushed per record";
  ASSERT_EQ(c.set("flush.messages", int64_t{1}), "");
  EXPECT_TRUE(ConsistentCommittedData::applies_to(c, {}));
  Bugs skip;
  skip.follower_skips_truncation = true;
  EXPECT_FALSE(ConsistentCommittedData::applies_to(c, skip));
  ConfigSet unclean = c;
  ASSERT_EQ(unclean.set("unclean.leader.election.enable", true), "");
  EXPECT_FALSE(ConsistentCommittedData::applies_to(unclean, {}));
  ConfigSet old = c;
  ASSERT_EQ(old.set("inter.broker.protocol.version", std::string("1.1")), "");
  EXPECT_FALSE(ConsistentCommittedData::applies_to(old, {})) << "KIP-101 without KIP-279";
}

}  // namespace
}  // namespace kafka
