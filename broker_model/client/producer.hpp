#pragma once
// The producer client (KafkaProducer with its application): metadata, the partitioner, the
// record accumulator (batch.size, linger.ms), the sender (max.in.flight.requests.per.connection,
// request.timeout.ms, retries, retry.backoff.ms, delivery.timeout.ms, acks) and the idempotent
// producer (InitProducerId, per-partition sequences, ordered re-enqueue). Every record the
// application sends becomes an operation in the trace: op.invoke, then op.ok / op.fail /
// op.info (indefinite: it may or may not have been written).
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "sim/node.hpp"

namespace kafka {

enum class Outcome { ok, fail, info };

struct SendSpec {
  std::string topic;
  std::optional<std::string> key;
  // Without one, the record's value is "<client id>-<op>", unique to this send: given when
  // the producer takes the record, so sends queued behind a blocked one get their own.
  std::optional<std::string> value;
  uint32_t value_bytes = 0;
  std::optional<int32_t> partition;
};

struct SendResult {
  uint64_t op = 0;
  Outcome outcome = Outcome::ok;
  Error error = Error::NONE;
  int32_t partition = -1;
  int64_t offset = -1;
  Error cause = Error::NONE;  // the last error from a broker, when the outcome is a timeout
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

class Producer final : public sim::Node {
 public:
  using Callback = std::function<void(sim::Context&, const SendResult&)>;

  Producer(std::string client_id, ClusterLayout layout, ConfigSet config, uint64_t first_op = 0, Bugs bugs = {});

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

  const std::string& client_id() const { return client_id_; }

 private:
  struct PendingRecord {
    uint64_t op;
    std::string topic;
    Record record;
    Callback done;
    sim::Time enqueued;
  };
  struct Batch {
    uint64_t id;
    std::string topic;
    int32_t partition;
    std::vector<PendingRecord> records;
    uint32_t bytes = 61;
    sim::Time created;
    sim::Time retry_at;
    int32_t attempts = 0;
    int32_t base_sequence = kNoSequence;
    bool maybe_applied = false;  // some attempt may have reached the log
    Error last_error = Error::NONE;
    // ProducerBatch.FinalState: set once, by the first outcome (unset: still in play).
    std::optional<Outcome> final_state;
  };
  using BatchPtr2 = std::shared_ptr<Batch>;
  struct InFlight {
    BrokerId broker;
    std::vector<BatchPtr2> batches;
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
  // sender
  void run_sender(sim::Context& ctx);
  void schedule_wakeup(sim::Context& ctx, sim::Time at);
  bool ready(const Batch& b, sim::Time now) const;
  void handle_produce_response(sim::Context& ctx, const ProduceResponse& resp);
  void fail_request(sim::Context& ctx, int32_t correlation_id, Error why);
  void fail_broker_requests(sim::Context& ctx, BrokerId broker, Error why);
  void retry_or_complete(sim::Context& ctx, const BatchPtr2& b, Error error, bool appended_maybe);
  void reenqueue(sim::Context& ctx, const BatchPtr2& b);
  void complete(sim::Context& ctx, const BatchPtr2& b, Outcome outcome, Error error, int64_t base_offset);
  void expire(sim::Context& ctx, const BatchPtr2& b);
  void expire_batches(sim::Context& ctx);
  bool partition_busy(const TopicPartition& tp) const;
  // application
  void finish_op(sim::Context& ctx, PendingRecord& rec, const SendResult& result);
  void load_send(sim::Context& ctx, size_t load, uint32_t thread);

  // The settings the sender reads on every pass, resolved once from config_.
  struct Settings {
    int64_t batch_size, max_in_flight, retries, retry_backoff_ms, retry_backoff_max_ms;
    sim::Duration linger, request_timeout, delivery_timeout, max_block, metadata_max_age;
    bool ignore_keys, adaptive;
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
  int64_t producer_id_ = kNoProducerId;
  int16_t producer_epoch_ = -1;
  bool init_in_flight_ = false;
  std::map<TopicPartition, int32_t> next_sequence_;

  // accumulator and sender
  std::map<TopicPartition, std::deque<BatchPtr2>> queues_;
  std::vector<std::pair<std::string, PendingRecord>> blocked_;  // waiting for metadata (max.block.ms)
  std::vector<std::optional<int32_t>> blocked_partition_;
  std::map<int32_t, InFlight> in_flight_;
  std::map<BrokerId, int32_t> in_flight_per_broker_;
  std::map<TopicPartition, int32_t> in_flight_per_partition_;
  int32_t next_correlation_ = 0;
  uint64_t next_batch_id_ = 0;
  sim::Time wakeup_at_ = sim::Time::max();
  sim::TimerId wakeup_timer_;

  // partitioners for records without keys
  std::map<std::string, StickyPartitionCache> sticky_;
  std::map<std::string, std::unique_ptr<BuiltInPartitioner>> uniform_;

  std::vector<Load> loads_;

  // The scenario's application thread (p:send): blocked while a sync send is outstanding.
  struct AppSend {
    SendSpec spec;
    bool sync;
    Callback done;
  };
  std::deque<AppSend> app_queue_;
  bool app_blocked_ = false;
  void app_next(sim::Context& ctx);
};

}  // namespace kafka
