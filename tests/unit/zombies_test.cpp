// The fenced-zombie check on its own: a record of a transaction the coordinator fenced is an
// anomaly when a read_committed consumer read it, and only then.
#include <gtest/gtest.h>

#include "sim/check/zombies.hpp"

namespace {

check::History history_with_read(const std::string& reader, const std::string& value) {
  check::History h;
  check::Op send;
  send.index = 0;
  send.id = 7;
  send.process = "zombie";
  send.type = check::OpType::fail;
  send.f = "send";
  send.time_ns = 3'000'000'000;
  send.sends.push_back(check::Send{"t-0", value, 4});
  h.ops.push_back(send);
  check::Op poll;
  poll.index = 1;
  poll.id = 8;
  poll.process = reader;
  poll.type = check::OpType::ok;
  poll.f = "poll";
  poll.time_ns = 4'000'000'000;
  poll.polls["t-0"].push_back(check::Read{4, value});
  h.ops.push_back(poll);
  return h;
}

check::FencedTxn fenced(const std::string& value) {
  check::FencedTxn t;
  t.transactional_id = "tx";
  t.client = "zombie";
  t.producer_id = 1000;
  t.epoch = 0;
  t.txn = 1;
  t.fenced_epoch = 1;
  t.fence_ns = 2'000'000'000;
  t.reason = "InitProducerId";
  t.sends = {{value, 7}};
  return t;
}

}  // namespace

TEST(FencedZombieReads, AReadCommittedReadOfAFencedRecordIsAnAnomalyNamingTheIdAndEpochs) {
  const auto found = check::fenced_zombie_reads(history_with_read("g-1", "z1"), {fenced("z1")}, {{"g-1", "g"}}, {"g"});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].key, "t-0");
  EXPECT_EQ(found[0].value, "z1");
  EXPECT_EQ(found[0].offset, 4);
  EXPECT_EQ(found[0].ops, (std::vector<int64_t>{0, 1}));
  EXPECT_NE(found[0].detail.find("transactional id tx at producer id 1000 epoch 0"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].detail.find("(epoch 1, InitProducerId)"), std::string::npos) << found[0].detail;
  EXPECT_NE(found[0].explanation.find("aborted the open transaction"), std::string::npos) << found[0].explanation;
}

TEST(FencedZombieReads, ReadUncommittedReadsAndOtherRecordsAreNot) {
  // A read_uncommitted group reads aborted records by design.
  EXPECT_TRUE(check::fenced_zombie_reads(history_with_read("g-1", "z1"), {fenced("z1")}, {{"g-1", "g"}}, {}).empty());
  // A reader of no read_committed group.
  EXPECT_TRUE(check::fenced_zombie_reads(history_with_read("h-1", "z1"), {fenced("z1")}, {{"h-1", "h"}}, {"g"}).empty());
  // A record of no fenced transaction.
  EXPECT_TRUE(check::fenced_zombie_reads(history_with_read("g-1", "ok1"), {fenced("z1")}, {{"g-1", "g"}}, {"g"}).empty());
}

TEST(FencedZombieReads, ARetryOfTheSameValueCommittedElsewhereIsNotTheZombies) {
  // A pipeline's output is derived from its input: the retry after the fence writes the same
  // value again, at another offset, and commits it. Reading that one is no zombie read.
  check::History h = history_with_read("g-1", "z1");
  h.ops[1].polls["t-0"][0].offset = 9;
  check::Op retry = h.ops[0];
  retry.id = 9;
  retry.process = "replacement";
  retry.type = check::OpType::ok;
  retry.sends[0].offset = 9;
  h.ops.insert(h.ops.begin() + 1, retry);
  EXPECT_TRUE(check::fenced_zombie_reads(h, {fenced("z1")}, {{"g-1", "g"}}, {"g"}).empty());
  // The zombie's own offset is.
  h.ops[2].polls["t-0"][0].offset = 4;
  EXPECT_EQ(check::fenced_zombie_reads(h, {fenced("z1")}, {{"g-1", "g"}}, {"g"}).size(), 1u);
}
