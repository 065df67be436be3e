// Transactions at the partition leaders, driven request by request from a probe standing for
// the transactional producer and the transaction coordinator: WriteTxnMarkers appended and
// answered once committed (KafkaApis.handleWriteTxnMarkersRequest), the leader's checks of the
// producer and coordinator epochs (ProducerAppendInfo.appendEndTxnMarker), READ_COMMITTED
// fetches and ListOffsets to the last stable offset with the aborted transactions listed
// (UnifiedLog.collectAbortedTransactions), the consumer dropping aborted and control batches
// (CompletedFetch), and TxnOffsetCommit at the group coordinator (GroupMetadataManager).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "probe_client.hpp"

namespace kafkasim_test {
namespace {

using kafka::Error;
using sim::Duration;

const std::string kTopic = "events";
const std::string kGroup = "pipeline";
constexpr int64_t kAborting = 100;    // a producer whose transaction is aborted
constexpr int64_t kCommitting = 200;  // one whose transaction commits

kafka::BatchPtr batch(std::vector<std::string> values, int64_t pid, int16_t epoch, int32_t seq, bool transactional) {
  auto b = std::make_shared<kafka::RecordBatch>();
  auto recs = std::make_shared<std::vector<kafka::Record>>();
  for (auto& v : values) recs->push_back(kafka::Record{"", v, false, 10, 0, {}});
  b->records = recs;
  b->producer_id = pid;
  b->producer_epoch = epoch;
  b->base_sequence = seq;
  b->transactional = transactional;
  return b;
}

class TxnBroker : public ::testing::Test {
 protected:
  TxnBroker() : c_(options()) {
    c_.topic(one_partition_topic(kTopic));
    probe_.emplace(c_, "probe");
  }

  static TestCluster::Options options() {
    TestCluster::Options o;
    // The probe opens transactions no coordinator knows of: the leaders must not verify them
    // with one (KIP-890 part 1 has its own tests, txn_verify_test.cpp).
    o.broker = {{"offsets.topic.num.partitions", 1},
                {"group.initial.rebalance.delay.ms", 0},
                {"transaction.partition.verification.enable", false}};
    return o;
  }

  sim::NodeId leader() const { return c_.node(c_.leader(kTopic, 0)); }
  int64_t leader_lso() const {
    const kafka::PartitionLog* log = c_.log(c_.leader(kTopic, 0), kTopic, 0);
    return log ? log->last_stable_offset() : -1;
  }

  Error produce(kafka::BatchPtr b) {
    auto req = std::make_shared<kafka::ProduceRequest>();
    req->transactional_id = b->transactional ? "txn-" + std::to_string(b->producer_id) : "";
    req->acks = -1;
    req->partitions.push_back({kTopic, 0, std::move(b)});
    const auto* resp = probe_->call<kafka::ProduceResponse>(leader(), req);
    return resp ? resp->partitions.at(0).error : Error::REQUEST_TIMED_OUT;
  }

  Error marker(int64_t pid, int16_t epoch, bool committed, std::vector<kafka::TopicPartition> tps = {{kTopic, 0}},
               std::optional<sim::NodeId> to = std::nullopt, int32_t coordinator_epoch = 0) {
    auto req = std::make_shared<kafka::WriteTxnMarkersRequest>();
    req->markers.push_back({pid, epoch, committed, std::move(tps), coordinator_epoch});
    const auto* resp = probe_->call<kafka::WriteTxnMarkersResponse>(to.value_or(leader()), req);
    return resp ? resp->markers.at(0).partitions.at(0).error : Error::REQUEST_TIMED_OUT;
  }

  const kafka::FetchResponse::PartitionData* fetch(int8_t isolation, int64_t from = 0) {
    auto req = std::make_shared<kafka::FetchRequest>();
    req->max_wait_ms = 0;
    req->isolation_level = isolation;
    req->partitions.push_back({kTopic, 0, from, -1});
    const auto* resp = probe_->call<kafka::FetchResponse>(leader(), req);
    return resp ? &resp->partitions.at(0) : nullptr;
  }

  int64_t latest(int8_t isolation) {
    auto req = std::make_shared<kafka::ListOffsetsRequest>();
    req->isolation_level = isolation;
    req->partitions.push_back({{kTopic, 0}, kafka::ListOffsetsRequest::kLatest});
    const auto* resp = probe_->call<kafka::ListOffsetsResponse>(leader(), req);
    return resp ? resp->partitions.at(0).offset : -2;
  }

  // Values of the data records of `pd`, control batches left out.
  static std::vector<std::string> values(const kafka::FetchResponse::PartitionData& pd) {
    std::vector<std::string> out;
    for (const auto& b : pd.batches)
      if (!b->control)
        for (const auto& r : *b->records) out.push_back(r.value);
    return out;
  }

  // The log every test starts from: producer 100 writes a, b in a transaction (offsets 0-1),
  // producer 200 writes c in one (2), a plain producer d (3).
  void write_open_transactions() {
    ASSERT_EQ(produce(batch({"a", "b"}, kAborting, 0, 0, true)), Error::NONE);
    ASSERT_EQ(produce(batch({"c"}, kCommitting, 0, 0, true)), Error::NONE);
    ASSERT_EQ(produce(batch({"d"}, kafka::kNoProducerId, -1, -1, false)), Error::NONE);
    ASSERT_TRUE(c_.run_until([&] { return c_.log(c_.leader(kTopic, 0), kTopic, 0)->high_watermark() == 4; }));
  }

  Error txn_commit(int64_t pid, int64_t offset, int32_t generation, const std::string& member_id, int16_t epoch = 0) {
    auto req = std::make_shared<kafka::TxnOffsetCommitRequest>();
    req->transactional_id = "txn-" + std::to_string(pid);
    req->group_id = kGroup;
    req->producer_id = pid;
    req->producer_epoch = epoch;
    req->generation_id = generation;
    req->member_id = member_id;
    req->offsets = {{{kTopic, 0}, offset, -1}};
    const auto* resp = probe_->call<kafka::TxnOffsetCommitResponse>(c_.coordinator(kGroup), req);
    return resp ? resp->results.at(0).error : Error::REQUEST_TIMED_OUT;
  }
  Error txn_commit(int64_t pid, int64_t offset) { return txn_commit(pid, offset, generation_, member_id_); }

  // The committed offset OffsetFetch answers (or its partition error).
  std::pair<int64_t, Error> committed(bool require_stable) {
    auto req = std::make_shared<kafka::OffsetFetchRequest>();
    req->group_id = kGroup;
    req->partitions = {{kTopic, 0}};
    req->require_stable = require_stable;
    const auto* resp = probe_->call<kafka::OffsetFetchResponse>(c_.coordinator(kGroup), req);
    if (!resp || resp->error != Error::NONE) return {-2, resp ? resp->error : Error::REQUEST_TIMED_OUT};
    return {resp->offsets.at(0).offset, resp->offsets.at(0).error};
  }

  Error offsets_marker(int64_t pid, bool commit) {
    return marker(pid, 0, commit, {{"__consumer_offsets", 0}}, c_.coordinator(kGroup));
  }

  TestCluster c_;
  std::optional<ProbeClient> probe_;  // a transactional producer, and a member of kGroup (TxnOffsets)
  std::string member_id_;  // the probe's, once it joined kGroup (TxnOffsets)
  int32_t generation_ = -1;
};

constexpr int8_t kReadUncommitted = 0;
constexpr int8_t kReadCommitted = 1;

// An open transaction pins the last stable offset at its first offset: read_committed reads
// nothing past it while read_uncommitted reads to the high watermark; the markers release it,
// and the aborted transaction is listed for the consumer to drop.
TEST_F(TxnBroker, ReadCommittedReadsToTheLastStableOffsetAndListsAbortedTransactions) {
  write_open_transactions();
  EXPECT_EQ(values(*fetch(kReadUncommitted)), (std::vector<std::string>{"a", "b", "c", "d"}));
  const auto* pinned = fetch(kReadCommitted);
  EXPECT_TRUE(pinned->batches.empty()) << "the LSO is 0 while producer 100's transaction is open";
  EXPECT_EQ(pinned->last_stable_offset, 0);
  EXPECT_EQ(pinned->high_watermark, 4);
  EXPECT_EQ(latest(kReadCommitted), 0);
  EXPECT_EQ(latest(kReadUncommitted), 4);

  ASSERT_EQ(marker(kAborting, 0, false), Error::NONE);  // offset 4
  EXPECT_EQ(latest(kReadCommitted), 2) << "producer 200's transaction is still open at 2";
  ASSERT_EQ(marker(kCommitting, 0, true), Error::NONE);  // offset 5
  ASSERT_TRUE(c_.run_until([&] { return leader_lso() == 6; }));
  EXPECT_EQ(latest(kReadCommitted), 6);

  const auto* all = fetch(kReadCommitted);
  ASSERT_EQ(all->batches.size(), 5u);
  EXPECT_TRUE(all->batches[3]->control && all->batches[4]->control);
  ASSERT_EQ(all->aborted_transactions.size(), 1u);
  EXPECT_EQ(all->aborted_transactions[0].producer_id, kAborting);
  EXPECT_EQ(all->aborted_transactions[0].first_offset, 0);
  EXPECT_TRUE(fetch(kReadCommitted, 5)->aborted_transactions.empty()) << "the aborted range ends before offset 5";

  // Every replica took the markers from the replicated log: no transaction open anywhere.
  for (kafka::BrokerId b : {1, 2, 3}) {
    ASSERT_TRUE(c_.run_until([&] { return c_.log(b, kTopic, 0)->log_end_offset() == 6; })) << b;
    EXPECT_TRUE(c_.log(b, kTopic, 0)->producer_state().ongoing_txns().empty()) << b;
    EXPECT_EQ(c_.log(b, kTopic, 0)->txn_index().entries().size(), 1u) << b;
  }
  EXPECT_EQ(c_.events("txn.marker").size(), 2u);
  EXPECT_FALSE(c_.events("replica.lso").empty());
}

// The leader refuses markers from a fenced producer epoch or a fenced coordinator, and from a
// broker that does not lead the partition; a marker that bumps the epoch fences the producer's
// older epoch from writing again (a zombie's late produce).
TEST_F(TxnBroker, MarkersAreCheckedAgainstProducerAndCoordinatorEpochs) {
  ASSERT_EQ(produce(batch({"a"}, kAborting, 1, 0, true)), Error::NONE);
  EXPECT_EQ(marker(kAborting, 0, false), Error::INVALID_PRODUCER_EPOCH);
  const kafka::BrokerId follower = c_.leader(kTopic, 0) == 1 ? 2 : 1;
  EXPECT_EQ(marker(kAborting, 1, false, {{kTopic, 0}}, c_.node(follower)), Error::NOT_LEADER_OR_FOLLOWER);
  EXPECT_EQ(marker(kAborting, 2, false, {{kTopic, 0}}, std::nullopt, 5), Error::NONE) << "the coordinator fences epoch 1 with epoch 2";
  EXPECT_EQ(marker(kAborting, 2, false, {{kTopic, 0}}, std::nullopt, 4), Error::TRANSACTION_COORDINATOR_FENCED);
  EXPECT_EQ(produce(batch({"late"}, kAborting, 1, 1, true)), Error::INVALID_PRODUCER_EPOCH) << "the zombie's write";
  EXPECT_EQ(c_.events("txn.marker_rejected").size(), 3u);
}

// A transactional producer writes only transactional batches while its transaction is open.
TEST_F(TxnBroker, APlainBatchInsideAnOpenTransactionIsInvalidTxnState) {
  ASSERT_EQ(produce(batch({"a"}, kAborting, 0, 0, true)), Error::NONE);
  EXPECT_EQ(produce(batch({"b"}, kAborting, 0, 1, false)), Error::INVALID_TXN_STATE);
}

// The consumer (CompletedFetch): read_committed never returns an aborted record and moves its
// position past the markers; read_uncommitted returns the aborted records but never a control
// record. Its lag is measured against the LSO.
TEST_F(TxnBroker, ConsumersDropAbortedRecordsAndControlBatches) {
  write_open_transactions();
  ASSERT_EQ(marker(kAborting, 0, false), Error::NONE);
  ASSERT_EQ(marker(kCommitting, 0, true), Error::NONE);
  const sim::NodeId committed = c_.consumer("committed-reader", "rc", {kTopic}, {{"isolation.level", "read_committed"}, {"auto.offset.reset", "earliest"}});
  const sim::NodeId uncommitted = c_.consumer("uncommitted-reader", "ru", {kTopic},
                                              {{"isolation.level", "read_uncommitted"}, {"auto.offset.reset", "earliest"}});
  auto position = [&](sim::NodeId n) {
    const auto& subs = c_.consumer_at(n)->subscriptions();
    const kafka::TopicPartition tp{kTopic, 0};
    return subs.is_assigned(tp) ? subs.state(tp).offset : -1;
  };
  auto processed = [&](const std::string& group) {
    std::multiset<std::string> out;
    for (const auto& p : c_.outcomes().group(group).processed) out.insert(c_.outcomes().text(p.value));
    return out;
  };
  ASSERT_TRUE(c_.run_until([&] { return position(committed) == 6 && position(uncommitted) == 6 && processed("ru").size() >= 4; },
                           Duration::seconds(30)))
      << "positions " << position(committed) << " " << position(uncommitted);
  c_.run_for(Duration::seconds(2));
  EXPECT_EQ(processed("rc"), (std::multiset<std::string>{"c", "d"}));
  EXPECT_EQ(processed("ru"), (std::multiset<std::string>{"a", "b", "c", "d"}));
}

// A read_committed consumer reads nothing past an open transaction, and its lag counts to the
// LSO rather than the HW.
TEST_F(TxnBroker, AnOpenTransactionStallsReadCommittedConsumers) {
  write_open_transactions();
  const sim::NodeId committed = c_.consumer("committed-reader", "rc", {kTopic},
                                            {{"isolation.level", "read_committed"}, {"auto.offset.reset", "earliest"}});
  c_.run_for(Duration::seconds(10));
  EXPECT_TRUE(c_.outcomes().group("rc").processed.empty());
  const auto& s = c_.consumer_at(committed)->subscriptions().state({kTopic, 0});
  EXPECT_EQ(s.last_stable_offset, 0);
  EXPECT_EQ(s.high_watermark, 4);
}

}  // namespace
}  // namespace kafkasim_test

namespace kafkasim_test {
namespace {

// TxnOffsetCommit at the group coordinator, with a member of the group that the probe joins.
class TxnOffsets : public TxnBroker {
 protected:
  TxnOffsets() {
    c_.offsets_topic();
    auto join = [&](const std::string& member_id) {
      auto req = std::make_shared<kafka::JoinGroupRequest>();
      req->group_id = kGroup;
      req->member_id = member_id;
      req->protocols = {"range"};
      req->subscription.topics = {kTopic};
      return probe_->call<kafka::JoinGroupResponse>(c_.coordinator(kGroup), req);
    };
    const auto* first = join("");
    const auto* joined = first && first->error == Error::MEMBER_ID_REQUIRED ? join(first->member_id) : first;
    if (!joined || joined->error != Error::NONE) throw std::runtime_error("the probe could not join");
    member_id_ = joined->member_id;
    generation_ = joined->generation;
    auto sync = std::make_shared<kafka::SyncGroupRequest>();
    sync->group_id = kGroup;
    sync->member_id = member_id_;
    sync->generation = generation_;
    sync->assignments = {{member_id_, {{kTopic, 0}}}};
    const auto* synced = probe_->call<kafka::SyncGroupResponse>(c_.coordinator(kGroup), sync);
    if (!synced || synced->error != Error::NONE) throw std::runtime_error("the probe could not sync");
  }

};

// Offsets committed in a transaction stay invisible (require_stable: UNSTABLE_OFFSET_COMMIT)
// until the COMMIT marker reaches the group's partition; an ABORT drops them.
TEST_F(TxnOffsets, PendingUntilTheMarkerThenCommittedOrDropped) {
  ASSERT_EQ(txn_commit(kCommitting, 42), Error::NONE);
  EXPECT_EQ(committed(false), std::make_pair(int64_t{-1}, Error::NONE)) << "pending offsets are not committed ones";
  EXPECT_EQ(committed(true).second, Error::UNSTABLE_OFFSET_COMMIT);
  ASSERT_EQ(offsets_marker(kCommitting, true), Error::NONE);
  EXPECT_EQ(committed(true), std::make_pair(int64_t{42}, Error::NONE));

  ASSERT_EQ(txn_commit(kAborting, 50), Error::NONE);
  ASSERT_EQ(offsets_marker(kAborting, false), Error::NONE);
  EXPECT_EQ(committed(true), std::make_pair(int64_t{42}, Error::NONE)) << "the aborted offset never counts";
  EXPECT_TRUE(c_.group(kGroup)->pending_txn_offsets.empty());
}

// KIP-447: a zombie of an older generation, or a member the group does not know, is fenced.
TEST_F(TxnOffsets, AStaleGenerationOrUnknownMemberIsFenced) {
  EXPECT_EQ(txn_commit(kCommitting, 42, generation_ - 1, member_id_), Error::ILLEGAL_GENERATION);
  EXPECT_EQ(txn_commit(kCommitting, 42, generation_, "zombie"), Error::UNKNOWN_MEMBER_ID);
  EXPECT_EQ(txn_commit(kCommitting, 42, -1, ""), Error::NONE) << "without group metadata (before KIP-447) it is taken";
}

// The producer's epoch is checked at the append: an older epoch is fenced.
TEST_F(TxnOffsets, AnOlderProducerEpochIsFenced) {
  ASSERT_EQ(txn_commit(kCommitting, 42, generation_, member_id_, 3), Error::NONE);
  EXPECT_EQ(txn_commit(kCommitting, 43, generation_, member_id_, 2), Error::INVALID_PRODUCER_EPOCH);
}

// A new coordinator loads the partition: committed offsets from COMMIT markers, and the
// offsets of a transaction still open as pending, which its marker then commits.
TEST_F(TxnOffsets, FailoverRebuildsPendingAndCommittedOffsetsFromTheLog) {
  ASSERT_EQ(txn_commit(kCommitting, 42), Error::NONE);
  ASSERT_EQ(offsets_marker(kCommitting, true), Error::NONE);
  ASSERT_EQ(txn_commit(kAborting, 60), Error::NONE);  // open when the coordinator fails
  const sim::NodeId old = c_.coordinator(kGroup);
  c_.crash(old);
  ASSERT_TRUE(c_.run_until([&] { return c_.coordinator(kGroup) != old && c_.group(kGroup) != nullptr; }, Duration::seconds(30)));
  EXPECT_EQ(committed(false), std::make_pair(int64_t{42}, Error::NONE));
  EXPECT_EQ(committed(true).second, Error::UNSTABLE_OFFSET_COMMIT);
  ASSERT_EQ(offsets_marker(kAborting, true), Error::NONE);
  EXPECT_EQ(committed(true), std::make_pair(int64_t{60}, Error::NONE));
}

}  // namespace
}  // namespace kafkasim_test

namespace kafkasim_test {
namespace {

// KIP-447: a read_committed consumer asks OffsetFetch for stable offsets and retries while a
// transaction's offsets are pending, so it starts where the transaction committed rather than
// re-reading what that transaction consumed.
TEST_F(TxnBroker, ReadCommittedConsumerWaitsForPendingOffsetsToSettle) {
  write_open_transactions();
  ASSERT_EQ(marker(kAborting, 0, false), Error::NONE);
  ASSERT_EQ(marker(kCommitting, 0, true), Error::NONE);
  c_.offsets_topic();
  ASSERT_EQ(txn_commit(kCommitting, 3, -1, ""), Error::NONE);  // the group is empty: no metadata needed
  const sim::NodeId n = c_.consumer("reader", kGroup, {kTopic}, {{"isolation.level", "read_committed"}, {"auto.offset.reset", "earliest"}});
  c_.run_for(Duration::seconds(5));
  EXPECT_TRUE(c_.outcomes().group(kGroup).processed.empty()) << "no position while the offset is unstable";
  size_t fetches = 0;
  for (const sim::StoredEvent* e : c_.events("net.send", n)) fetches += e->text("msg") == "OffsetFetchRequest" ? 1 : 0;
  EXPECT_GT(fetches, 2u) << "OffsetFetch is retried";
  ASSERT_EQ(offsets_marker(kCommitting, true), Error::NONE);
  ASSERT_TRUE(c_.run_until([&] { return !c_.outcomes().group(kGroup).processed.empty(); }, Duration::seconds(10)));
  const auto& first = c_.outcomes().group(kGroup).processed.front();
  EXPECT_EQ(first.offset, 3);
  EXPECT_EQ(c_.outcomes().text(first.value), "d");
}

}  // namespace
}  // namespace kafkasim_test

namespace kafkasim_test {
namespace {

// Followers keep producer state from the replicated log, so a new leader knows the open
// transactions: its LSO stays pinned at the oldest one until the coordinator's markers.
TEST_F(TxnBroker, ANewLeaderKnowsTheOpenTransactionsFromItsLog) {
  write_open_transactions();
  const kafka::BrokerId old = c_.leader(kTopic, 0);
  c_.crash(c_.node(old));
  ASSERT_TRUE(c_.run_until([&] {
    const kafka::BrokerId now = c_.leader(kTopic, 0);
    return now != old && now != kafka::kNoLeader && c_.replica(now, kTopic, 0) && c_.replica(now, kTopic, 0)->is_leader() &&
           c_.log(now, kTopic, 0)->high_watermark() == 4;
  }, Duration::seconds(30)));
  EXPECT_EQ(latest(kReadCommitted), 0);
  EXPECT_TRUE(fetch(kReadCommitted)->batches.empty());
  ASSERT_EQ(marker(kAborting, 0, false), Error::NONE);
  ASSERT_EQ(marker(kCommitting, 0, true), Error::NONE);
  ASSERT_TRUE(c_.run_until([&] { return leader_lso() == 6; }));
  EXPECT_EQ(latest(kReadCommitted), 6);
  EXPECT_EQ(values(*fetch(kReadCommitted)), (std::vector<std::string>{"a", "b", "c", "d"}))
      << "the leader returns everything up to the LSO; the consumer drops the aborted batch";
  EXPECT_EQ(fetch(kReadCommitted)->aborted_transactions.size(), 1u);
}

}  // namespace
}  // namespace kafkasim_test
