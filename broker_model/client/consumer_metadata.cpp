#include "broker_model/client/consumer_metadata.hpp"

#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

void ConsumerMetadata::request_update(sim::Context& ctx) {
  if (update_in_flight_) return;
  update_in_flight_ = true;
  auto req = std::make_shared<MetadataRequest>();
  req->correlation_id = client_.next_correlation_id();
  req->topics = topics_;
  req->allow_auto_topic_creation = config_.boolean("allow.auto.create.topics");  // ConsumerMetadata
  client_.send(ctx, client_.least_loaded_broker(), req);
}

std::vector<TopicPartition> ConsumerMetadata::handle_response(const MetadataResponse& resp) {
  update_in_flight_ = false;
  std::vector<TopicPartition> epoch_changed;
  for (const auto& t : resp.topics) {
    if (t.error != Error::NONE) continue;  // not there (yet)
    auto& parts = partitions_[t.name];
    const auto old = parts;
    parts.assign(t.partitions.size(), PartitionLeader{});
    for (const auto& p : t.partitions) {
      if (p.partition < 0 || static_cast<size_t>(p.partition) >= parts.size()) continue;
      const auto i = static_cast<size_t>(p.partition);
      const bool seen = i < old.size();
      if (seen && stale_leader_epoch(old[i].epoch, p.leader_epoch)) {
        parts[i] = old[i];
        continue;
      }
      parts[i] = {p.error == Error::NONE ? p.leader : kNoLeader, p.leader_epoch};
      // KIP-320: a new leader epoch means the position must be checked for truncation.
      if (seen && old[i].epoch >= 0 && p.leader_epoch > old[i].epoch) epoch_changed.push_back({t.name, p.partition});
    }
  }
  return epoch_changed;
}

void ConsumerMetadata::retry_if_incomplete(sim::Context& ctx) const {
  for (const std::string& t : topics_) {
    if (partition_count(t) == 0) {
      ctx.set_timer(sim::Duration::millis(config_.integer("retry.backoff.ms")), sim::timer_tag(ConsumerTimer::metadata_retry));
      return;
    }
  }
}

const ConsumerMetadata::PartitionLeader* ConsumerMetadata::find(const TopicPartition& tp) const {
  auto it = partitions_.find(tp.topic);
  if (it == partitions_.end() || tp.partition < 0 || static_cast<size_t>(tp.partition) >= it->second.size()) return nullptr;
  return &it->second[static_cast<size_t>(tp.partition)];
}

BrokerId ConsumerMetadata::leader_of(const TopicPartition& tp) const {
  const PartitionLeader* p = find(tp);
  return p ? p->leader : kNoLeader;
}

int32_t ConsumerMetadata::leader_epoch_of(const TopicPartition& tp) const {
  const PartitionLeader* p = find(tp);
  return p ? p->epoch : -1;
}

int32_t ConsumerMetadata::partition_count(const std::string& topic) const {
  auto it = partitions_.find(topic);
  return it == partitions_.end() ? 0 : static_cast<int32_t>(it->second.size());
}

}  // namespace kafka
