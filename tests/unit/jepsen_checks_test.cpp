// Jepsen's Kafka anomaly checks over hand-written histories: for each anomaly one history that
// must report it and a similar one that must not.
#include <gtest/gtest.h>

#include "sim/check/jepsen.hpp"

using namespace check;

namespace {

using Polls = std::map<std::string, std::vector<Read>>;

Send S(std::string key, std::string value, std::optional<int64_t> offset = std::nullopt) {
  return Send{std::move(key), std::move(value), offset};
}

// Builds a history: invoke() and complete() for interleavings, op() for an invocation followed
// at once by its completion. Completions return their history index.
class Builder {
 public:
  int64_t invoke(const std::string& process, const std::string& f) {
    Op op;
    op.index = static_cast<int64_t>(h.ops.size());
    op.id = next_id_++;
    op.process = process;
    op.type = OpType::invoke;
    op.f = f;
    h.ops.push_back(op);
    return op.id;
  }

  int64_t complete(int64_t id, OpType type, std::vector<Send> sends = {}, Polls polls = {},
                   std::vector<std::string> keys = {}) {
    Op op;
    for (const Op& o : h.ops)
      if (o.id == id) op = o;
    op.index = static_cast<int64_t>(h.ops.size());
    op.type = type;
    op.sends = std::move(sends);
    op.polls = std::move(polls);
    op.keys = std::move(keys);
    h.ops.push_back(op);
    return op.index;
  }

  int64_t op(const std::string& p, const std::string& f, OpType type, std::vector<Send> sends,
             Polls polls, std::vector<std::string> keys = {}) {
    return complete(invoke(p, f), type, std::move(sends), std::move(polls), std::move(keys));
  }
  int64_t send(const std::string& p, OpType type, std::vector<Send> sends) {
    return op(p, "send", type, std::move(sends), {});
  }
  int64_t poll(const std::string& p, OpType type, Polls polls) {
    return op(p, "poll", type, {}, std::move(polls));
  }
  int64_t txn(const std::string& p, OpType type, std::vector<Send> sends, Polls polls) {
    return op(p, "txn", type, std::move(sends), std::move(polls));
  }
  int64_t assign(const std::string& p, OpType type, std::vector<std::string> keys,
                 const std::string& f = "assign") {
    return op(p, f, type, {}, {}, std::move(keys));
  }

  History h;

 private:
  int64_t next_id_ = 1;
};

constexpr OpType ok = OpType::ok;
constexpr OpType fail = OpType::fail;
constexpr OpType info = OpType::info;

const std::vector<Anomaly>& found(const CheckResult& r, const std::string& type) {
  static const std::vector<Anomaly> none;
  auto it = r.anomalies.find(type);
  return it == r.anomalies.end() ? none : it->second;
}

size_t count(const Builder& b, const std::string& type, CheckOptions options = {}) {
  return found(check_history(b.h, options), type).size();
}

// The anomaly types found, sorted.
std::vector<std::string> types(const CheckResult& r) {
  std::vector<std::string> out;
  for (const auto& [t, list] : r.anomalies) out.push_back(t);
  return out;
}

using Types = std::vector<std::string>;

}  // namespace

// ---- version order: inconsistent-offsets ----

TEST(JepsenInconsistentOffsets, TwoOkSendsAtOneOffset) {
  Builder b;
  int64_t s1 = b.send("p1", ok, {S("k-0", "a", 0)});
  int64_t s2 = b.send("p2", ok, {S("k-0", "b", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "inconsistent-offsets").size(), 1u);
  const Anomaly& a = found(r, "inconsistent-offsets")[0];
  EXPECT_EQ(a.key, "k-0");
  EXPECT_NE(a.detail.find("[a, b]"), std::string::npos) << a.detail;
  EXPECT_EQ(a.ops, (std::vector<int64_t>{s1, s2, 5}));
  EXPECT_FALSE(r.valid);
}

TEST(JepsenInconsistentOffsets, FailedAndUnprovenInfoSendsDoNotCount) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p2", fail, {S("k-0", "b", 0)});  // definitely did not happen
  b.send("p3", info, {S("k-0", "c", 0)});  // maybe happened, but nobody saw it
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{});
  EXPECT_TRUE(r.valid);
}

TEST(JepsenInconsistentOffsets, InfoSendThatMustHaveCommittedCounts) {
  // The info op's other value was read by an ok op, so its offsets are facts.
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p2", info, {S("k-0", "c", 0), S("k-1", "x", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}, {"k-1", {{0, "x"}}}});
  EXPECT_EQ(count(b, "inconsistent-offsets"), 1u);
}

TEST(JepsenInconsistentOffsets, PollsOfFailedOpsCount) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("d", fail, {{"k-0", {{0, "z"}}}});  // consumers must never return bad data
  EXPECT_EQ(count(b, "inconsistent-offsets"), 1u);
}

// ---- duplicate ----

TEST(JepsenDuplicate, OneValueAtTwoOffsets) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", ok, {S("k-0", "a", 1)});  // a non-idempotent retry
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "a"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "duplicate").size(), 1u);
  EXPECT_NE(found(r, "duplicate")[0].detail.find("offsets: 0, 1"), std::string::npos);
  EXPECT_FALSE(r.valid);
}

TEST(JepsenDuplicate, DistinctValuesAreNot) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", ok, {S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  EXPECT_EQ(count(b, "duplicate"), 0u);
  EXPECT_TRUE(check_history(b.h).valid);
}

// ---- lost-write ----

TEST(JepsenLostWrite, ValueBelowTheHighestReadNeverRead) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  int64_t w = b.send("p1", ok, {S("k-0", "b", 1)});
  b.send("p1", ok, {S("k-0", "c", 2)});
  int64_t r1 = b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("c", ok, {{"k-0", {{2, "c"}}}});  // c is at offset 2: b must be at 1, and nobody read it
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "lost-write").size(), 1u);
  const Anomaly& a = found(r, "lost-write")[0];
  EXPECT_EQ(a.key, "k-0");
  EXPECT_EQ(a.ops, (std::vector<int64_t>{w, r1 + 2}));
  EXPECT_NE(a.detail.find("value b (offset 1, index 1)"), std::string::npos) << a.detail;
  EXPECT_FALSE(r.valid);
}

TEST(JepsenLostWrite, ReadLaterIsNotLost) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", ok, {S("k-0", "b", 1)});
  b.send("p1", ok, {S("k-0", "c", 2)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("c", ok, {{"k-0", {{2, "c"}}}});
  b.poll("d", ok, {{"k-0", {{1, "b"}}}});
  EXPECT_EQ(count(b, "lost-write"), 0u);
}

TEST(JepsenLostWrite, ValuesAboveTheHighestReadAreNotLost) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", ok, {S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(found(r, "lost-write").size(), 0u);
  EXPECT_EQ(found(r, "unseen").size(), 1u);  // b: lost or late, we cannot tell
}

TEST(JepsenLostWrite, OnlyCommittedWritersCount) {
  // b shows up only in an info poll: it sits in the version order below the highest ok read.
  auto history = [](OpType writer) {
    Builder b;
    b.send("p1", ok, {S("k-0", "a", 0)});
    b.send("p1", writer, {S("k-0", "b", 1)});
    b.send("p1", ok, {S("k-0", "c", 2)});
    b.poll("c", ok, {{"k-0", {{0, "a"}}}});
    b.poll("d", info, {{"k-0", {{1, "b"}}}});
    b.poll("c", ok, {{"k-0", {{2, "c"}}}});
    return b;
  };
  EXPECT_EQ(count(history(ok), "lost-write"), 1u);
  EXPECT_EQ(count(history(info), "lost-write"), 0u);  // may never have committed
}

TEST(JepsenLostWrite, OneValueOfAnInfoTransactionReadMakesAllItsValuesEligible) {
  // An indefinite transaction sent a (k-0) and b (k-1); an ok poll read a, so the transaction
  // committed and b, below a later ok read on k-1, was lost.
  Builder b;
  b.txn("t", info, {S("k-0", "a", 0), S("k-1", "b", 0)}, {});
  b.send("p", ok, {S("k-1", "c", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}, {"k-1", {{1, "c"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "lost-write").size(), 1u);
  EXPECT_NE(found(r, "lost-write")[0].detail.find("value b"), std::string::npos);
  Builder unread;  // nothing of the transaction was read: it may never have committed
  unread.txn("t", info, {S("k-0", "a", 0), S("k-1", "b", 0)}, {});
  unread.send("p", ok, {S("k-1", "c", 1)});
  unread.poll("c", ok, {{"k-1", {{1, "c"}}}});
  EXPECT_EQ(count(unread, "lost-write"), 0u);
}

TEST(JepsenLostWrite, ReadsOfInfoOrFailOpsAreNoEvidenceOfReading) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", ok, {S("k-0", "b", 1)});
  b.poll("c", fail, {{"k-0", {{0, "a"}, {1, "b"}}}});
  b.poll("d", ok, {{"k-0", {{1, "b"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "lost-write").size(), 1u);
  EXPECT_NE(found(r, "lost-write")[0].detail.find("value a"), std::string::npos);
}

// ---- unseen ----

TEST(JepsenUnseen, OkSendNeverPolledByAnOkOp) {
  Builder b;
  int64_t w = b.send("p1", ok, {S("k-0", "a", 0), S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("d", info, {{"k-0", {{0, "a"}, {1, "b"}}}});  // an info poll is no proof
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "unseen").size(), 1u);
  const Anomaly& a = found(r, "unseen")[0];
  EXPECT_EQ(a.key, "k-0");
  EXPECT_EQ(a.ops, std::vector<int64_t>{w});
  EXPECT_NE(a.detail.find("1 values"), std::string::npos) << a.detail;
  EXPECT_NE(a.detail.find("[b]"), std::string::npos) << a.detail;
  EXPECT_FALSE(r.valid);  // unseen is never allowed
}

TEST(JepsenUnseen, PolledOrNotAcknowledgedIsNot) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", info, {S("k-0", "b")});  // unknown outcome: not owed to anyone
  b.send("p1", fail, {S("k-1", "x")});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  EXPECT_EQ(count(b, "unseen"), 0u);
  EXPECT_TRUE(check_history(b.h).valid);
}

// ---- G1a ----

TEST(JepsenG1a, OkPollReadsAFailedSend) {
  Builder b;
  int64_t w = b.send("p1", fail, {S("k-0", "a")});
  int64_t r1 = b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "G1a").size(), 1u);
  EXPECT_EQ(found(r, "G1a")[0].ops, (std::vector<int64_t>{w, r1}));
  EXPECT_FALSE(r.valid);
}

// An aborted transaction's records: a read_uncommitted poll returns the failed send's value,
// a read_committed one steps over it. The value is no version of the log, so only the first
// poll is an anomaly (G1a), not the second (int-poll-skip).
TEST(JepsenG1a, AFailedSendsValueIsNoVersionOfTheLog) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p1", fail, {S("k-0", "x", 1)});
  b.send("p1", ok, {S("k-0", "b", 2)});
  b.poll("dirty", ok, {{"k-0", {{0, "a"}, {1, "x"}, {2, "b"}}}});
  b.poll("clean", ok, {{"k-0", {{0, "a"}, {2, "b"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(found(r, "G1a").size(), 1u);
  EXPECT_EQ(found(r, "int-poll-skip").size(), 0u);
  EXPECT_EQ(found(r, "lost-write").size(), 0u);
}

TEST(JepsenG1a, InfoSendOrNonOkPollIsNot) {
  Builder b;
  b.send("p1", info, {S("k-0", "a")});
  b.send("p1", fail, {S("k-1", "x")});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("d", info, {{"k-1", {{0, "x"}}}});
  EXPECT_EQ(count(b, "G1a"), 0u);
}

// ---- precommitted-read ----

TEST(JepsenPrecommittedRead, OpReadsItsOwnSend) {
  Builder b;
  int64_t t = b.txn("p1", ok, {S("k-0", "a", 0)}, {{"k-0", {{0, "a"}}}});
  CheckResult r = check_history(b.h);
  ASSERT_EQ(found(r, "precommitted-read").size(), 1u);
  EXPECT_EQ(found(r, "precommitted-read")[0].ops, std::vector<int64_t>{t});
  EXPECT_FALSE(r.valid);
}

TEST(JepsenPrecommittedRead, ReadingOthersSendsIsNot) {
  Builder b;
  b.send("p2", ok, {S("k-0", "z", 0)});
  b.txn("p1", ok, {S("k-0", "a", 1)}, {{"k-0", {{0, "z"}}}});
  b.poll("c", ok, {{"k-0", {{0, "z"}, {1, "a"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

// ---- poll-skip and nonmonotonic-poll ----

namespace {
// a, b, c at offsets 0-2 of k-0, all read by some other consumer.
Builder three_sent() {
  Builder b;
  b.send("p", ok, {S("k-0", "a", 0), S("k-0", "b", 1), S("k-0", "c", 2)});
  b.poll("other", ok, {{"k-0", {{0, "a"}, {1, "b"}, {2, "c"}}}});
  return b;
}
}  // namespace

TEST(JepsenPollSkip, NextPollJumpsOverARecord) {
  Builder b = three_sent();
  b.assign("c", ok, {"k-0"});
  int64_t r1 = b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  int64_t r2 = b.poll("c", ok, {{"k-0", {{2, "c"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"poll-skip"});
  const Anomaly& a = found(r, "poll-skip").at(0);
  EXPECT_EQ(a.ops, (std::vector<int64_t>{r1, r2}));
  EXPECT_NE(a.detail.find("skipping [b]"), std::string::npos) << a.detail;
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(check_history(b.h, {.sub_via_subscribe = true}).valid);
}

TEST(JepsenPollSkip, AssignThatDroppedTheKeyResets) {
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.assign("c", ok, {"k-1"});
  b.assign("c", ok, {"k-0"});
  b.poll("c", ok, {{"k-0", {{2, "c"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

TEST(JepsenPollSkip, InfoSubscribeResetsButFailedAssignDoesNot) {
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.assign("c", info, {"k-1"}, "subscribe");
  b.poll("c", ok, {{"k-0", {{2, "c"}}}});
  EXPECT_EQ(count(b, "poll-skip"), 0u);

  Builder f = three_sent();
  f.poll("c", ok, {{"k-0", {{0, "a"}}}});
  f.assign("c", fail, {"k-1"});
  f.poll("c", ok, {{"k-0", {{2, "c"}}}});
  EXPECT_EQ(count(f, "poll-skip"), 1u);
}

TEST(JepsenPollSkip, AbortedPollsAreCheckedButDoNotMoveThePosition) {
  // After a failed poll the consumer rewinds: re-reading b is right.
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("c", fail, {{"k-0", {{1, "b"}}}});
  b.poll("c", ok, {{"k-0", {{1, "b"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});

  // Not rewinding after an info poll (continuing at c) skips b.
  Builder n = three_sent();
  n.poll("c", ok, {{"k-0", {{0, "a"}}}});
  n.poll("c", info, {{"k-0", {{1, "b"}}}});
  n.poll("c", ok, {{"k-0", {{2, "c"}}}});
  EXPECT_EQ(count(n, "poll-skip"), 1u);

  // A failed poll that itself skips is reported.
  Builder s = three_sent();
  s.poll("c", ok, {{"k-0", {{0, "a"}}}});
  s.poll("c", fail, {{"k-0", {{2, "c"}}}});
  EXPECT_EQ(count(s, "poll-skip"), 1u);
}

TEST(JepsenNonmonotonicPoll, NextPollReadsBackwards) {
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  b.poll("c", ok, {{"k-0", {{1, "b"}, {2, "c"}}}});  // b again: delta 0
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"nonmonotonic-poll"});
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(check_history(b.h, {.sub_via_subscribe = true}).valid);
}

TEST(JepsenNonmonotonicPoll, SeekAfterAssignIsNot) {
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  b.assign("c", ok, {});
  b.assign("c", ok, {"k-0"});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

TEST(JepsenNonmonotonicPoll, ProcessOrderIsInvocationOrder) {
  // Two polls outstanding at once; the later-invoked one completes first.
  Builder b = three_sent();
  int64_t first = b.invoke("c", "poll");
  int64_t second = b.invoke("c", "poll");
  b.complete(second, ok, {}, {{"k-0", {{1, "b"}}}});
  b.complete(first, ok, {}, {{"k-0", {{0, "a"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

// ---- int-poll-skip and int-nonmonotonic-poll ----

TEST(JepsenIntPoll, SkipAndBackwardsInsideOnePoll) {
  Builder b = three_sent();
  b.poll("c", ok, {{"k-0", {{0, "a"}, {2, "c"}}}});
  b.poll("d", ok, {{"k-0", {{1, "b"}, {0, "a"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), (Types{"int-nonmonotonic-poll", "int-poll-skip"}));
  EXPECT_NE(found(r, "int-poll-skip")[0].detail.find("skipping [b]"), std::string::npos);
  EXPECT_FALSE(r.valid);
}

TEST(JepsenIntPoll, KeysInTheRebalanceLogAreExempt) {
  Builder b = three_sent();
  const int64_t i = b.poll("c", ok, {{"k-0", {{0, "a"}, {2, "c"}}}});
  b.h.ops[static_cast<size_t>(i)].rebalance_log = {{"revoked", {"k-0"}}, {"assigned", {"k-0"}}};
  EXPECT_EQ(types(check_history(b.h)), Types{}) << "k-0 moved while the poll ran";
  b.h.ops[static_cast<size_t>(i)].rebalance_log = {{"assigned", {"k-1"}}};
  EXPECT_EQ(types(check_history(b.h)), Types{"int-poll-skip"}) << "only the keys named are exempt";
}

TEST(JepsenIntPoll, SparseOffsetsAreNotSkips) {
  // Offsets 1-4 hold transaction markers or nothing anyone saw: the dense index has no gap.
  Builder b;
  b.send("p", ok, {S("k-0", "a", 0)});
  b.send("p", ok, {S("k-0", "b", 5)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {5, "b"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

// ---- int-send-skip and int-nonmonotonic-send ----

TEST(JepsenIntSend, AnotherRecordBetweenTwoSendsOfOneOp) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0), S("k-0", "c", 2)});
  b.send("p2", ok, {S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}, {2, "c"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"int-send-skip"});
  EXPECT_TRUE(r.valid);  // Kafka does not isolate one producer's writes
}

TEST(JepsenIntSend, SendsOfOneOpOutOfOrder) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 1), S("k-0", "b", 0)});
  b.poll("c", ok, {{"k-0", {{0, "b"}, {1, "a"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"int-nonmonotonic-send"});
  EXPECT_FALSE(r.valid);
}

TEST(JepsenIntSend, AdjacentSendsAreNot) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0), S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

// ---- nonmonotonic-send ----

TEST(JepsenNonmonotonicSend, LaterOpLandsBeforeTheEarlier) {
  Builder b;
  int64_t s1 = b.send("p1", ok, {S("k-0", "b", 1)});
  int64_t s2 = b.send("p1", info, {S("k-0", "a", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"nonmonotonic-send"});
  EXPECT_EQ(found(r, "nonmonotonic-send")[0].ops, (std::vector<int64_t>{s1, s2}));
  EXPECT_FALSE(r.valid);
}

TEST(JepsenNonmonotonicSend, ResetByAssignAndUnknownIndicesAreNot) {
  Builder b;
  b.send("p1", ok, {S("k-0", "b", 1)});
  b.assign("p1", ok, {"k-1"});
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});

  Builder u;  // the second send's offset is unknown and nobody read it: delta counts as 1
  u.send("p1", ok, {S("k-0", "b", 1)});
  u.send("p1", info, {S("k-0", "a")});
  u.poll("c", ok, {{"k-0", {{1, "b"}}}});
  EXPECT_EQ(count(u, "nonmonotonic-send"), 0u);
}

TEST(JepsenNonmonotonicSend, OtherProducersInBetweenAreNot) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.send("p2", ok, {S("k-0", "b", 1)});
  b.send("p1", ok, {S("k-0", "c", 2)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}, {2, "c"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
}

// ---- G0 and G1c ----

TEST(JepsenCycles, WrCycleIsG1c) {
  // T1 read T2's y, T2 read T1's x: circular information flow, no ww edges needed.
  Builder b;
  int64_t t1 = b.txn("p1", ok, {S("k-0", "x", 0)}, {{"k-1", {{0, "y"}}}});
  int64_t t2 = b.txn("p2", ok, {S("k-1", "y", 0)}, {{"k-0", {{0, "x"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"G1c"});
  EXPECT_EQ(found(r, "G1c")[0].ops, (std::vector<int64_t>{t1, t2}));
  EXPECT_NE(found(r, "G1c")[0].detail.find("wr k-0: x"), std::string::npos);
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(check_history(b.h, {.ww_deps = true}).valid);
}

TEST(JepsenCycles, WwCycleIsG0OnlyWithWwDeps) {
  // T1 is before T2 on k-0 and after it on k-1.
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0), S("k-1", "d", 1)});
  b.send("p2", ok, {S("k-0", "b", 1), S("k-1", "c", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}, {"k-1", {{0, "c"}, {1, "d"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
  CheckResult r = check_history(b.h, {.ww_deps = true});
  EXPECT_EQ(types(r), Types{"G0"});
  EXPECT_TRUE(r.valid);  // G0 is always allowed: Kafka does not isolate writes
}

TEST(JepsenCycles, WwAndWrCycleIsG1cWithWwDeps) {
  // T1's a precedes T2's b on k-0 (ww), and T1 read T2's c (wr). They overlap in time (else T1
  // would have read c before T2 began: G1c-realtime, below).
  Builder b;
  const int64_t t1 = b.invoke("p1", "txn");
  const int64_t t2 = b.invoke("p2", "send");
  b.complete(t1, ok, {S("k-0", "a", 0)}, {{"k-1", {{0, "c"}}}});
  b.complete(t2, ok, {S("k-0", "b", 1), S("k-1", "c", 0)});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{});
  CheckResult r = check_history(b.h, {.ww_deps = true});
  EXPECT_EQ(types(r), Types{"G1c"});
  EXPECT_TRUE(r.valid);
}

TEST(JepsenCycles, ReadingAValueBeforeItsSendBeganIsG1cRealtime) {
  // The poll completed before the send was invoked, yet read its value: the wr edge and real
  // time make a cycle that neither alone does.
  Builder b;
  const int64_t poll = b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  const int64_t send = b.send("p", ok, {S("k-0", "a", 0)});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), Types{"G1c-realtime"});
  ASSERT_EQ(found(r, "G1c-realtime").size(), 1u);
  const Anomaly& cycle = found(r, "G1c-realtime")[0];
  EXPECT_EQ(cycle.ops, (std::vector<int64_t>{send, poll}));
  EXPECT_NE(cycle.detail.find("-[wr k-0: a]-> op " + std::to_string(poll)), std::string::npos) << cycle.detail;
  EXPECT_NE(cycle.detail.find("-[realtime: completed before it was invoked]-> op " + std::to_string(send)), std::string::npos)
      << cycle.detail;
  EXPECT_FALSE(r.valid);
  EXPECT_TRUE(check_history(b.h, {.ww_deps = true}).valid) << "G1c variants are allowed under ww-deps";
}

TEST(JepsenCycles, ASendOrderedBeforeOneThatCompletedEarlierIsG0Realtime) {
  // a was acknowledged before b's send began, yet b sits before a in the log.
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 1)});
  b.send("p2", ok, {S("k-0", "b", 0)});
  b.poll("c", ok, {{"k-0", {{0, "b"}, {1, "a"}}}});
  EXPECT_EQ(types(check_history(b.h)), Types{}) << "ww edges only with ww-deps";
  CheckResult r = check_history(b.h, {.ww_deps = true});
  EXPECT_EQ(types(r), Types{"G0-realtime"});
  EXPECT_TRUE(r.valid) << "G0 variants are always allowed";
}

TEST(JepsenCycles, OverlappingOpsMakeNoRealtimeCycle) {
  // The poll ran while the send was outstanding: reading its value is fine.
  Builder b;
  const int64_t send = b.invoke("p", "send");
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.complete(send, ok, {S("k-0", "a", 0)});
  EXPECT_EQ(types(check_history(b.h, {.ww_deps = true})), Types{});
}

TEST(JepsenCycles, ChainIsNoCycle) {
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0)});
  b.txn("p2", ok, {S("k-0", "b", 1)}, {{"k-0", {{0, "a"}}}});
  b.poll("c", ok, {{"k-0", {{0, "a"}, {1, "b"}}}});
  EXPECT_EQ(types(check_history(b.h, {.ww_deps = true})), Types{});
}

// ---- validity ----

TEST(JepsenValid, AllowedSets) {
  EXPECT_EQ(allowed_anomalies({}), (Types{"G0", "G0-realtime", "int-send-skip"}));
  EXPECT_EQ(allowed_anomalies({.sub_via_subscribe = true}),
            (Types{"G0", "G0-realtime", "int-send-skip", "nonmonotonic-poll", "poll-skip"}));
  EXPECT_EQ(allowed_anomalies({.ww_deps = true}), (Types{"G0", "G0-realtime", "G1c", "G1c-realtime", "int-send-skip"}));
}

TEST(JepsenValid, EmptyAndCleanHistories) {
  EXPECT_TRUE(check_history(History{}).valid);
  Builder b = three_sent();
  b.assign("c", ok, {"k-0"});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("c", ok, {{"k-0", {{1, "b"}, {2, "c"}}}});
  CheckResult r = check_history(b.h, {.sub_via_subscribe = true, .ww_deps = true});
  EXPECT_TRUE(r.valid);
  EXPECT_TRUE(r.anomalies.empty());
}

TEST(JepsenValid, AnyDisallowedAnomalyMakesItInvalid) {
  // An allowed int-send-skip next to a disallowed lost write.
  Builder b;
  b.send("p1", ok, {S("k-0", "a", 0), S("k-0", "c", 2)});
  b.send("p2", ok, {S("k-0", "b", 1)});
  b.poll("c", ok, {{"k-0", {{0, "a"}}}});
  b.poll("d", ok, {{"k-0", {{2, "c"}}}});
  CheckResult r = check_history(b.h);
  EXPECT_EQ(types(r), (Types{"int-send-skip", "lost-write", "unseen"}));
  EXPECT_FALSE(r.valid);
}
