#pragma once
// What consume-transform-produce pipelines wrote, from the trace: each send a handler made
// (listener.send) with its outcome (op.ok, op.fail, op.info) and, for a transactional producer,
// its transaction's outcome (producer.txn_send, producer.txn_end); every record of a committed or
// aborted transaction; and the offsets a transactional producer committed for a group
// (group.txn_offsets). The end-to-end exactly-once check and the torn-transaction check
// (exactly_once.hpp) judge these.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "sim/check/handler_runs.hpp"
#include "sim/trace.hpp"

namespace check {

// A transaction as the producer saw it: its transactional id's process, the producer id and epoch
// it began under, its number, and how it ended ("" while it never ended).
struct TxnOutcome {
  std::string client_id;
  std::string transactional_id;
  int64_t producer_id = -1;
  int64_t producer_epoch = -1;
  int64_t txn = 0;
  std::string outcome;  // committed, aborted, failed, or "" (never ended: the producer crashed with it open)
  int64_t end_ns = -1;
  // What the coordinator decided (PrepareCommit or PrepareAbort after the transaction's first
  // send): "committed", "aborted", or "" when no decision is in the trace. It settles a
  // transaction the client never saw end (it crashed, or was fenced, after EndTxn was sent).
  std::string decided;
  int64_t decided_ns = -1;
  // Whether its records became visible: the client's outcome, else the coordinator's decision.
  bool committed() const { return outcome == "committed" || ((outcome.empty() || outcome == "failed") && decided == "committed"); }
  std::string label() const;  // "tx-1 #3 (producer 7, epoch 0)"
};

// One send of the application's producer, with what became of it.
struct SendOutcome {
  std::string process;  // the producer's client id
  int64_t op = -1;
  std::string topic, value;
  std::string partition;  // topic-partition once known
  int64_t offset = -1;
  std::string result;     // ok, fail, info, or "" (never completed)
  int64_t invoked_ns = 0, completed_ns = -1;
  const TxnOutcome* txn = nullptr;  // its transaction, when the producer is transactional
};

// A record the error handler recovered (listener.recovered): dead-lettered or logged and
// skipped. Its handler runs failed; no output is owed for it.
struct RecoveredInput {
  std::string group, partition;
  int64_t offset = -1;
};

// A handler run's send: the input record it came from and the send it made.
struct HandlerSend {
  std::string member;
  int64_t life = 0;  // which start of the member's process (consumer.start): run numbers restart with it
  int64_t invocation = 0;
  std::string input;  // the input record's topic-partition
  int64_t input_offset = -1;
  int64_t time_ns = 0;
  const SendOutcome* send = nullptr;
};

// Offsets a transaction committed for a group: visible once its COMMIT marker reached the
// group's __consumer_offsets partition (group.txn_offsets committed).
struct TxnOffsetCommit {
  std::string group;
  int64_t producer_id = -1;
  int64_t time_ns = 0;
  std::vector<std::pair<std::string, int64_t>> offsets;  // (topic-partition, next offset to consume)
};

struct Outputs {
  std::vector<HandlerSend> handler_sends;  // in the order the handlers sent them
  std::vector<TxnOffsetCommit> txn_offsets;
  std::vector<RecoveredInput> recovered;
  // Every send (handlers' or not), by (process, op); transactions by their key. Stable
  // addresses: the handler sends and each send point into these.
  std::map<std::pair<std::string, int64_t>, SendOutcome> sends;
  std::map<std::tuple<std::string, int64_t, int64_t, int64_t>, TxnOutcome> txns;
};

class OutputSink final : public sim::TraceSink {
 public:
  using Reads = sim::schema::Reads<kafka::event::ListenerSend, kafka::event::OpInvoke, kafka::event::OpOk, kafka::event::OpFail,
                                   kafka::event::OpInfo, kafka::event::ProducerTxnSend, kafka::event::ProducerTxnEnd,
                                   kafka::event::GroupTxnOffsets, kafka::event::TxnStateChange,
                                   kafka::event::ListenerRecovered, kafka::event::ConsumerStart>;
  void write(const sim::Event& e) override;
  Outputs& outputs() { return out_; }

 private:
  class Reader;
  void complete(const sim::Event& e, const char* result, std::string_view process, int64_t op, std::string_view f,
                int64_t partition, int64_t offset);
  Outputs out_;
  // Per (transactional id, producer id): transactions begun and not yet decided by the coordinator.
  std::map<std::pair<std::string, int64_t>, std::vector<TxnOutcome*>> undecided_;
  MemberLives lives_;
};

}  // namespace check
