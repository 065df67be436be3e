#pragma once
// Builds a check::History from a run's trace as it streams: op.invoke / op.ok / op.fail /
// op.info events of producers (f = "send") and consumers (f = "poll", whose records arrive as
// op.poll_record events between the invocation and the completion; f = "subscribe" with its
// keys). A consumer's revoked, lost and newly assigned partitions (consumer.revoked,
// consumer.lost, consumer.assigned) become the rebalance log of its next poll's completion:
// polls here take no time, so the log holds the rebalances since the member's previous poll.
//
// A transaction's sends (producer.txn_send) are one operation, f = "txn", as Jepsen's txn
// workload writes them: invoked at its first send, carrying each send as it comes, and completed
// when the client learns how the transaction ended (producer.txn_end): ok when it committed (its
// sends with their partitions and offsets), fail when it aborted (its records never become
// visible to read_committed readers, so reading one is G1a), info when the producer failed with
// it open. A transaction that never ended (the producer crashed) stays invoked, indefinite, as a
// crashed producer's plain sends do. A transaction the coordinator fenced while it was open
// (txn.fence) was aborted by the coordinator, whatever its client saw: it completes as fail at the
// fence, and is kept, with its records, for the fenced-zombie check (zombies.hpp); a send the
// zombie makes in it afterwards is an operation of its own, failed.
#include <map>
#include <optional>
#include <tuple>
#include <string>
#include <utility>

#include "broker_model/trace_schema.hpp"
#include "sim/check/delivery.hpp"
#include "sim/check/history.hpp"
#include "sim/check/zombies.hpp"
#include "sim/trace.hpp"

namespace check {

class HistorySink final : public sim::TraceSink {
 public:
  using Reads = sim::schema::Reads<kafka::event::ConsumerRevoked, kafka::event::ConsumerLost, kafka::event::ConsumerAssigned,
                                   kafka::event::OpInvoke, kafka::event::OpPollRecord, kafka::event::OpOk, kafka::event::OpFail,
                                   kafka::event::OpInfo, kafka::event::ProducerTxnSend, kafka::event::ProducerTxnEnd,
                                   kafka::event::TxnFence>;
  void write(const sim::Event& e) override;
  const History& history() const { return history_; }
  // The transactions the coordinator fenced while they were open, in fence order.
  const std::vector<FencedTxn>& fenced() const { return fenced_; }

 private:
  class Reader;
  void rebalance(std::string_view process, const char* what, std::string_view partitions);
  void invoke(const sim::Event& e, const kafka::event::OpInvoke::View& v);
  void complete(const sim::Event& e, OpType type, std::string_view process, int64_t op, std::string_view f, int64_t partition,
                int64_t offset);

  // A transaction: (client id, producer id and epoch it began under, its number).
  using TxnKey = std::tuple<std::string, int64_t, int64_t, int64_t>;
  struct Txn {
    int64_t id = 0;                    // its operation's id
    size_t invoke = 0;                 // its invocation's index in history_.ops
    std::optional<size_t> completion;  // its completion's index, once written
    std::vector<Send> sends;           // as the client learned them: partition and offset once acknowledged
    std::map<std::string, int64_t> acknowledged_ns;  // value -> when its send was acknowledged
    std::optional<size_t> fenced;      // its entry in fenced_, once the coordinator fenced it
  };
  struct TxnSend {
    TxnKey txn;
    size_t position = 0;  // in Txn::sends
    bool late = false;    // sent after the coordinator fenced the transaction: its own operation
  };
  void txn_send(const sim::Event& e, const kafka::event::ProducerTxnSend::View& v);
  // A send of a transaction completed: what the client learned goes into the transaction's operation.
  struct Pending;
  void txn_send_completed(const sim::Event& e, const TxnSend& s, const Pending& p, OpType type, int64_t partition, int64_t offset);
  void txn_end(const sim::Event& e, const kafka::event::ProducerTxnEnd::View& v);
  void txn_fence(const sim::Event& e, const kafka::event::TxnFence::View& v);
  // Writes the transaction's completion with its outcome, and `how` it ended for explanations.
  void complete_txn(Txn& txn, const std::string& process, OpType outcome, History::TxnOutcome how);

  struct Pending {
    int64_t id;
    std::string topic;
    std::string value;
    std::map<std::string, std::vector<Read>> polls;
    std::vector<std::string> keys;
  };
  History history_;
  std::map<std::string, std::vector<Rebalance>> rebalances_;  // process -> not yet attached to a poll
  std::map<std::pair<std::string, int64_t>, Pending> pending_;  // (process, op) -> invocation
  std::map<std::pair<std::string, int64_t>, TxnSend> txn_of_send_;  // (process, op) -> its transaction
  std::map<TxnKey, Txn> txns_;
  std::map<int64_t, TxnKey> open_by_producer_id_;  // producer id -> its latest transaction with sends, until it ends
  std::vector<FencedTxn> fenced_;
  int64_t next_id_ = 0;
};

// Collects what consumer groups did: every record processed (consumer.processed events), every
// offset commit completed (consumer.commit), every reset or seek of a position, and which group
// each consumer belongs to (from its consumer.start, or any of these).
class GroupSink final : public sim::TraceSink {
 public:
  using Reads = sim::schema::Reads<kafka::event::ConsumerStart, kafka::event::ConsumerProcessed, kafka::event::ConsumerReset,
                                   kafka::event::ConsumerSeek, kafka::event::ConsumerPosition, kafka::event::ConsumerCommit,
                                   kafka::event::ListenerRecovered>;
  void write(const sim::Event& e) override;
  std::vector<ProcessedRecord>& processed() { return processed_; }
  std::vector<CommitRecord>& commits() { return commits_; }
  std::vector<RecoveredRecord>& recovered() { return recovered_; }
  std::vector<PositionJump>& jumps() { return jumps_; }
  std::vector<PositionJump>& resumes() { return resumes_; }
  std::map<std::string, std::string>& member_groups() { return member_groups_; }

 private:
  class Reader;
  std::vector<ProcessedRecord> processed_;
  std::vector<CommitRecord> commits_;
  std::vector<RecoveredRecord> recovered_;
  std::vector<PositionJump> jumps_;
  std::vector<PositionJump> resumes_;
  std::map<std::string, std::string> member_groups_;
};

}  // namespace check
