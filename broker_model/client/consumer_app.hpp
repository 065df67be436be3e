#pragma once
// The application on top of the consumer: the loop poll() -> process each record -> commit by
// the chosen policy (docs/commit-policies.md), its crash points, and close().
//
// As in the Java client, joining the group, syncing, the rebalance listener and auto-commit
// happen inside poll(), on the application's thread: a slow application holds up the whole
// group's rebalance. Every poll that returns records is an operation in the trace (op.invoke /
// op.poll_record / op.ok, f = "poll"), every processed record a consumer.processed event.
//
// The application's states, transitions declared once in valid_transition(). A blocking
// commitSync is a state of its own for each place the loop calls it, which says where the loop
// goes on once the commit completes (or fails):
//
//   IDLE                       waiting inside poll(timeout) for records (or between polls)
//   POLLING                    inside poll() (never seen from outside: poll() runs at once)
//   AWAITING_REBALANCE         poll() waits for the group: no coordinator, or no assignment yet
//   PROCESSING                 processing one record (processing_time), or the poll's records
//                              for a batch listener; a listener waiting for a reply (a store
//                              call, a commitSync it asked for) stays here
//   COMMITTING_BEFORE_POLL     TIME/COUNT/COUNT_TIME due before a poll, COUNT after an empty
//                              poll                                   -> IDLE, poll again
//   COMMITTING_BEFORE_PROCESS  before-process: what poll() returned  -> PROCESSING
//   COMMITTING_AFTER_RECORD    RECORD/MANUAL_IMMEDIATE, or TIME/COUNT/COUNT_TIME due after a
//                              record                                 -> the next record
//   COMMITTING_AFTER_BATCH     after-process/BATCH/MANUAL             -> IDLE, poll again
//   COMMITTING_ON_REVOKE       onJoinPrepare (eager rebalance)        -> AWAITING_REBALANCE, JoinGroup
//   COMMITTING_ON_CLOSE        close()                                -> LeaveGroup, exit
//   With exactly_once_v2 the COMMITTING_* states wait for the transaction's commit instead
//   (sendOffsetsToTransaction, then commitTransaction, or the abort after a failed one).
//   CLOSED                     a fatal group error ended the loop, or poll() threw an exception
//                              the application does not handle (docs/fidelity.md)
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker_model/app/error_handler.hpp"
#include "broker_model/app/listener.hpp"
#include "broker_model/client/commit_policy.hpp"
#include "broker_model/client/consumer_coordinator.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "broker_model/client/fetcher.hpp"
#include "broker_model/client/offset_fetcher.hpp"
#include "sim/time.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "broker_model/client/task_producers.hpp"
#include "broker_model/client/transaction_manager.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "sim/random.hpp"

namespace kafka {

// Where the application dies once (m:crash_at): "before-process", "after-process",
// "before-commit" or "after-commit". With record = n (1-based) at that point of the n-th record
// this incarnation processes: before its handler runs, after it, before the first commit
// started after it, after that commit completed. Without (record = 0, the old form) at the
// point of the poll loop: after poll() returned, after the poll's records, after the commit.
struct CrashPoint {
  std::string point;  // empty: none armed
  int64_t record = 0;
};

// processing_guarantee: at_least_once commits offsets by the commit policy; exactly_once_v2
// (KIP-447) puts each poll's app:send()s and its offsets in one transaction of the member's own
// transactional producer (consumer_app_txn.cpp); exactly_once_v1 (Lua "exactly_once", Kafka
// Streams' EOS alpha, removed in 4.0) gives each input partition its own transactional
// producer and transaction (consumer_app_txn_v1.cpp, task_producers.hpp).
enum class ProcessingGuarantee { at_least_once, exactly_once_v2, exactly_once_v1 };

// What the application does, as a scenario describes it.
struct ConsumerApp {
  std::vector<std::string> topics;
  CommitPolicy policy = CommitPolicy::kafka_auto;
  sim::DurationDist processing_time = sim::DurationDist::constant(sim::Duration::millis(1));
  int64_t ack_count = 1;
  sim::Duration ack_time = sim::Duration::seconds(5);
  CrashPoint crash_at;
  // The application's code (none: processing a record is only its processing_time), made
  // afresh for each incarnation of the process.
  ListenerFactory listener;
  // The stores (databases) the application's code can call, by name.
  std::map<std::string, sim::NodeId> stores;
  // The producer the process hosts (group's producer = { ... }; finalized), if any.
  std::optional<ConfigSet> producer;
  // Spring's DefaultErrorHandler for records whose processing fails (error_handler = { ... }).
  ErrorHandlerSpec error_handler;
  ProcessingGuarantee guarantee = ProcessingGuarantee::at_least_once;
  // exactly_once_v2: a transaction stays open across polls until this much time has passed
  // since it began (Kafka Streams' commit.interval.ms); 0 commits after every poll's records.
  sim::Duration commit_interval{0};
  // Transactional, either way.
  bool exactly_once() const { return guarantee != ProcessingGuarantee::at_least_once; }
  // exactly_once_v1: a producer per task (input partition) rather than one per member.
  bool producer_per_task() const { return guarantee == ProcessingGuarantee::exactly_once_v1; }
};

enum class AppState {
  idle,
  polling,
  awaiting_rebalance,
  processing,
  committing_before_poll,
  committing_before_process,
  committing_after_record,
  committing_after_batch,
  committing_on_revoke,
  committing_on_close,
  closed,
};
std::string_view to_string(AppState s);
bool valid_transition(AppState from, AppState to);

class ApplicationLoop {
 public:
  ApplicationLoop(ConsumerApp app, const ConfigSet& config, uint64_t first_op, Bugs bugs,
                  SubscriptionState& subscriptions, ConsumerCoordinator& coordinator, Fetcher& fetcher,
                  OffsetFetcher& offset_fetcher, FetchBuffer& buffer);

  ConsumerApp& settings() { return app_; }
  AppState state() const { return state_; }
  // Waiting inside poll(): the heartbeat thread does not count the time against
  // max.poll.interval.ms.
  bool waiting_in_poll() const { return state_ == AppState::idle; }
  bool closing() const { return state_ == AppState::committing_on_close; }
  // The handler waits in a commitSync it asked for: its completion, even a fatal error,
  // returns to the handler (which sees the exception).
  bool handler_waits_for_commit() const { return handler_commit_ && state_ == AppState::processing; }

  void start(sim::Time now) { last_commit_ = now; }
  // The id of the member's next operation in the history (poll, subscribe).
  uint64_t take_op() { return next_op_++; }
  // What wakes the application up.
  void on_poll_tick(sim::Context& ctx);
  void on_records_fetched(sim::Context& ctx);
  void on_rejoin_needed(sim::Context& ctx);
  void on_coordinator_found(sim::Context& ctx);
  void on_assigned(sim::Context& ctx);
  void on_record_processed(sim::Context& ctx);
  void on_commit_completed(sim::Context& ctx, const ConsumerCoordinator::CommitCompletion& c);
  void on_fatal_error();
  // The hosted producer moved on (a response reached it): an exactly_once_v2 loop waiting for
  // initTransactions to finish polls.
  void on_producer_progress(sim::Context& ctx);
  // The application's code: an every() timer fired, a store replied, a store's connection broke.
  void on_listener_timer(sim::Context& ctx, uint64_t id);
  void on_store_response(sim::Context& ctx, const StoreResponse& resp);
  bool is_store(sim::NodeId node) const;
  void store_connection_lost(sim::Context& ctx, sim::NodeId node);
  // A reset, validation or OffsetFetch failed and its backoff is over; or an exception waits
  // to be thrown. A poll() waiting for records goes round its loop again.
  void on_position_retry(sim::Context& ctx);
  void on_exception_pending(sim::Context& ctx) { on_position_retry(ctx); }
  // KafkaConsumer.updateFetchPositions: validate positions against new leaders, ask for
  // committed offsets, reset what has none.
  void update_fetch_positions(sim::Context& ctx);
  // KafkaConsumer.close(): commit, leave the group (dynamic members), exit.
  void close(sim::Context& ctx);
  // Processing `record` failed with `message` (a handler's exception): a plain loop ends, Spring's
  // DefaultErrorHandler decides (listener_error_handling.cpp). Called in PROCESSING, `record`
  // taken off the batch and not processed.
  void handle_record_failure(sim::Context& ctx, const ConsumerRecord& record, const std::string& message);
  // The error handler's back off is over (ConsumerTimer::listener_backoff).
  void on_listener_backoff(sim::Context& ctx);
  // The process's producer (null: none yet), for the dead-letter recoverer and the handler's
  // sends, and what makes one with Kafka's defaults at the first send without one.
  using ProducerStarter = std::function<Producer*(sim::Context&)>;
  void attach(Producer* producer, ProducerStarter start) {
    producer_ = producer;
    start_producer_ = std::move(start);
  }
  // exactly_once_v1: the process's task producers (the node owns them).
  void attach_tasks(TaskProducers* tasks) { tasks_ = tasks; }
  // KafkaConsumer.seek from the application's thread: false when `tp` is not assigned.
  bool seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset);

 private:
  void transition(AppState to);
  void poll(sim::Context& ctx);
  // The rebalance listener's onPartitionsAssigned ran (or waits): poll() goes on once it is done.
  void assigned_step(sim::Context& ctx, const ListenerStep& step);
  void await_rebalance(sim::Context& ctx, bool held_partitions);
  void unblock(sim::Context& ctx);
  void empty_poll(sim::Context& ctx);
  // poll() threw: what the application (a plain loop, or Spring's container) does with it.
  void poll_threw(sim::Context& ctx, const std::string& exception);
  void hand_out(sim::Context& ctx, std::vector<ConsumerRecord> records);
  void process_next(sim::Context& ctx);
  void after_batch(sim::Context& ctx);
  void continue_loop(sim::Context& ctx);
  bool policy_commit_due(sim::Context& ctx) const;
  // Starts a commitSync and, when it is on its way, waits for it in `waiting`.
  bool commit_sync(sim::Context& ctx, ConsumerCoordinator::Offsets offsets, const char* why, AppState waiting);
  bool crash_point(sim::Context& ctx, const char* point);
  // The per-record form of crash_at. before-process and after-process: the records numbered
  // first .. first+count-1 of this incarnation reach the point; before-commit: a commit is
  // about to start; after-commit: one completed.
  bool record_crash_point(sim::Context& ctx, const char* point, int64_t first, int64_t count);
  void commit_started();

  // ---- exactly_once_v2 (consumer_app_txn.cpp) ----
  // Whether the transactional producer finished initTransactions (the loop polls only then).
  bool producer_ready() const;
  // StreamsProducer.maybeBeginTransaction: the first send or offsets of a transaction begin it.
  // False when the producer cannot (a fatal error, which ended the loop).
  bool maybe_begin_transaction(sim::Context& ctx);
  // A record of the open transaction was processed: its offset goes with the transaction.
  void transaction_processed(sim::Time now, const ConsumerRecord& r);
  // Commits the open transaction (its offsets with the member's group metadata, then
  // commitTransaction) when one is due, or `force`; waits for it in `waiting`. False when there
  // is nothing to commit now.
  bool commit_transaction(sim::Context& ctx, AppState waiting, bool force);
  void transaction_completed(sim::Context& ctx, Error error);
  void transaction_aborted(sim::Context& ctx);
  void producer_failed(sim::Context& ctx, Error error);
  void resume_after_commit(sim::Context& ctx);

  // ---- exactly_once_v1, a transaction per task (consumer_app_txn_v1.cpp) ----
  // The task producers follow the assignment: one made (initTransactions) for each partition
  // assigned, closed for each one no longer assigned.
  void sync_tasks(sim::Context& ctx);
  // StreamsProducer.maybeBeginTransaction on the task's producer.
  bool maybe_begin_task_transaction(sim::Context& ctx, const TopicPartition& tp);
  // TaskExecutor.commitOffsetsOrTransaction (alpha): each task with offsets or an open
  // transaction commits its own, one after the other.
  void commit_tasks(sim::Context& ctx);
  void commit_next_task(sim::Context& ctx);
  void task_committed(sim::Context& ctx, const TopicPartition& tp, Error error);
  void task_aborted(sim::Context& ctx, const TopicPartition& tp);
  void forget_task_transaction(const TopicPartition& tp);
  void tasks_committed(sim::Context& ctx);

  // ---- the application's code (consumer_app_listener.cpp) ----
  class Services;
  // Runs the handler for the record at the front of the batch (or the whole batch), or, when
  // the loop has no listener, reports it done.
  ListenerStep run_handler(sim::Context& ctx);
  // Calls into the listener as `task`, with the services bound to ctx.
  ListenerStep call_listener(sim::Context& ctx, uint64_t task, const std::function<ListenerStep(ListenerServices&)>& call);
  // The handler's step: done finishes the record(s), failed goes to the error handling.
  void handler_step(sim::Context& ctx, const ListenerStep& step);
  void resume_task(sim::Context& ctx, uint64_t task, const ListenerReply& reply);
  void finish_record(sim::Context& ctx);
  void finish_batch_listener(sim::Context& ctx);
  void record_processed(sim::Context& ctx, const ConsumerRecord& r);
  ConsumerCoordinator::Offsets acked_offsets() const;
  void leave_and_exit(sim::Context& ctx);
  const char* policy_name() const { return to_string(app_.policy).data(); }

  ConsumerApp app_;
  const ConfigSet& config_;
  uint64_t next_op_;  // the member's operation ids continue across restarts: the first is given
  Bugs bugs_;
  SubscriptionState& subscriptions_;
  ConsumerCoordinator& coordinator_;
  Fetcher& fetcher_;
  OffsetFetcher& offset_fetcher_;

  AppState state_ = AppState::idle;
  std::deque<ConsumerRecord> batch_;  // records of the current poll still to process
  uint64_t poll_op_ = 0;
  int64_t acked_since_commit_ = 0;
  sim::Time last_commit_;
  // poll(timeout): waiting for records until the deadline; an empty poll returns at it.
  std::optional<sim::Time> poll_deadline_;
  std::optional<sim::Time> blocked_since_;

  // The application's code and what it waits for.
  std::unique_ptr<Listener> listener_;
  FetchBuffer& buffer_;
  bool handler_ran_ = false;       // the current record's (batch's) handler ran and waits
  bool in_assigned_listener_ = false;  // onPartitionsAssigned runs (or waits) inside poll()
  bool handler_commit_ = false;    // the handler waits for a commitSync it asked for
  uint64_t current_task_ = kHandlerTask;
  uint64_t invocation_ = 0;        // handler runs in this process
  std::map<uint64_t, sim::Duration> every_;  // every() timers by id
  struct StoreCall {
    uint64_t task;
    sim::NodeId node;
  };
  std::map<int32_t, StoreCall> store_calls_;  // by correlation id, in flight
  int32_t next_store_correlation_ = 0;
  // The interactive store transactions the code has open (s:tx), by number: one connection's
  // session each, which a broken connection ends (the store rolls it back).
  struct StoreTxn {
    sim::NodeId node;
    bool begun = false;   // its first statement was sent (it carried BEGIN)
    bool broken = false;  // the connection broke since it began
  };
  std::map<int64_t, StoreTxn> store_txns_;
  int64_t next_store_txn_ = 0;
  std::map<TopicPartition, OffsetCommitRequest::Offset> acked_;  // MANUAL: acknowledged, not committed
  // Per-record crash points: records this incarnation began processing, and whether a commit
  // started after the armed record was processed (before-commit has passed; after-commit waits).
  int64_t records_begun_ = 0;
  bool armed_record_processed_ = false;
  std::string armed_record_;  // "orders-0@17", for the trace
  bool commit_after_armed_ = false;

  // Spring's error handling (listener_error_handling.cpp).
  FailedRecordTracker failures_{app_.error_handler.backoff};
  Producer* producer_ = nullptr;
  ProducerStarter start_producer_;
  // The producer a handler's send (or the dead-letter publication) for a record of `task`
  // goes through: the process's one, or under exactly_once_v1 the task's, its transaction begun.
  Producer* hosted_producer(sim::Context& ctx, const TopicPartition* task);
  std::map<TopicPartition, int64_t> backoff_seeks_;  // SeekUtils.doSeeks after the back off
  std::vector<ConsumerRecord> recovered_batch_;       // a batch listener's other records, recovered with the first
  void seek_remaining(sim::Context& ctx, std::map<TopicPartition, int64_t> seeks);
  void recovered(sim::Context& ctx, const ConsumerRecord& record, int32_t attempts, const std::string& message,
                 const SendResult* dead_letter);

  // exactly_once_v2: the open transaction, the offsets its records take (the next offset of
  // each partition) and where each partition stood when it began (to go back there after an
  // abort, as Kafka Streams reinitialises a task from its committed offsets).
  bool txn_open_ = false;
  bool txn_commit_requested_ = false;  // app:commit() (ProcessorContext.commit): at the next chance
  bool awaiting_producer_ = false;     // a poll waits for initTransactions
  sim::Time txn_started_;
  std::map<TopicPartition, OffsetCommitRequest::Offset> txn_offsets_;
  std::map<TopicPartition, int64_t> txn_first_offsets_;
  ConsumerGroupMetadata group_metadata_;  // consumer.groupMetadata(): set at each completed join

  // exactly_once_v1: the task producers, the tasks with an open transaction, those still to
  // commit in the commit under way, and whether one of its tasks aborted.
  TaskProducers* tasks_ = nullptr;
  std::set<TopicPartition> open_tasks_;
  std::set<TopicPartition> commit_queue_;
  bool task_aborted_ = false;
};

}  // namespace kafka
