#pragma once
// One struct per Kafka API request and response the model uses, with Kafka's names. Only the
// fields the model needs are present. Every request carries a correlation id that its
// response echoes, as on the wire.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/api.hpp"
#include "broker_model/protocol/errors.hpp"
#include "sim/message.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "broker_model/trace_schema.hpp"

namespace kafka {

using BrokerId = int32_t;
constexpr BrokerId kNoLeader = -1;

// A partition's registration as the controller keeps it (KRaft PartitionRecord).
struct PartitionState {
  std::string topic;
  int32_t partition = 0;
  std::vector<BrokerId> replicas;
  std::vector<BrokerId> isr;
  std::vector<BrokerId> elr;             // KIP-966 eligible leader replicas
  std::vector<BrokerId> last_known_elr;  // KIP-966
  BrokerId leader = kNoLeader;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
};

// A response's error in the trace (the `error` field of its net.send): the top-level error,
// else the first partition's, and nothing when every part succeeded. Most responses succeed;
// leaving NONE out keeps the busiest messages as short as they were, and a reader takes a
// missing error for NONE.
inline void describe_error(std::vector<sim::Field>& out, Error error) {
  if (error != Error::NONE) out.push_back(event::message::error(error_name(error)));
}
template <typename Parts, typename ErrorOf>
Error first_error(Error top, const Parts& parts, ErrorOf error_of) {
  if (top != Error::NONE) return top;
  for (const auto& part : parts)
    if (error_of(part) != Error::NONE) return error_of(part);
  return Error::NONE;
}
template <typename Parts>
Error first_error(const Parts& parts) {
  return first_error(Error::NONE, parts, [](const auto& part) { return part.error; });
}

// ---- client <-> broker ----

struct MetadataRequest final : Request<ApiKey::metadata> {
  int32_t correlation_id = 0;
  // The topics the client waits for. A broker answers with every topic it knows, and for each
  // of these it does not know creates it when the client allows it and its
  // auto.create.topics.enable does (KafkaApis.getTopicMetadata), answering
  // UNKNOWN_TOPIC_OR_PARTITION until the topic exists.
  std::vector<std::string> topics;
  bool allow_auto_topic_creation = false;
};

struct MetadataResponse final : Response<ApiKey::metadata> {
  int32_t correlation_id = 0;
  struct Partition {
    int32_t partition;
    Error error;
    BrokerId leader;
    int32_t leader_epoch;
    std::vector<BrokerId> replicas;
    std::vector<BrokerId> isr;
  };
  struct Topic {
    std::string name;
    Error error = Error::NONE;  // UNKNOWN_TOPIC_OR_PARTITION: not there (yet)
    std::vector<Partition> partitions;
  };
  std::vector<BrokerId> brokers;  // live (unfenced) brokers
  std::vector<Topic> topics;
  uint32_t size_bytes() const override { return 64 + 48 * static_cast<uint32_t>(topics.size()); }
};

// Kafka's clients keep the last leader epoch they saw per partition and ignore metadata with an
// older one (org.apache.kafka.clients.Metadata, KIP-320): a broker that lost leadership and has
// not caught up yet answers with a stale leader, which would send requests to a zombie.
inline bool stale_leader_epoch(int32_t seen, int32_t received) { return seen >= 0 && received >= 0 && received < seen; }

struct ProduceRequest final : Request<ApiKey::produce> {
  int32_t correlation_id = 0;
  std::string transactional_id;  // empty: not a transactional producer
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    BatchPtr batch;  // offsets unset: the leader assigns them
  };
  std::vector<PartitionData> partitions;
  uint32_t size_bytes() const override {
    uint32_t n = 64;
    for (const auto& p : partitions) n += p.batch->size_bytes();
    return n;
  }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::correlation_id(correlation_id));
    out.push_back(event::message::acks(acks));
    out.push_back(event::message::partitions(partitions.size()));
  }
};

struct ProduceResponse final : Response<ApiKey::produce> {
  int32_t correlation_id = 0;
  struct PartitionResponse {
    std::string topic;
    int32_t partition;
    Error error = Error::NONE;
    int64_t base_offset = -1;
  };
  std::vector<PartitionResponse> partitions;
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::correlation_id(correlation_id));
    describe_error(out, first_error(partitions));
  }
};

// Used by followers (replica_id >= 0) and, later, consumers (replica_id = -1).
struct FetchRequest final : Request<ApiKey::fetch> {
  int32_t correlation_id = 0;
  BrokerId replica_id = -1;
  int64_t broker_epoch = -1;
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  // IsolationLevel: 0 READ_UNCOMMITTED (to the high watermark), 1 READ_COMMITTED (to the last
  // stable offset, with the aborted transactions listed). Followers read uncommitted.
  int8_t isolation_level = 0;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    int64_t fetch_offset;
    int32_t current_leader_epoch;       // KIP-320 fencing; -1 skips the check
    int32_t last_fetched_epoch = kNoEpoch;  // 2.7+ divergence detection; -1 = not sent
    int32_t max_bytes = 1 << 20;
  };
  std::vector<PartitionData> partitions;
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::correlation_id(correlation_id));
    if (partitions.size() == 1) out.push_back(event::message::fetch_offset(partitions[0].fetch_offset));
  }
};

struct FetchResponse final : Response<ApiKey::fetch> {
  int32_t correlation_id = 0;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    Error error = Error::NONE;
    int64_t high_watermark = -1;
    int64_t log_start_offset = 0;
    // With OFFSET_OUT_OF_RANGE: the leader's log end offset (stands for the follower's
    // ListOffsets(latest) round trip).
    int64_t log_end_offset = -1;
    // Set when the fetcher's last fetched epoch diverges from the leader's log.
    std::optional<std::pair<int32_t, int64_t>> diverging_epoch;  // (epoch, end offset)
    int64_t last_stable_offset = -1;
    // FetchResponse.AbortedTransaction, for READ_COMMITTED: each aborted transaction's producer
    // and first offset that overlaps the batches returned.
    struct AbortedTransaction {
      int64_t producer_id;
      int64_t first_offset;
    };
    std::vector<AbortedTransaction> aborted_transactions;
    std::vector<BatchPtr> batches;
  };
  std::vector<PartitionData> partitions;
  uint32_t size_bytes() const override {
    uint32_t n = 64;
    for (const auto& p : partitions)
      for (const auto& b : p.batches) n += b->size_bytes();
    return n;
  }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::correlation_id(correlation_id));
    size_t batches = 0;
    for (const auto& p : partitions) batches += p.batches.size();
    out.push_back(event::message::batches(batches));
    describe_error(out, first_error(partitions));
  }
};

struct OffsetsForLeaderEpochRequest final : Request<ApiKey::offset_for_leader_epoch> {
  int32_t correlation_id = 0;
  BrokerId replica_id = -1;
  int16_t version = 1;  // 0: KIP-101 (end offset only); 1+: KIP-279 (epoch and end offset)
  struct PartitionData {
    std::string topic;
    int32_t partition;
    int32_t current_leader_epoch;
    int32_t leader_epoch;
  };
  std::vector<PartitionData> partitions;
};

struct OffsetsForLeaderEpochResponse final : Response<ApiKey::offset_for_leader_epoch> {
  int32_t correlation_id = 0;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    Error error = Error::NONE;
    int32_t leader_epoch = kNoEpoch;
    int64_t end_offset = -1;
  };
  std::vector<PartitionData> partitions;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, first_error(partitions)); }
};

struct InitProducerIdRequest final : Request<ApiKey::init_producer_id> {
  int32_t correlation_id = 0;
  std::string transactional_id;  // empty: an idempotent producer without transactions
  int32_t transaction_timeout_ms = 60000;
  // KIP-360: the producer id and epoch the client has, so the coordinator can bump the epoch
  // of that id rather than fence it (-1: none).
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
};

struct InitProducerIdResponse final : Response<ApiKey::init_producer_id> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

// ---- broker <-> controller (KRaft) ----

// A broker asks the controller to create a topic a client named (AutoTopicCreationManager
// forwards CreateTopics to the active controller).
struct CreateTopicsRequest final : Request<ApiKey::create_topics> {
  std::string topic;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
};

struct CreateTopicsResponse final : Response<ApiKey::create_topics> {
  std::string topic;
  std::string error;  // empty: created (or being created)
};

struct BrokerRegistrationRequest final : Request<ApiKey::broker_registration> {
  BrokerId broker_id = 0;
  std::string rack;
  bool previous_clean_shutdown = true;  // the .kafka_cleanshutdown marker was there
  uint64_t incarnation_id = 0;          // drawn anew by every start of the broker process
};

struct BrokerRegistrationResponse final : Response<ApiKey::broker_registration> {
  Error error = Error::NONE;
  int64_t broker_epoch = -1;
};

struct BrokerHeartbeatRequest final : Request<ApiKey::broker_heartbeat> {
  BrokerId broker_id = 0;
  int64_t broker_epoch = -1;
  int64_t current_metadata_offset = -1;
  bool want_shutdown = false;
};

struct BrokerHeartbeatResponse final : Response<ApiKey::broker_heartbeat> {
  Error error = Error::NONE;
  bool is_fenced = true;
  bool should_shutdown = false;
};

struct AlterPartitionRequest final : Request<ApiKey::alter_partition> {
  // AlterPartitionRequestData.BrokerState (KIP-903): a member of the proposed ISR and the
  // broker epoch its fetches named, -1 when the leader does not know it.
  struct BrokerState {
    BrokerId broker_id = 0;
    int64_t broker_epoch = -1;
  };
  int32_t correlation_id = 0;  // matches the answer to this request
  BrokerId broker_id = 0;
  int64_t broker_epoch = -1;
  std::string topic;
  int32_t partition = 0;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<BrokerState> new_isr_with_epochs;
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::topic(topic));
    out.push_back(event::message::partition(partition));
  }
};

struct AlterPartitionResponse final : Response<ApiKey::alter_partition> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::string topic;
  int32_t partition = 0;
  PartitionState state;  // the registration after the change (when error is NONE)
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

// A record of the controller's metadata log (KRaft's __cluster_metadata), simplified to whole
// registrations.
struct MetadataRecord {
  // in_controlled_shutdown: Kafka's BrokerRegistrationChangeRecord with InControlledShutdown set.
  enum class Type : uint8_t { register_broker, fence_broker, unfence_broker, in_controlled_shutdown, topic, partition } type;
  BrokerId broker = -1;
  int64_t broker_epoch = -1;
  uint64_t incarnation_id = 0;  // register_broker
  std::string rack;
  std::string topic;
  int32_t partitions = 0;
  int64_t min_insync_replicas = -1;  // topic override, -1 = broker default
  int8_t unclean_leader_election = -1;  // topic override: -1 default, 0 false, 1 true
  int64_t flush_messages = -1;  // topic overrides, -1 = broker default
  int64_t flush_ms = -1;
  PartitionState partition;
};

// Brokers follow the metadata log by fetching from the controller, as KRaft brokers do.
struct MetadataFetchRequest final : Request<ApiKey::metadata_log_fetch> {
  BrokerId broker_id = 0;
  int64_t fetch_offset = 0;  // next record wanted
  int32_t max_wait_ms = 500;
};

struct MetadataFetchResponse final : Response<ApiKey::metadata_log_fetch> {
  int64_t base_offset = 0;
  std::vector<MetadataRecord> records;
  uint32_t size_bytes() const override { return 64 + 64 * static_cast<uint32_t>(records.size()); }
};

}  // namespace kafka
