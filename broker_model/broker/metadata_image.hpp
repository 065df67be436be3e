#pragma once
// A broker's view of the cluster: the controller's metadata log applied in order, as KRaft
// brokers keep it. It answers clients' Metadata requests and decides each replica's role.
#include <map>
#include <string>
#include <vector>

#include "broker_model/protocol/messages.hpp"

namespace kafka {

struct MetadataImage {
  struct Broker {
    int64_t epoch = -1;
    std::string rack;
    bool fenced = true;
    bool in_controlled_shutdown = false;
  };
  struct Topic {
    int32_t partitions = 0;
    int64_t min_insync_replicas = -1;
    int8_t unclean = -1;
    int64_t flush_messages = -1;  // -1: the broker's
    int64_t flush_ms = -1;
  };

  int64_t offset = 0;  // records applied
  std::map<BrokerId, Broker> brokers;
  std::map<std::string, Topic> topics;
  std::map<TopicPartition, PartitionState> partitions;

  // Applies one record; returns the partition it changed, if any.
  const PartitionState* apply(const MetadataRecord& r) {
    ++offset;
    switch (r.type) {
      case MetadataRecord::Type::register_broker:
        brokers[r.broker] = Broker{r.broker_epoch, r.rack, true, false};
        return nullptr;
      case MetadataRecord::Type::in_controlled_shutdown: brokers[r.broker].in_controlled_shutdown = true; return nullptr;
      case MetadataRecord::Type::fence_broker: brokers[r.broker].fenced = true; return nullptr;
      case MetadataRecord::Type::unfence_broker: brokers[r.broker].fenced = false; return nullptr;
      case MetadataRecord::Type::topic:
        topics[r.topic] = Topic{r.partitions, r.min_insync_replicas, r.unclean_leader_election, r.flush_messages, r.flush_ms};
        return nullptr;
      case MetadataRecord::Type::partition: {
        auto& slot = partitions[TopicPartition{r.partition.topic, r.partition.partition}];
        slot = r.partition;
        return &slot;
      }
    }
    return nullptr;
  }

  const PartitionState* partition(const std::string& topic, int32_t p) const {
    auto it = partitions.find(TopicPartition{topic, p});
    return it == partitions.end() ? nullptr : &it->second;
  }
  bool unfenced(BrokerId b) const {
    auto it = brokers.find(b);
    return it != brokers.end() && !it->second.fenced;
  }
};

}  // namespace kafka
