#pragma once
// The idempotent producer's bookkeeping: Kafka's TransactionManager without transactions, with
// its TxnPartitionMap / TxnPartitionEntry. Per partition it keeps the next sequence, the last
// acknowledged sequence and offset, and the batches that hold a sequence and are not resolved
// yet (sent or waiting to be retried), ordered by sequence. It decides which failed batches may
// be retried (canRetry), and when a partition's sequence has a gap it bumps the producer epoch
// locally (KIP-360: bumpIdempotentEpochAndResetIdIfNeeded), rewriting the unresolved batches
// of that partition to start again at sequence 0 under the new epoch.
//
// The methods carry Kafka's names and follow the 2.8 to 4.0 source, in which this logic is the
// same (TransactionManager.canRetry, handleFailedBatch, maybeResolveSequences, ...).
//
// With a transactional.id it is also the transactional client (transaction_manager_txn.cpp):
// the State machine, the application's calls (initializeTransactions, beginTransaction,
// maybeAddPartition, sendOffsetsToTransaction, beginCommit, beginAbort), each completing through
// a callback, and the queue of TxnRequestHandlers the sender sends one at a time
// (nextRequest). It is sans-IO: its host (the producer, or later a consumer's process) sends
// what next_request returns and hands back the answers.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/client/producer_batch.hpp"
#include "broker_model/client/txn_state.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"

namespace kafka {

// ConsumerGroupMetadata as sendOffsetsToTransaction takes it: a real member's (consumer.groupMetadata())
// carries its generation, member id and instance id; new ConsumerGroupMetadata(groupId) carries
// -1, "" and none, so the group coordinator cannot fence a zombie with it (KIP-447).
struct ConsumerGroupMetadata {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

// One offset to commit in the transaction (OffsetAndMetadata).
struct TxnOffset {
  TopicPartition tp;
  int64_t offset = 0;
  int32_t leader_epoch = -1;
};

// A transactional call's completion (TransactionalRequestResult): NONE, or the error it failed with.
using TxnCallback = std::function<void(sim::Context&, Error)>;

// What the sender is to do with the transactional requests (Sender.maybeSendAndPollTransactionalRequest).
struct TxnNext {
  enum class Kind { idle, wait, send } kind = Kind::idle;
  // send: to this broker, or to any broker when kNoLeader (FindCoordinator: leastLoadedNode).
  BrokerId target = kNoLeader;
  sim::MessagePtr request;
  sim::Time wait_until = sim::Time::max();  // wait: a retry's backoff ends
};

class TransactionManager {
 public:
  const ProducerIdAndEpoch& producer_id_and_epoch() const { return producer_id_and_epoch_; }
  bool has_producer_id() const { return producer_id_and_epoch_.valid(); }
  // InitProducerIdHandler.handleResponse without an error (an idempotent producer's request is
  // never an epoch bump: it bumps locally).
  void set_producer_id_and_epoch(ProducerIdAndEpoch p) { producer_id_and_epoch_ = p; }

  // Sender.runOnce, before anything is sent: partitions whose expired batches left their
  // sequence unresolved are resolved, or marked for an epoch bump (a transactional producer's
  // through the abort, which it makes necessary).
  void maybe_resolve_sequences(sim::Context& ctx);
  // Bumps the epoch if a partition asked for it. Returns how: none, bumped (the epoch went up
  // by one, locally), or reset (the epoch was exhausted: the producer needs a new id).
  enum class Bump { none, bumped, reset };
  Bump bump_idempotent_epoch_and_reset_id_if_needed();

  // RecordAccumulator.shouldStopDrainBatchesForPartition, for the first batch of its queue.
  bool should_stop_drain(const ProducerBatch& first);
  // RecordAccumulator.drainBatchesForOneNode for a batch without a sequence: moves the
  // partition to the current producer id and epoch if it has nothing in flight
  // (maybeUpdateProducerIdAndEpoch), gives the batch the next sequence and tracks it.
  void assign_sequence(const ProducerBatchPtr& batch);

  // Sender.completeBatch's decisions.
  bool can_retry(Error error, const ProducerBatch& batch);
  void handle_completed_batch(const ProducerBatch& batch, int64_t base_offset);
  // `error` is the failure the application is given (CLIENT_DELIVERY_TIMEOUT for an expiry).
  void handle_failed_batch(const ProducerBatch& batch, Error error, bool adjust_sequence_numbers);
  void mark_sequence_unresolved(const ProducerBatch& batch);
  // Only for the producer_resequences_retries bug: the batch takes the partition's next
  // sequence as if it were new.
  void assign_fresh_sequence(const ProducerBatchPtr& batch);

  bool has_inflight_batches(const TopicPartition& tp) const;
  int32_t first_in_flight_sequence(const TopicPartition& tp) const;
  std::optional<int32_t> last_acked_sequence(const TopicPartition& tp) const;
  int32_t sequence_number(const TopicPartition& tp) { return entry(tp).next_sequence; }

  // ---- transactions (transaction_manager_txn.cpp) ----
  void set_transactional(std::string client_id, std::string transactional_id, int32_t transaction_timeout_ms,
                         bool transaction_v2);
  bool is_transactional() const { return !transactional_id_.empty(); }
  const std::string& transactional_id() const { return transactional_id_; }
  TxnState state() const { return state_; }
  Error last_error() const { return last_error_; }
  bool has_fatal_error() const { return state_ == TxnState::FATAL_ERROR; }
  bool has_abortable_error() const { return state_ == TxnState::ABORTABLE_ERROR; }
  bool is_aborting() const { return state_ == TxnState::ABORTING_TRANSACTION; }
  bool is_completing() const {
    return state_ == TxnState::COMMITTING_TRANSACTION || state_ == TxnState::ABORTING_TRANSACTION;
  }
  // The number of the transaction open now (0: none), as the trace names it.
  int64_t transaction_number() const { return in_transaction_ ? txn_number_ : 0; }

  // The application's calls. Each returns the error it fails with at once (NONE: accepted, and
  // `done` runs when the outcome is known), as Kafka's throw before anything is sent.
  Error initialize_transactions(sim::Context& ctx, TxnCallback done);
  Error begin_transaction(sim::Context& ctx);
  // KafkaProducer.send, before the record is appended (maybeAddPartition).
  Error maybe_add_partition(const TopicPartition& tp);
  Error send_offsets_to_transaction(std::vector<TxnOffset> offsets, ConsumerGroupMetadata group, TxnCallback done);
  Error begin_commit(sim::Context& ctx, TxnCallback done);
  Error begin_abort(sim::Context& ctx, TxnCallback done);

  // The sender's side.
  bool is_send_to_partition_allowed(const TopicPartition& tp) const {
    if (!is_transactional()) return true;
    return !has_fatal_error() && partitions_in_transaction_.count(tp) > 0;
  }
  bool has_in_flight_request() const { return in_flight_ != nullptr; }
  // TransactionManager.nextRequest with the sender's coordinator lookup: the request to send now
  // under `correlation_id`, a backoff to wait out, or nothing (then the sender produces).
  TxnNext next_request(sim::Context& ctx, bool has_incomplete_batches, int32_t correlation_id);
  // The answer to the request in flight (others are ignored); true when it was ours.
  bool handle_response(sim::Context& ctx, const KafkaMessage& m);
  // The request in flight got no answer: its connection broke or it timed out (onComplete with
  // wasDisconnected). `broker`: the broker it went to (kNoLeader: whatever it was).
  void handle_request_failure(sim::Context& ctx, BrokerId broker);
  BrokerId in_flight_target() const { return in_flight_target_; }
  // The request in flight, as the trace names it (has_in_flight_request() first).
  ApiKey in_flight_api() const;
  int32_t in_flight_correlation() const { return in_flight_correlation_; }
  // Sender.failBatch for a transactional producer: TransactionManager.maybeTransitionToErrorState.
  void maybe_transition_to_error_state(sim::Context& ctx, Error error);

 private:
  static constexpr int32_t kNoLastAckedSequence = -1;  // TxnPartitionEntry.NO_LAST_ACKED_SEQUENCE_NUMBER

  struct Entry {  // TxnPartitionEntry
    ProducerIdAndEpoch producer;  // the id and epoch its sequences belong to
    int32_t next_sequence = 0;
    int32_t last_acked_sequence = kNoLastAckedSequence;
    int64_t last_acked_offset = -1;
    // inflightBatchesBySequence: ordered by (producer id, epoch, base sequence).
    std::vector<ProducerBatchPtr> inflight;
  };

  Entry& entry(const TopicPartition& tp) { return partitions_[tp]; }  // getOrCreate
  void remove_in_flight_batch(const ProducerBatch& batch);
  void start_sequences_at_beginning(const TopicPartition& tp);
  void adjust_sequences_due_to_failed_batch(const ProducerBatch& batch);
  void request_epoch_bump_for_partition(const TopicPartition& tp);
  bool has_stale_producer_id_and_epoch(const TopicPartition& tp);
  bool has_unresolved_sequence(const TopicPartition& tp) const { return unresolved_.count(tp) > 0; }
  bool is_next_sequence(const TopicPartition& tp, int32_t sequence) const;
  bool is_next_sequence_for_unresolved_partition(const TopicPartition& tp, int32_t sequence) const;

  // ---- transactions ----
  // TxnRequestHandler and its subclasses, as one record: what to send and what its answer does.
  struct Handler {
    enum class Kind { find_coordinator, init_producer_id, add_partitions, add_offsets, txn_offset_commit, end_txn };
    Kind kind;
    TxnCallback done;  // its result; may be empty
    bool retry = false;
    bool completed = false;  // its result is known (TransactionalRequestResult.isCompleted)
    sim::Time not_before;
    uint64_t seq = 0;  // order of enqueueing, within a priority
    // find_coordinator
    CoordinatorType coordinator_type = CoordinatorType::transaction;
    std::string key;
    // init_producer_id
    bool epoch_bump = false;
    // add_partitions
    std::vector<TopicPartition> partitions;
    // add_offsets, txn_offset_commit
    std::vector<TxnOffset> offsets;
    ConsumerGroupMetadata group;
    // end_txn
    bool committed = false;
    int priority() const;  // TransactionManager.Priority
    bool needs_coordinator() const { return kind != Kind::find_coordinator; }
    CoordinatorType coordinator() const {
      return kind == Kind::txn_offset_commit ? CoordinatorType::group : CoordinatorType::transaction;
    }
  };
  using HandlerPtr = std::shared_ptr<Handler>;

  void transition_to(sim::Context& ctx, TxnState target, Error error = Error::NONE);
  void transition_to_abortable_error(sim::Context& ctx, Error error);
  Error maybe_fail_with_error() const { return has_error() ? last_error_ : Error::NONE; }
  bool has_error() const { return has_abortable_error() || has_fatal_error(); }
  void enqueue_request(HandlerPtr h);
  HandlerPtr make_handler(Handler::Kind kind, TxnCallback done = {});
  void lookup_coordinator(CoordinatorType type, const std::string& key);
  HandlerPtr add_partitions_to_transaction_handler();
  Error begin_completing_transaction(sim::Context& ctx, bool committed, TxnCallback done);
  void complete_transaction(sim::Context& ctx);
  void trace_transaction_end(sim::Context& ctx, const char* outcome);
  void reenqueue(sim::Context& ctx, const HandlerPtr& h, int64_t backoff_ms);
  void complete(sim::Context& ctx, const HandlerPtr& h, Error e);
  void fatal_error(sim::Context& ctx, const HandlerPtr& h, Error e);
  void abortable_error(sim::Context& ctx, const HandlerPtr& h, Error e);
  void abortable_error_if_possible(sim::Context& ctx, const HandlerPtr& h, Error e);
  void fail_pending_requests(sim::Context& ctx, Error e);
  sim::MessagePtr build_request(const Handler& h, int32_t correlation_id) const;
  void reset_sequence_numbers();
  // TxnRequestHandler.handleResponse of each kind.
  void on_find_coordinator(sim::Context& ctx, const HandlerPtr& h, const FindCoordinatorResponse& r);
  void on_init_producer_id(sim::Context& ctx, const HandlerPtr& h, const InitProducerIdResponse& r);
  void on_add_partitions(sim::Context& ctx, const HandlerPtr& h, const AddPartitionsToTxnResponse& r);
  void on_add_offsets(sim::Context& ctx, const HandlerPtr& h, const AddOffsetsToTxnResponse& r);
  void on_txn_offset_commit(sim::Context& ctx, const HandlerPtr& h, const TxnOffsetCommitResponse& r);
  void on_end_txn(sim::Context& ctx, const HandlerPtr& h, const EndTxnResponse& r);
  // The coordinator answers shared by InitProducerId, AddOffsetsToTxn and EndTxn; true when handled.
  bool on_coordinator_error(sim::Context& ctx, const HandlerPtr& h, Error error);

  std::string client_id_;
  std::string transactional_id_;
  int32_t transaction_timeout_ms_ = 60000;
  bool transaction_v2_ = false;  // Kafka 4.0 (KIP-890 part 2): EndTxn returns the bumped epoch
  int64_t retry_backoff_ms_ = 100;
  TxnState state_ = TxnState::UNINITIALIZED;
  Error last_error_ = Error::NONE;
  bool txn_epoch_bump_required_ = false;  // epochBumpRequired, for a transactional producer
  bool transaction_started_ = false;
  bool in_transaction_ = false;  // between beginTransaction and the transaction's end, for the trace
  int64_t txn_number_ = 0;
  ProducerIdAndEpoch txn_began_as_;  // the id and epoch when the open transaction began
  BrokerId transaction_coordinator_ = kNoLeader;
  std::map<std::string, BrokerId> group_coordinators_;  // consumerGroupCoordinator, per group
  std::set<TopicPartition> new_partitions_in_transaction_;
  std::set<TopicPartition> pending_partitions_in_transaction_;
  std::set<TopicPartition> partitions_in_transaction_;
  std::set<TopicPartition> partitions_of_transaction_;  // every partition it wrote to, for the trace
  std::set<std::string> groups_of_transaction_;         // every group it sent offsets for
  std::vector<HandlerPtr> pending_requests_;  // ordered by (priority, seq)
  uint64_t next_handler_seq_ = 0;
  HandlerPtr in_flight_;
  int32_t in_flight_correlation_ = -1;
  BrokerId in_flight_target_ = kNoLeader;

 public:
  void set_retry_backoff_ms(int64_t ms) { retry_backoff_ms_ = ms; }

 private:
  ProducerIdAndEpoch producer_id_and_epoch_;
  std::map<TopicPartition, Entry> partitions_;
  std::map<TopicPartition, int32_t> unresolved_;  // partitionsWithUnresolvedSequences: the next sequence
  std::set<TopicPartition> to_rewrite_;            // partitionsToRewriteSequences
  bool epoch_bump_required_ = false;
};

}  // namespace kafka
