#pragma once
// Invariants of the whole cluster, checked after every event under --paranoid (so in every
// test), as Kafka's RaftEventSimulationTest checks its own: one leader per partition and
// epoch, a leader's high watermark and the controller's epochs that never go back, and
// committed records that are the same on every replica that has them. Each is a class with a
// Kafka reader's name; what they read is a plain snapshot of the cluster, so each can be
// shown to catch its violation without a cluster.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/log/partition_log.hpp"
#include "sim/invariants.hpp"

namespace sim {
class World;
}

namespace kafka {

// One live broker's replica of a partition.
struct ReplicaView {
  BrokerId broker;
  uint32_t incarnation = 0;  // which run of the broker's process (a restart starts a new one)
  TopicPartition tp;
  bool leader = false;
  int32_t leader_epoch = -1;
  const PartitionLog* log = nullptr;
};

// What the invariants read: every live broker's replicas, and the controller's partition
// registrations when it is up.
struct ClusterSnapshot {
  std::vector<ReplicaView> replicas;
  std::vector<const PartitionState*> registrations;
  // Topics whose own configuration lets Kafka lose committed records: an unclean election is
  // allowed, or their logs flush less often than every record.
  std::set<std::string> risky_topics;
};

// The cluster's nodes as they are now (the down ones are absent).
ClusterSnapshot snapshot(const sim::World& world, const ClusterLayout& layout);

class ClusterInvariant {
 public:
  virtual ~ClusterInvariant() = default;
  virtual const char* name() const = 0;
  // What is wrong, or empty. Invariants with memory (the monotonic ones) learn from each call.
  virtual std::string check(const ClusterSnapshot& cluster) = 0;
};

// At most one broker leads a partition in a leader epoch.
class SingleLeaderPerEpoch final : public ClusterInvariant {
 public:
  const char* name() const override { return "one leader per partition and epoch"; }
  std::string check(const ClusterSnapshot& cluster) override;
};

// A leader's high watermark never moves back within its epoch, while its process runs (a
// restarted broker reads its HW back from a checkpoint that may be behind, as Kafka's does).
class MonotonicHighWatermark final : public ClusterInvariant {
 public:
  const char* name() const override { return "a leader's HW never moves back within its epoch"; }
  std::string check(const ClusterSnapshot& cluster) override;

 private:
  std::map<std::tuple<BrokerId, uint32_t, TopicPartition, int32_t>, int64_t> seen_;
};

// The controller's leader and partition epochs of a partition never go back.
class MonotonicEpochs final : public ClusterInvariant {
 public:
  const char* name() const override { return "a partition's epochs never go back"; }
  std::string check(const ClusterSnapshot& cluster) override;

 private:
  std::map<TopicPartition, std::pair<int32_t, int32_t>> seen_;  // leader epoch, partition epoch
};

// A committed record (below a replica's high watermark) is the same on every replica that has
// it at that offset. Holds only where Kafka promises it (see applies_to): no unclean election,
// KIP-279's truncation, every append flushed, and no bug switch that breaks replication.
class ConsistentCommittedData final : public ClusterInvariant {
 public:
  const char* name() const override { return "committed records are the same on every replica"; }
  std::string check(const ClusterSnapshot& cluster) override;
  static bool applies_to(const ConfigSet& broker_config, const Bugs& bugs);

 private:
  // Each partition's committed records (a hash of key and value) by offset, as first seen;
  // each replica's checked prefix; topics ever risky (not judged).
  std::map<TopicPartition, std::vector<uint64_t>> committed_;
  std::set<std::string> risky_;
  std::map<std::pair<BrokerId, TopicPartition>, int64_t> checked_;
};

// The invariants that hold for a cluster so configured.
std::vector<std::unique_ptr<ClusterInvariant>> cluster_invariants(const ConfigSet& broker_config, const Bugs& bugs);

// Registers them with the world: one snapshot per event, every invariant checked against it.
void register_cluster_invariants(sim::World& world, const ClusterLayout& layout, const ConfigSet& broker_config,
                                 const Bugs& bugs);

}  // namespace kafka
