#pragma once
// One struct per Kafka API request and response the model uses, with Kafka's names. Only the
// fields the model needs are present. Every request carries a correlation id that its
// response echoes, as on the wire.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"
#include "sim/message.hpp"
#include "broker_model/protocol/topic_partition.hpp"

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

// ---- client <-> broker ----

struct MetadataRequest final : sim::Message {
  int32_t correlation_id = 0;
  // The topics the client waits for. A broker answers with every topic it knows, and for each
  // of these it does not know creates it when the client allows it and its
  // auto.create.topics.enable does (KafkaApis.getTopicMetadata), answering
  // UNKNOWN_TOPIC_OR_PARTITION until the topic exists.
  std::vector<std::string> topics;
  bool allow_auto_topic_creation = false;
  std::string_view name() const override { return "MetadataRequest"; }
};

struct MetadataResponse final : sim::Message {
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
  std::string_view name() const override { return "MetadataResponse"; }
  uint32_t size_bytes() const override { return 64 + 48 * static_cast<uint32_t>(topics.size()); }
};

// Kafka's clients keep the last leader epoch they saw per partition and ignore metadata with an
// older one (org.apache.kafka.clients.Metadata, KIP-320): a broker that lost leadership and has
// not caught up yet answers with a stale leader, which would send requests to a zombie.
inline bool stale_leader_epoch(int32_t seen, int32_t received) { return seen >= 0 && received >= 0 && received < seen; }

struct ProduceRequest final : sim::Message {
  int32_t correlation_id = 0;
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    BatchPtr batch;  // offsets unset: the leader assigns them
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "ProduceRequest"; }
  uint32_t size_bytes() const override {
    uint32_t n = 64;
    for (const auto& p : partitions) n += p.batch->size_bytes();
    return n;
  }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"correlation_id", sim::Value(correlation_id)});
    out.push_back({"acks", sim::Value(acks)});
    out.push_back({"partitions", sim::Value(partitions.size())});
  }
};

struct ProduceResponse final : sim::Message {
  int32_t correlation_id = 0;
  struct PartitionResponse {
    std::string topic;
    int32_t partition;
    Error error = Error::NONE;
    int64_t base_offset = -1;
  };
  std::vector<PartitionResponse> partitions;
  std::string_view name() const override { return "ProduceResponse"; }
  void describe(std::vector<sim::Field>& out) const override { out.push_back({"correlation_id", sim::Value(correlation_id)}); }
};

// Used by followers (replica_id >= 0) and, later, consumers (replica_id = -1).
struct FetchRequest final : sim::Message {
  int32_t correlation_id = 0;
  BrokerId replica_id = -1;
  int64_t broker_epoch = -1;
  int32_t max_wait_ms = 500;
  int32_t min_bytes = 1;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    int64_t fetch_offset;
    int32_t current_leader_epoch;       // KIP-320 fencing; -1 skips the check
    int32_t last_fetched_epoch = kNoEpoch;  // 2.7+ divergence detection; -1 = not sent
    int32_t max_bytes = 1 << 20;
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "FetchRequest"; }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"correlation_id", sim::Value(correlation_id)});
    if (partitions.size() == 1) out.push_back({"fetch_offset", sim::Value(partitions[0].fetch_offset)});
  }
};

struct FetchResponse final : sim::Message {
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
    std::vector<BatchPtr> batches;
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "FetchResponse"; }
  uint32_t size_bytes() const override {
    uint32_t n = 64;
    for (const auto& p : partitions)
      for (const auto& b : p.batches) n += b->size_bytes();
    return n;
  }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"correlation_id", sim::Value(correlation_id)});
    size_t batches = 0;
    for (const auto& p : partitions) batches += p.batches.size();
    out.push_back({"batches", sim::Value(batches)});
  }
};

struct OffsetsForLeaderEpochRequest final : sim::Message {
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
  std::string_view name() const override { return "OffsetsForLeaderEpochRequest"; }
};

struct OffsetsForLeaderEpochResponse final : sim::Message {
  int32_t correlation_id = 0;
  struct PartitionData {
    std::string topic;
    int32_t partition;
    Error error = Error::NONE;
    int32_t leader_epoch = kNoEpoch;
    int64_t end_offset = -1;
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "OffsetsForLeaderEpochResponse"; }
};

struct InitProducerIdRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string transactional_id;
  std::string_view name() const override { return "InitProducerIdRequest"; }
};

struct InitProducerIdResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  std::string_view name() const override { return "InitProducerIdResponse"; }
};

// ---- broker <-> controller (KRaft) ----

// A broker asks the controller to create a topic a client named (AutoTopicCreationManager
// forwards CreateTopics to the active controller).
struct CreateTopicsRequest final : sim::Message {
  std::string topic;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  std::string_view name() const override { return "CreateTopicsRequest"; }
};

struct CreateTopicsResponse final : sim::Message {
  std::string topic;
  std::string error;  // empty: created (or being created)
  std::string_view name() const override { return "CreateTopicsResponse"; }
};

struct BrokerRegistrationRequest final : sim::Message {
  BrokerId broker_id = 0;
  std::string rack;
  bool previous_clean_shutdown = true;  // KIP-966: an unclean shutdown leaves the ELR
  std::string_view name() const override { return "BrokerRegistrationRequest"; }
};

struct BrokerRegistrationResponse final : sim::Message {
  Error error = Error::NONE;
  int64_t broker_epoch = -1;
  std::string_view name() const override { return "BrokerRegistrationResponse"; }
};

struct BrokerHeartbeatRequest final : sim::Message {
  BrokerId broker_id = 0;
  int64_t broker_epoch = -1;
  int64_t current_metadata_offset = -1;
  bool want_shutdown = false;
  std::string_view name() const override { return "BrokerHeartbeatRequest"; }
};

struct BrokerHeartbeatResponse final : sim::Message {
  Error error = Error::NONE;
  bool is_fenced = true;
  bool should_shutdown = false;
  std::string_view name() const override { return "BrokerHeartbeatResponse"; }
};

struct AlterPartitionRequest final : sim::Message {
  BrokerId broker_id = 0;
  int64_t broker_epoch = -1;
  std::string topic;
  int32_t partition = 0;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  std::vector<BrokerId> new_isr;
  std::string_view name() const override { return "AlterPartitionRequest"; }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"topic", sim::Value(topic)});
    out.push_back({"partition", sim::Value(partition)});
  }
};

struct AlterPartitionResponse final : sim::Message {
  Error error = Error::NONE;
  std::string topic;
  int32_t partition = 0;
  PartitionState state;  // the registration after the change (when error is NONE)
  std::string_view name() const override { return "AlterPartitionResponse"; }
};

// A record of the controller's metadata log (KRaft's __cluster_metadata), simplified to whole
// registrations.
struct MetadataRecord {
  enum class Type : uint8_t { register_broker, fence_broker, unfence_broker, topic, partition } type;
  BrokerId broker = -1;
  int64_t broker_epoch = -1;
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
struct MetadataFetchRequest final : sim::Message {
  BrokerId broker_id = 0;
  int64_t fetch_offset = 0;  // next record wanted
  int32_t max_wait_ms = 500;
  std::string_view name() const override { return "MetadataFetchRequest"; }
};

struct MetadataFetchResponse final : sim::Message {
  int64_t base_offset = 0;
  std::vector<MetadataRecord> records;
  std::string_view name() const override { return "MetadataFetchResponse"; }
  uint32_t size_bytes() const override { return 64 + 64 * static_cast<uint32_t>(records.size()); }
};

}  // namespace kafka
