#pragma once
// What the consumer knows of the subscribed topics (Kafka's ConsumerMetadata): each
// partition's leader and leader epoch, from Metadata requests to any broker. A response with an
// older leader epoch than one already seen is ignored (KIP-320); a newer one means the position
// must be validated against the new leader.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "broker_model/client/consumer_network_client.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/protocol/messages.hpp"
#include "sim/node.hpp"

namespace kafka {

class ConsumerMetadata {
 public:
  ConsumerMetadata(ConsumerNetworkClient& client, const ConfigSet& config, std::vector<std::string> topics)
      : client_(client), config_(config), topics_(std::move(topics)) {}

  const std::vector<std::string>& subscribed_topics() const { return topics_; }

  // One Metadata request at a time.
  void request_update(sim::Context& ctx);
  // Returns the partitions whose leader epoch went up (their positions need validating).
  std::vector<TopicPartition> handle_response(const MetadataResponse& resp);
  // A subscribed topic missing from metadata is asked for again until it appears.
  void retry_if_incomplete(sim::Context& ctx) const;
  // The connection the request went out on broke: the answer will not come.
  void request_lost() { update_in_flight_ = false; }

  BrokerId leader_of(const TopicPartition& tp) const;
  int32_t leader_epoch_of(const TopicPartition& tp) const;
  int32_t partition_count(const std::string& topic) const;  // 0: not known yet

 private:
  struct PartitionLeader {
    BrokerId leader = kNoLeader;
    int32_t epoch = -1;
  };
  const PartitionLeader* find(const TopicPartition& tp) const;

  ConsumerNetworkClient& client_;
  const ConfigSet& config_;
  std::vector<std::string> topics_;  // subscribed
  std::map<std::string, std::vector<PartitionLeader>> partitions_;
  bool update_in_flight_ = false;
};

}  // namespace kafka
