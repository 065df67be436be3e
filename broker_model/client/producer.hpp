#pragma once
// The producer client (KafkaProducer with its application): metadata, the partitioner, the
// record accumulator (batch.size, linger.ms), the sender (max.in.flight.requests.per.connection,
// request.timeout.ms, retries, retry.backoff.ms, delivery.timeout.ms, acks; in
// producer_sender.cpp) and the idempotent producer (InitProducerId, then the
// TransactionManager's sequences and epoch bumps). Every record the
// application sends becomes an operation in the trace: op.invoke, then op.ok / op.fail /
// op.info (indefinite: it may or may not have been written).
#include <climits>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/client/producer_batch.hpp"
#include "broker_model/client/transaction_manager.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "sim/node.hpp"

namespace kafka {

struct SendSpec {
  std::string topic;
  std::optional<std::string> key;
  // Without one, the record's value is "<client id>-<op>", unique to this send: given when
  // the producer takes the record, so sends queued behind a blocked one get their own.
  std::optional<std::string> value;
  uint32_t value_bytes = 0;
  std::optional<int32_t> partition;
  std::vector<Header> headers;  // ProducerRecord's headers, in order
};

// A load generator run by the application (p:load).
struct LoadSpec {
  std::string topic;
  double rate = 100;  // records per simulated second (all threads together)
  int64_t count = -1;  // -1: until the scenario ends
  std::vector<std::string> keys;  // empty: records without keys
  uint32_t value_size = 100;
  bool sync = false;
  int32_t threads = 1;
};

// A producer hosted in another client's process (a KafkaTemplate in a Spring listener, Kafka
// Streams' producer): it shares the host's node, so its timer tags and correlation ids are kept
// apart from the host's, and it draws from a random stream of its own.
struct ProducerHost {
  uint64_t timer_base = 0;           // ORed into every timer tag it sets; the host strips it
  int32_t first_correlation_id = 0;  // its correlation ids start above this one
  int32_t last_correlation_id = INT32_MAX;  // and end at this one (several hosted side by side)
  bool own_rng = false;              // seeded from the host's stream at start
};

class Producer final : public sim::Node {
 public:
  using Callback = SendCallback;

  Producer(std::string client_id, ClusterLayout layout, ConfigSet config, uint64_t first_op = 0, Bugs bugs = {},
           ProducerHost host = {});

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;

  // The application's KafkaProducer.send(); the callback runs when the outcome is known.
  uint64_t send(sim::Context& ctx, SendSpec spec, Callback done = {});
  // A send by the scenario's application thread: with sync it blocks the thread like
  // send().get(), so the thread's later sends wait for this one's outcome.
  void app_send(sim::Context& ctx, SendSpec spec, bool sync, Callback done = {});
  // Starts a load generator; several run side by side, as application threads would.
  void start_load(sim::Context& ctx, LoadSpec spec);
  void stop_load() {
    for (Load& l : loads_) l.stopped = true;
  }

  // KafkaProducer.flush(): every batch is sent at once (RecordAccumulator.flushInProgress
  // ignores linger.ms), and `done` runs once every record sent before the call has completed.
  void flush(sim::Context& ctx, std::function<void(sim::Context&)> done);

  const std::string& client_id() const { return client_id_; }
  // Whether a response with this correlation id answers one of this producer's requests
  // (meaningful for a hosted producer, whose ids start above its host's).
  bool owns_correlation_id(int32_t id) const { return id > host_.first_correlation_id && id <= host_.last_correlation_id; }

  // ---- transactions (producer_txn.cpp), for a producer with a transactional.id ----
  // KafkaProducer's transactional calls, from C++ (a consumer's process uses them too). Each
  // returns at once; `done` runs with NONE or the error the call failed with (Kafka's exception),
  // immediately when it fails before anything is sent. initTransactions runs at start.
  void begin_transaction(sim::Context& ctx, TxnCallback done = {});
  void send_offsets_to_transaction(sim::Context& ctx, std::vector<TxnOffset> offsets, ConsumerGroupMetadata group,
                                   TxnCallback done = {});
  void commit_transaction(sim::Context& ctx, TxnCallback done = {});
  void abort_transaction(sim::Context& ctx, TxnCallback done = {});
  // The same calls made by the scenario's application thread (p:begin, p:send_offsets,
  // p:commit, p:abort): queued behind its sends, and blocking it as Kafka's calls block
  // (sendOffsetsToTransaction, commitTransaction and abortTransaction wait for their result).
  // A commit that fails with an abortable error is followed by an abort, as KafkaProducer's
  // javadoc example does.
  enum class TxnCall { begin, send_offsets, commit, abort };
  void app_txn(sim::Context& ctx, TxnCall call, std::vector<TxnOffset> offsets = {}, ConsumerGroupMetadata group = {});
  bool transactional() const { return transactional_; }
  const TransactionManager& transaction_manager() const { return txn_; }

 private:
  struct InFlight {
    BrokerId broker;
    std::vector<ProducerBatchPtr> batches;
    sim::TimerId timer;
  };
  struct TopicMeta {
    std::vector<BrokerId> leaders;      // per partition; kNoLeader when unknown
    std::vector<int32_t> leader_epochs;
  };
  struct Load {
    LoadSpec spec;
    int64_t issued = 0;
    bool stopped = false;
  };
  enum Timer : uint64_t {
    kSenderWakeup = 1,
    kMetadataRefresh = 2,
    kMetadataTimeout = 4,
    kBlockedTimeout = 5,
    kMetadataRetry = 6,
    kTxnRequestTimeout = 7,
  };
  static constexpr uint64_t kRequestTimeoutTag = 1ULL << 40;
  // A load's timers: kLoadTag + (load << 20) + thread; kAsyncThread for a load without threads.
  static constexpr uint64_t kLoadTag = 2ULL << 40;
  static constexpr uint64_t kAsyncThread = (1u << 20) - 1;

  // metadata
  void request_metadata(sim::Context& ctx);
  // Whether metadata knows the topic (and the partition, when one is asked for).
  bool known_partition(const std::string& topic, std::optional<int32_t> partition) const;
  void handle_metadata(sim::Context& ctx, const MetadataResponse& resp);
  void handle_init_producer_id(sim::Context& ctx, const InitProducerIdResponse& resp);
  BrokerId leader_of(const TopicPartition& tp) const;
  std::vector<int32_t> available_partitions(const std::string& topic) const;
  // accumulator
  void append(sim::Context& ctx, PendingRecord rec, const std::string& topic, std::optional<int32_t> partition,
              bool keyed);
  int32_t choose_partition(sim::Context& ctx, const std::string& topic, const Record& r,
                           std::optional<int32_t> explicit_partition);
  void drain_blocked(sim::Context& ctx);
  // sender (producer_sender.cpp)
  // Sender.runOnce, repeated while it sends something (Kafka polls with a zero timeout then).
  void run_sender(sim::Context& ctx);
  bool run_once(sim::Context& ctx);
  // Sender.sendProducerData; returns whether a request went out.
  bool send_producer_data(sim::Context& ctx);
  void maybe_init_producer_id(sim::Context& ctx);
  void schedule_wakeup(sim::Context& ctx, sim::Time at);
  // RecordAccumulator.ready: the brokers with a batch to send, the next time to look again,
  // and each topic's queue sizes for the partitioner (partitionReady).
  struct ReadyCheck {
    std::set<BrokerId> ready_nodes;
    sim::Time next_check = sim::Time::max();
    bool unknown_leader = false;
  };
  ReadyCheck ready(sim::Time now);
  void partition_ready(sim::Time now, const std::string& topic, ReadyCheck& out);
  bool backing_off(const ProducerBatch& b, sim::Time now) const;
  // RecordAccumulator.updateNodeLatencyStats, and whether a leader is to be avoided.
  void update_node_latency_stats(BrokerId node, sim::Time now, bool can_drain);
  bool unavailable(BrokerId leader) const;
  // RecordAccumulator.drainBatchesForOneNode.
  std::vector<ProducerBatchPtr> drain_batches_for_one_node(BrokerId node, sim::Time now);
  void send_produce_request(sim::Context& ctx, BrokerId leader, const std::vector<ProducerBatchPtr>& batches);
  void handle_produce_response(sim::Context& ctx, const ProduceResponse& resp);
  void fail_request(sim::Context& ctx, int32_t correlation_id, Error why);
  void fail_broker_requests(sim::Context& ctx, BrokerId broker, Error why);
  // producer.request_timeout: `peer` is the node the request went to (kNoNode: not known).
  void trace_request_timeout(sim::Context& ctx, ApiKey api, int32_t correlation_id, sim::NodeId peer);
  // Sender.completeBatch: done, retried, or failed.
  void complete_batch(sim::Context& ctx, const ProducerBatchPtr& b, Error error, int64_t base_offset, bool appended_maybe);
  bool can_retry(const ProducerBatch& b, Error error, sim::Time now);
  void reenqueue(sim::Context& ctx, const ProducerBatchPtr& b);
  void fail_batch(sim::Context& ctx, const ProducerBatchPtr& b, Error error, bool adjust_sequence_numbers);
  void complete(sim::Context& ctx, const ProducerBatchPtr& b, Outcome outcome, Error error, int64_t base_offset);
  void remove_from_inflight_batches(const ProducerBatch& b);
  // RecordAccumulator.expiredBatches and Sender.getExpiredInflightBatches.
  void expire_batches(sim::Context& ctx);
  void trace_epoch_change(sim::Context& ctx, TransactionManager::Bump bump, int64_t old_producer_id);
  // Sender.runOnce's transactional part (producer_txn.cpp): true when the sender must not
  // produce now (a transactional request is out or waits for its backoff, or the producer failed).
  bool run_transactional(sim::Context& ctx);
  bool maybe_send_and_poll_transactional_request(sim::Context& ctx);
  void handle_txn_response(sim::Context& ctx, const KafkaMessage& m);
  // RecordAccumulator.hasIncomplete, abortUndrainedBatches and abortBatches.
  bool has_incomplete() const;
  void abort_undrained_batches(sim::Context& ctx, Error reason);
  void abort_batches(sim::Context& ctx, Error reason);
  void trace_txn_call(sim::Context& ctx, TxnCall call, Error error);
  TxnCallback traced_call(TxnCall call, TxnCallback done);
  // application
  void finish_op(sim::Context& ctx, PendingRecord& rec, const SendResult& result);
  void load_send(sim::Context& ctx, size_t load, uint32_t thread);

  // The settings the sender reads on every pass, resolved once from config_.
  struct Settings {
    int64_t batch_size, max_in_flight, retries, retry_backoff_ms, retry_backoff_max_ms;
    sim::Duration linger, request_timeout, delivery_timeout, max_block, metadata_max_age;
    bool ignore_keys, adaptive;
    sim::Duration availability_timeout;  // partitioner.availability.timeout.ms (0: off)
    explicit Settings(const ConfigSet& c);
  };

  std::string client_id_;
  ClusterLayout layout_;
  ConfigSet config_;
  Settings settings_;
  uint64_t next_op_;  // operation ids continue across restarts: the first is given
  Bugs bugs_;
  int16_t acks_;
  bool idempotent_;

  // metadata
  std::map<std::string, TopicMeta> topics_;
  bool metadata_ready_ = false;
  bool metadata_in_flight_ = false;
  int32_t metadata_correlation_ = 0;
  sim::NodeId metadata_node_ = sim::kNoNode;
  size_t next_bootstrap_ = 0;
  sim::TimerId metadata_timer_;

  // idempotence
  TransactionManager txn_;
  bool init_in_flight_ = false;
  bool in_sender_ = false;     // a sender pass is running
  bool sender_again_ = false;  // and something asked for another

  // accumulator and sender
  std::map<TopicPartition, std::deque<ProducerBatchPtr>> queues_;
  std::vector<std::pair<std::string, PendingRecord>> blocked_;  // waiting for metadata (max.block.ms)
  std::vector<std::optional<int32_t>> blocked_partition_;
  std::map<int32_t, InFlight> in_flight_;
  std::map<BrokerId, int32_t> in_flight_per_broker_;
  // Sender.inFlightBatches: sent and not yet answered or re-enqueued, per partition in the order
  // sent, for the delivery timeout.
  std::map<TopicPartition, std::vector<ProducerBatchPtr>> inflight_batches_;
  std::set<TopicPartition> muted_;          // max.in.flight=1: a partition with a batch out
  std::map<BrokerId, size_t> drain_index_;  // RecordAccumulator.nodesDrainIndex
  // RecordAccumulator.NodeLatencyStats, kept only with partitioner.availability.timeout.ms:
  // when a broker last had data ready, and when it could last take it.
  struct NodeLatencyStats {
    sim::Time ready, drain;
  };
  std::map<BrokerId, NodeLatencyStats> node_stats_;
  int32_t next_correlation_ = 0;
  uint64_t next_batch_id_ = 0;
  sim::Time wakeup_at_ = sim::Time::max();
  sim::TimerId wakeup_timer_;

  // partitioners for records without keys
  std::map<std::string, StickyPartitionCache> sticky_;
  std::map<std::string, std::unique_ptr<BuiltInPartitioner>> uniform_;

  std::vector<Load> loads_;

  // transactions
  bool transactional_ = false;
  sim::TimerId txn_timer_;                  // the transactional request's request.timeout.ms
  BrokerId txn_request_broker_ = kNoLeader;  // where it went

  // The scenario's application thread (p:send, p:begin, ...): blocked while a sync send or a
  // blocking transactional call is outstanding.
  struct AppSend {
    SendSpec spec;
    bool sync;
    Callback done;
    std::optional<TxnCall> txn;  // a transactional call instead of a send
    std::vector<TxnOffset> offsets;
    ConsumerGroupMetadata group;
  };
  void app_run_txn(sim::Context& ctx, AppSend& a);
  std::deque<AppSend> app_queue_;
  bool app_blocked_ = false;
  bool app_waits_for_metadata_ = false;  // the application's send waits in waitOnMetadata
  // Load threads whose send waits in waitOnMetadata: each resumes, at `next` at the earliest,
  // once no send is blocked.
  struct WaitingLoad {
    uint64_t tag;
    sim::Time next;
  };
  std::vector<WaitingLoad> loads_waiting_for_metadata_;
  void app_next(sim::Context& ctx);

  // Hosting: timers through the host's tag space, and the random stream.
  sim::TimerId set_timer(sim::Context& ctx, sim::Duration after, uint64_t tag) {
    return ctx.set_timer(after, host_.timer_base | tag);
  }
  sim::Rng& rng(sim::Context& ctx) { return own_rng_ ? *own_rng_ : ctx.rng(); }
  ProducerHost host_;
  std::optional<sim::Rng> own_rng_;

  // flush(): the sends not yet complete, and who waits for which of them.
  std::set<uint64_t> incomplete_;
  std::vector<std::pair<uint64_t, std::function<void(sim::Context&)>>> flush_waiters_;  // (ops below, done)
  bool flush_in_progress() const { return !flush_waiters_.empty(); }
  void complete_flushes(sim::Context& ctx);
};

}  // namespace kafka
