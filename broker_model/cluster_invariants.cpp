#include "broker_model/cluster_invariants.hpp"

#include <fmt/format.h>

#include "broker_model/broker/broker.hpp"
#include "broker_model/broker/replica_fetcher.hpp"
#include "broker_model/controller/controller.hpp"
#include "sim/hash.hpp"
#include "sim/world.hpp"

namespace kafka {

ClusterSnapshot snapshot(const sim::World& world, const ClusterLayout& layout) {
  ClusterSnapshot s;
  for (const auto& [b, node] : layout.brokers) {
    const auto* broker = dynamic_cast<const Broker*>(world.node(node));
    if (!broker) continue;
    const uint32_t incarnation = world.incarnation(node);
    for (const auto& [tp, p] : broker->partitions()) {
      s.replicas.push_back({b, incarnation, tp, p.is_leader(), p.leader_epoch, p.log.get()});
    }
    for (const auto& [name, topic] : broker->image().topics)
      if (topic.flush_messages >= 0 && topic.flush_messages != 1) s.risky_topics.insert(name);
  }
  if (const auto* controller = dynamic_cast<const Controller*>(world.node(layout.controller))) {
    for (const auto& [tp, state] : controller->partitions()) {
      s.registrations.push_back(&state);
      if (controller->unclean_allowed(tp.topic)) s.risky_topics.insert(tp.topic);
    }
  }
  return s;
}

std::string SingleLeaderPerEpoch::check(const ClusterSnapshot& cluster) {
  std::map<std::pair<TopicPartition, int32_t>, BrokerId> leaders;
  for (const ReplicaView& r : cluster.replicas) {
    if (!r.leader) continue;
    auto [it, fresh] = leaders.emplace(std::make_pair(r.tp, r.leader_epoch), r.broker);
    if (!fresh) return fmt::format("{} epoch {}: brokers {} and {} both lead", r.tp.to_string(), r.leader_epoch, it->second, r.broker);
  }
  return {};
}

std::string MonotonicHighWatermark::check(const ClusterSnapshot& cluster) {
  for (const ReplicaView& r : cluster.replicas) {
    if (!r.leader) continue;
    int64_t& seen = seen_[{r.broker, r.incarnation, r.tp, r.leader_epoch}];
    const int64_t hw = r.log->high_watermark();
    if (hw < seen) return fmt::format("broker {} {} epoch {}: HW {} after {}", r.broker, r.tp.to_string(), r.leader_epoch, hw, seen);
    seen = hw;
  }
  return {};
}

std::string MonotonicEpochs::check(const ClusterSnapshot& cluster) {
  for (const PartitionState* s : cluster.registrations) {
    const TopicPartition tp{s->topic, s->partition};
    auto [it, fresh] = seen_.emplace(tp, std::make_pair(s->leader_epoch, s->partition_epoch));
    if (fresh) continue;
    auto& [leader_epoch, partition_epoch] = it->second;
    if (s->leader_epoch < leader_epoch) return fmt::format("{}: leader epoch went from {} to {}", tp.to_string(), leader_epoch, s->leader_epoch);
    if (s->partition_epoch < partition_epoch) {
      return fmt::format("{}: partition epoch went from {} to {}", tp.to_string(), partition_epoch, s->partition_epoch);
    }
    it->second = {s->leader_epoch, s->partition_epoch};
  }
  return {};
}

bool ConsistentCommittedData::applies_to(const ConfigSet& broker_config, const Bugs& bugs) {
  // An unclean election, truncation before KIP-279, a crash losing unflushed records of a
  // replica that then leads, and ELR before the HW waits for min.insync.replicas (3.7) all
  // lose or replace committed records in Kafka itself.
  const TruncationMode mode = truncation_mode_for(broker_config.string("inter.broker.protocol.version"));
  const bool elr = broker_config.integer("eligible.leader.replicas.version") >= 1;
  return !broker_config.boolean("unclean.leader.election.enable") &&
         (mode == TruncationMode::epoch_v1 || mode == TruncationMode::fetch_diverging) &&
         broker_config.integer("flush.messages") == 1 && !(elr && broker_config.version() < kV3_7) &&
         !bugs.follower_skips_truncation;
}

std::string ConsistentCommittedData::check(const ClusterSnapshot& cluster) {
  risky_.insert(cluster.risky_topics.begin(), cluster.risky_topics.end());
  for (const ReplicaView& r : cluster.replicas) {
    if (risky_.count(r.tp.topic)) continue;
    const int64_t hw = r.log->high_watermark();
    int64_t& done = checked_[{r.broker, r.tp}];
    done = std::min(done, hw);  // a truncation takes back what was checked past it
    if (done >= hw) continue;
    std::vector<uint64_t>& committed = committed_[r.tp];
    for (const BatchPtr& b : r.log->batches_overlapping(done, hw)) {
      int64_t offset = b->base_offset;
      for (const Record& rec : *b->records) {
        if (offset >= done && offset < hw) {
          const uint64_t h = sim::fnv1a64(rec.value, sim::fnv1a64(rec.key));
          const auto at = static_cast<size_t>(offset);
          if (at < committed.size() && committed[at] != h) {
            return fmt::format("{} offset {}: broker {} holds {}, another replica committed a different record", r.tp.to_string(),
                               offset, r.broker, rec.value);
          }
          if (at == committed.size()) committed.push_back(h);
        }
        ++offset;
      }
    }
    done = hw;
  }
  return {};
}

std::vector<std::unique_ptr<ClusterInvariant>> cluster_invariants(const ConfigSet& broker_config, const Bugs& bugs) {
  std::vector<std::unique_ptr<ClusterInvariant>> out;
  out.push_back(std::make_unique<SingleLeaderPerEpoch>());
  out.push_back(std::make_unique<MonotonicHighWatermark>());
  out.push_back(std::make_unique<MonotonicEpochs>());
  if (ConsistentCommittedData::applies_to(broker_config, bugs)) out.push_back(std::make_unique<ConsistentCommittedData>());
  return out;
}

void register_cluster_invariants(sim::World& world, const ClusterLayout& layout, const ConfigSet& broker_config, const Bugs& bugs) {
  auto invariants = std::make_shared<std::vector<std::unique_ptr<ClusterInvariant>>>(cluster_invariants(broker_config, bugs));
  world.invariants().add("cluster", [&world, layout, invariants] {
    const ClusterSnapshot now = snapshot(world, layout);
    for (const auto& inv : *invariants) {
      if (std::string broken = inv->check(now); !broken.empty()) return std::string(inv->name()) + ": " + broken;
    }
    return std::string();
  });
}

}  // namespace kafka
