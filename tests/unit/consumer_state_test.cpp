// The consumer's state machines: their transition tables follow Kafka's where Kafka has the
// transition, and an illegal transition is a broken invariant, not a silent state change.
#include <gtest/gtest.h>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/client/consumer_coordinator.hpp"
#include "broker_model/client/consumer_timers.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "sim/assert.hpp"

using kafka::AppState;
using kafka::CoordinatorState;
using kafka::FetchState;
using kafka::MemberState;
using kafka::SubscriptionState;
using kafka::TopicPartition;

TEST(FetchStates, KafkasTransitionsAreValid) {
  // SubscriptionState.FetchStates.validTransitions(), all of them and only them.
  for (FetchState from : {FetchState::initializing, FetchState::fetching, FetchState::await_validation})
    for (FetchState to : {FetchState::fetching, FetchState::await_reset, FetchState::await_validation})
      EXPECT_TRUE(kafka::valid_transition(from, to)) << to_string(from) << " -> " << to_string(to);
  EXPECT_TRUE(kafka::valid_transition(FetchState::await_reset, FetchState::fetching));
  EXPECT_TRUE(kafka::valid_transition(FetchState::await_reset, FetchState::await_reset));
  EXPECT_FALSE(kafka::valid_transition(FetchState::await_reset, FetchState::await_validation));
  for (FetchState from : {FetchState::initializing, FetchState::fetching, FetchState::await_reset, FetchState::await_validation})
    EXPECT_FALSE(kafka::valid_transition(from, FetchState::initializing)) << to_string(from);
}

TEST(FetchStates, APartitionGoesThroughResetFetchingAndValidation) {
  SubscriptionState s;
  const TopicPartition tp{"t", 0};
  s.add_assigned(tp);
  EXPECT_EQ(s.state(tp).state, FetchState::initializing);
  s.request_reset(tp);
  // The ListOffsets was lost: the partition keeps waiting for its reset, after the backoff.
  s.set_next_retry({tp}, sim::Time{} + sim::Duration::millis(100));
  EXPECT_EQ(s.state(tp).state, FetchState::await_reset);
  EXPECT_TRUE(s.partitions_needing(FetchState::await_reset, sim::Time{} + sim::Duration::millis(99)).empty());
  EXPECT_EQ(s.partitions_needing(FetchState::await_reset, sim::Time{} + sim::Duration::millis(100)).size(), 1u);
  s.complete_reset(tp, 5);
  EXPECT_EQ(s.state(tp).state, FetchState::fetching);
  EXPECT_EQ(s.state(tp).offset, 5);
  EXPECT_EQ(s.state(tp).offset_epoch, -1) << "a reset position carries no epoch (resetPositionIfNeeded)";
  EXPECT_FALSE(s.maybe_validate_position(tp)) << "nothing to validate without an epoch";
  s.consumed(tp, 8, 2);
  EXPECT_TRUE(s.maybe_validate_position(tp));
  s.truncate_position(tp, 6, 1);
  EXPECT_EQ(s.state(tp).state, FetchState::fetching);
  EXPECT_EQ(s.state(tp).offset, 6);
  EXPECT_EQ(s.state(tp).fetch_offset, 6);
  s.request_reset(tp);  // OFFSET_OUT_OF_RANGE
  EXPECT_EQ(s.state(tp).state, FetchState::await_reset);
  EXPECT_FALSE(s.state(tp).has_position());
}

TEST(FetchStates, ACommittedOffsetWithAnEpochAwaitsValidation) {
  SubscriptionState s;
  const TopicPartition tp{"t", 0};
  s.add_assigned(tp);
  s.seek_unvalidated(tp, 40, 3, 5);  // SubscriptionState.seekUnvalidated
  EXPECT_EQ(s.state(tp).state, FetchState::await_validation);
  s.complete_validation(tp);
  EXPECT_EQ(s.state(tp).state, FetchState::fetching);
  const TopicPartition old{"t", 1};
  s.add_assigned(old);
  s.seek_unvalidated(old, 40, -1, 5);  // committed before KIP-320: no epoch to check
  EXPECT_EQ(s.state(old).state, FetchState::fetching);
}

TEST(FetchStates, IllegalTransitionsAreInvariantViolations) {
  SubscriptionState s;
  const TopicPartition tp{"t", 1};
  s.add_assigned(tp);
  EXPECT_THROW(s.complete_reset(tp, 0), sim::InvariantViolation);      // no reset was asked for
  EXPECT_THROW(s.complete_validation(tp), sim::InvariantViolation);    // nor a validation
  EXPECT_THROW(s.consumed(tp, 1, 0), sim::InvariantViolation);         // records without a position
  EXPECT_THROW(s.add_assigned(tp), sim::InvariantViolation);           // assigned twice
  EXPECT_THROW(s.seek({"t", 9}, 0), sim::InvariantViolation);          // not assigned
}

TEST(FetchStates, CommittedAndProcessedBookkeeping) {
  SubscriptionState s;
  const TopicPartition tp{"t", 0};
  s.add_assigned(tp);
  s.seek(tp, 10);
  s.advance_fetch_offset(tp, 20);
  ASSERT_EQ(s.all_consumed(false).size(), 1u);
  EXPECT_EQ(s.all_consumed(false)[0].offset, 10);
  EXPECT_EQ(s.all_consumed(true)[0].offset, 20);  // the consumer_commits_fetched bug
  s.processed(tp, 11, 0);
  EXPECT_EQ(s.uncommitted_processed().size(), 1u);
  s.commit_acknowledged({{tp, 11, 0}});
  EXPECT_TRUE(s.uncommitted_processed().empty());
  s.remove_assigned({tp});
  EXPECT_FALSE(s.is_assigned(tp));
}

TEST(MemberStates, KafkasRebalanceCycle) {
  EXPECT_TRUE(kafka::valid_transition(MemberState::unjoined, MemberState::preparing_rebalance));
  EXPECT_TRUE(kafka::valid_transition(MemberState::preparing_rebalance, MemberState::completing_rebalance));
  EXPECT_TRUE(kafka::valid_transition(MemberState::completing_rebalance, MemberState::stable));
  EXPECT_TRUE(kafka::valid_transition(MemberState::stable, MemberState::preparing_rebalance));
  for (MemberState from : {MemberState::unjoined, MemberState::preparing_rebalance, MemberState::completing_rebalance,
                           MemberState::stable})
    EXPECT_TRUE(kafka::valid_transition(from, MemberState::unjoined)) << to_string(from);
  EXPECT_FALSE(kafka::valid_transition(MemberState::unjoined, MemberState::stable));
  EXPECT_FALSE(kafka::valid_transition(MemberState::preparing_rebalance, MemberState::stable));
  EXPECT_FALSE(kafka::valid_transition(MemberState::stable, MemberState::completing_rebalance));
}

TEST(MemberStates, ACommitOutsideAStableGenerationIsNamedByRebalanceInProgressAlone) {
  // ConsumerCoordinator.sendOffsetCommitRequest: RebalanceInProgressException while
  // rebalanceInProgress(), whatever the generation (a member rejoining after it lost its
  // generation included); CommitFailedException otherwise.
  EXPECT_EQ(kafka::commit_refusal(MemberState::preparing_rebalance), "REBALANCE_IN_PROGRESS (client)");
  EXPECT_EQ(kafka::commit_refusal(MemberState::completing_rebalance), "REBALANCE_IN_PROGRESS (client)");
  EXPECT_EQ(kafka::commit_refusal(MemberState::unjoined), "COMMIT_FAILED (not a member of the active generation)");
}

TEST(CoordinatorStates, FindingAndLosingTheCoordinator) {
  EXPECT_TRUE(kafka::valid_transition(CoordinatorState::unknown, CoordinatorState::finding));
  EXPECT_TRUE(kafka::valid_transition(CoordinatorState::finding, CoordinatorState::known));
  EXPECT_TRUE(kafka::valid_transition(CoordinatorState::known, CoordinatorState::unknown));
  EXPECT_FALSE(kafka::valid_transition(CoordinatorState::known, CoordinatorState::finding));
  EXPECT_FALSE(kafka::valid_transition(CoordinatorState::unknown, CoordinatorState::unknown));
}

TEST(AppStates, EachBlockingCommitResumesWhereItWasCalled) {
  EXPECT_TRUE(kafka::valid_transition(AppState::committing_before_process, AppState::processing));
  EXPECT_TRUE(kafka::valid_transition(AppState::committing_after_record, AppState::processing));
  EXPECT_TRUE(kafka::valid_transition(AppState::committing_after_batch, AppState::idle));
  EXPECT_TRUE(kafka::valid_transition(AppState::committing_before_poll, AppState::idle));
  EXPECT_TRUE(kafka::valid_transition(AppState::committing_on_revoke, AppState::awaiting_rebalance));
  EXPECT_FALSE(kafka::valid_transition(AppState::committing_on_revoke, AppState::processing));
  EXPECT_FALSE(kafka::valid_transition(AppState::committing_before_process, AppState::idle));
  EXPECT_FALSE(kafka::valid_transition(AppState::committing_on_close, AppState::idle));
  // close() interrupts the loop wherever it waits, never inside poll().
  EXPECT_TRUE(kafka::valid_transition(AppState::processing, AppState::committing_on_close));
  EXPECT_FALSE(kafka::valid_transition(AppState::polling, AppState::committing_on_close));
}

TEST(TimerTags, KindAndIdShareOneTag) {
  const uint64_t tag = sim::timer_tag(kafka::ConsumerTimer::commit_retry, 42);
  EXPECT_EQ(sim::timer_kind<kafka::ConsumerTimer>(tag), kafka::ConsumerTimer::commit_retry);
  EXPECT_EQ(sim::timer_id(tag), 42u);
  EXPECT_EQ(sim::timer_id(sim::timer_tag(kafka::ConsumerTimer::heartbeat)), 0u);
  EXPECT_THROW(sim::timer_tag(kafka::ConsumerTimer::heartbeat, uint64_t{1} << 48), sim::InvariantViolation);
}
