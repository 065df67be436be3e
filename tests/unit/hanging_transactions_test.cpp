// The hanging-transaction check on hand-made timelines: a first unstable offset that stands
// still to the end of a drained run while the coordinator no longer holds the partition in a
// transaction is reported, naming the transactional id, the partition and since when; one the
// coordinator still holds open is not, nor is anything in a run cut short; one that stands
// longer than transaction.max.timeout.ms is reported whatever the coordinator says.
#include <gtest/gtest.h>

#include "sim/check/hanging_transactions.hpp"

namespace kafkasim_test {
namespace {

using check::LsoEvent;
using check::ReplicaEvent;
using check::RunEnd;
using check::Timeline;
using check::TxnStateEvent;

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMaxTimeout = 900 * kSecond;

// payer-tx's producer 7 aborts at 5 s; its late batch opens a transaction at offset 39 at 11 s.
Timeline late_batch_after_abort(const std::string& last_state, const std::string& partitions) {
  Timeline t;
  t.txn_states.push_back(TxnStateEvent{1 * kSecond, "payer-tx", 7, "Ongoing", "payments-0"});
  t.txn_states.push_back(TxnStateEvent{5 * kSecond, "payer-tx", 7, last_state, partitions});
  ReplicaEvent append{ReplicaEvent::Kind::leader_append, 0, 11 * kSecond, "broker-2", 39, 40, {}};
  append.producer_id = 7;
  t.partitions["payments-0"].push_back(append);
  t.lso["payments-0"].push_back(LsoEvent{10 * kSecond, "broker-2", 39, 39, -1});
  t.lso["payments-0"].push_back(LsoEvent{11 * kSecond, "broker-2", 39, 40, 39});
  return t;
}

RunEnd drained(int64_t end_ns) { return RunEnd{false, end_ns, end_ns - 10 * kSecond}; }

TEST(HangingTransactions, AnOpenTransactionTheCoordinatorLeftIsReported) {
  const auto found = check::hanging_transactions(late_batch_after_abort("CompleteAbort", ""), drained(40 * kSecond), kMaxTimeout);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, "payments-0");
  EXPECT_EQ(found[0].offset, 39);
  EXPECT_NE(found[0].detail.find("transactional id payer-tx (producer id 7)"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].detail.find("since 11.000s"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].explanation.find("no marker will ever end"), std::string::npos) << found[0].explanation;
}

TEST(HangingTransactions, ATransactionTheCoordinatorStillHoldsIsNot) {
  EXPECT_TRUE(check::hanging_transactions(late_batch_after_abort("Ongoing", "payments-0"), drained(40 * kSecond), kMaxTimeout).empty());
  EXPECT_TRUE(
      check::hanging_transactions(late_batch_after_abort("PrepareAbort", "payments-0"), drained(40 * kSecond), kMaxTimeout).empty());
}

TEST(HangingTransactions, ARunCutShortJudgesNothing) {
  RunEnd cut{true, 40 * kSecond, -1};
  EXPECT_TRUE(check::hanging_transactions(late_batch_after_abort("CompleteAbort", ""), cut, kMaxTimeout).empty());
}

TEST(HangingTransactions, AMarkerThatEndsItClearsIt) {
  Timeline t = late_batch_after_abort("CompleteAbort", "");
  t.lso["payments-0"].push_back(LsoEvent{12 * kSecond, "broker-2", 41, 41, -1});
  EXPECT_TRUE(check::hanging_transactions(t, drained(40 * kSecond), kMaxTimeout).empty());
}

TEST(HangingTransactions, LongerThanTheMaxTimeoutIsReportedWhateverTheCoordinatorSays) {
  Timeline t = late_batch_after_abort("Ongoing", "payments-0");
  t.lso["payments-0"].push_back(LsoEvent{20 * kSecond, "broker-2", 39, 60, 39});  // the HW moves on, the LSO does not
  const auto found = check::hanging_transactions(t, drained(40 * kSecond), 5 * kSecond);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_NE(found[0].explanation.find("transaction.max.timeout.ms"), std::string::npos) << found[0].explanation;
}

}  // namespace
}  // namespace kafkasim_test
