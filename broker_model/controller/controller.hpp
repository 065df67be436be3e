#pragma once
// The controller (KRaft-style, a single node): brokers register and heartbeat; brokers whose
// heartbeats stop for broker.session.timeout.ms are fenced; partition leaders are elected from
// the ISR (then the KIP-966 ELR, then, if unclean.leader.election.enable, any live replica);
// leaders' AlterPartition requests change the ISR. Every change is a record in the metadata
// log, durable on the controller's disk, which brokers fetch. If the controller is down or
// cut off, metadata stands still (see docs/fidelity.md); a replicated quorum is a later step.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/config.hpp"
#include "sim/node.hpp"

namespace kafka {

struct TopicSpec {
  std::string name;
  int32_t partitions = 1;
  int32_t replication_factor = 1;
  int64_t min_insync_replicas = -1;   // -1: broker default
  int8_t unclean_leader_election = -1;  // -1: broker default
  int64_t flush_messages = -1;          // -1: broker default
  int64_t flush_ms = -1;                // -1: broker default
  // Explicit assignment (partition -> replicas); empty means Kafka's assignment algorithm.
  std::vector<std::vector<BrokerId>> assignment;
};

class Controller final : public sim::Node {
 public:
  Controller(ClusterLayout layout, ConfigSet broker_config);

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;

  // Admin: create a topic (an admin client's CreateTopics, arriving as an application call).
  // Returns an error message or empty. Until enough brokers are registered and unfenced for
  // the replication factor, the request waits, as an admin client retrying
  // INVALID_REPLICATION_FACTOR would.
  std::string create_topic(sim::Context& ctx, const TopicSpec& spec);

  // Read-only views for scenario queries.
  const PartitionState* partition(const std::string& topic, int32_t p) const;
  bool topic_exists(const std::string& topic) const { return topics_.count(topic) != 0; }
  // Topic name -> partition count.
  std::map<std::string, int32_t> topics() const {
    std::map<std::string, int32_t> out;
    for (const auto& [name, t] : topics_) out[name] = t.partitions;
    return out;
  }
  int32_t partition_count(const std::string& topic) const;
  bool fenced(BrokerId b) const;
  const std::map<TopicPartition, PartitionState>& partitions() const { return partitions_; }
  bool unclean_allowed(const std::string& topic) const;
  // ReplicationControlManager.getTopicEffectiveMinIsr: min.insync.replicas, capped by the
  // replication factor.
  int64_t effective_min_isr(const PartitionState& s) const;

  // Every partition's registration is coherent: ISR and ELR within the replicas and apart,
  // the leader in the ISR; the image follows the log.
  std::string invariants() const override;

 private:
  struct BrokerInfo {
    int64_t epoch = -1;
    std::string rack;
    bool fenced = true;
    bool shutting_down = false;  // inControlledShutdown, from the metadata log
    uint64_t incarnation_id = 0;
    int64_t registration_offset = 0;
    sim::Time last_heartbeat;
  };
  struct TopicInfo {
    int32_t partitions = 0;
    int64_t min_insync_replicas = -1;
    int8_t unclean = -1;
  };
  struct ParkedFetch {
    sim::NodeId from;
    int64_t offset;
    sim::TimerId timer;
  };
  enum class Timer : uint16_t {
    session_check = 1,        // fences brokers whose heartbeats stopped
    pending_topics_deadline,  // creates waiting topics with the brokers there are
    fetch_timeout,            // a broker's parked metadata fetch ends its wait (id: the broker)
  };

  void append(sim::Context& ctx, MetadataRecord r);
  void apply(const MetadataRecord& r);
  void answer_fetches(sim::Context& ctx);

  void handle_registration(sim::Context& ctx, sim::NodeId from, const BrokerRegistrationRequest& req);
  void handle_create_topics(sim::Context& ctx, sim::NodeId from, const CreateTopicsRequest& req);
  void handle_heartbeat(sim::Context& ctx, sim::NodeId from, const BrokerHeartbeatRequest& req);
  void handle_alter_partition(sim::Context& ctx, sim::NodeId from, const AlterPartitionRequest& req);
  // ReplicationControlManager.validateAlterPartitionData (controller_alter_partition.cpp).
  Error validate_alter_partition(const AlterPartitionRequest& req, const PartitionState& s) const;
  // ReplicationControlManager.ineligibleReplicasForIsr: registered, unfenced, not shutting
  // down, and (unless -1) the broker epoch the leader saw its fetches name.
  bool isr_eligible(const AlterPartitionRequest::BrokerState& member) const;
  void handle_metadata_fetch(sim::Context& ctx, sim::NodeId from, const MetadataFetchRequest& req);

  void fence(sim::Context& ctx, BrokerId b, const char* reason);
  void unfence(sim::Context& ctx, BrokerId b);
  // Re-elects leaders and trims ISRs of every partition that involves b after b changed state.
  void reconsider_partitions(sim::Context& ctx, BrokerId b, const char* reason);
  // ReplicationControlManager.handleBrokerUncleanShutdown (metadata 4.0+): a new incarnation of
  // `b` may have lost what it had not flushed, so it leaves every ISR and ELR and leads nothing.
  void remove_new_incarnation(sim::Context& ctx, BrokerId b);
  // Elects a leader for a partition whose leader is gone (never `excluded`); records the
  // change if any.
  void elect(sim::Context& ctx, PartitionState next, const char* reason, BrokerId excluded = kNoLeader);
  bool acceptable_leader(BrokerId b) const;
  bool elr_enabled() const;
  // The metadata version (inter.broker.protocol.version's release; the IV is not modelled).
  KafkaVersion metadata_version() const;
  // Appends `s` as the partition's registration and returns it; before metadata 3.6 an ISR
  // shrink also bumps the leader epoch (PartitionChangeBuilder.triggerLeaderEpochBumpForIsrShrinkIfNeeded).
  PartitionState record_partition(sim::Context& ctx, PartitionState s, const char* reason);
  std::vector<std::vector<BrokerId>> assign_replicas(sim::Context& ctx, int32_t partitions, int32_t rf);
  bool can_create(const TopicSpec& spec, bool waited) const;
  void create_now(sim::Context& ctx, const TopicSpec& spec);
  void create_pending_topics(sim::Context& ctx, bool waited);

  ClusterLayout layout_;
  ConfigSet config_;
  sim::FileId log_file_ = 0;
  std::vector<MetadataRecord> log_;
  std::map<BrokerId, BrokerInfo> brokers_;
  std::map<std::string, TopicInfo> topics_;
  std::map<TopicPartition, PartitionState> partitions_;
  std::map<BrokerId, ParkedFetch> parked_;
  std::vector<TopicSpec> pending_topics_;  // volatile, like the admin client's retries
  bool pending_waited_ = false;
  // Records appended while held reach brokers together, as one of KRaft's atomic batches
  // (ControllerResult.atomicOf): a broker never acts on half of one decision.
  int publish_hold_ = 0;
  struct AtomicBatch {
    Controller& c;
    sim::Context& ctx;
    AtomicBatch(Controller& controller, sim::Context& context) : c(controller), ctx(context) { ++c.publish_hold_; }
    ~AtomicBatch() {
      if (--c.publish_hold_ == 0) c.answer_fetches(ctx);
    }
    AtomicBatch(const AtomicBatch&) = delete;
    AtomicBatch& operator=(const AtomicBatch&) = delete;
  };
};

}  // namespace kafka
