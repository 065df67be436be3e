#pragma once
// Where a partition's position comes from when it is not the committed offset (Kafka's
// OffsetFetcher): auto.offset.reset through ListOffsets to the partition's leader, and KIP-320
// validation of a position against a new leader through OffsetsForLeaderEpoch, which detects a
// log truncated below the position (an unclean election, or a leader that lost records the
// consumer had read).
#include <vector>

#include "broker_model/client/consumer_metadata.hpp"
#include "broker_model/client/consumer_network_client.hpp"
#include "broker_model/client/consumer_trace.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "sim/time.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/protocol/group_messages.hpp"

namespace kafka {

class OffsetFetcher {
 public:
  OffsetFetcher(ConsumerNetworkClient& client, const ConfigSet& config, SubscriptionState& subscriptions,
                ConsumerMetadata& metadata, FetchBuffer& buffer, const ConsumerTrace& trace)
      : client_(client),
        config_(config),
        subscriptions_(subscriptions),
        metadata_(metadata),
        buffer_(buffer),
        trace_(trace) {}

  // auto.offset.reset for partitions without a position: one ListOffsets per leader.
  void reset_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions);
  void handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp);

  // Validates the positions of the assigned partitions among these (their leader changed).
  void validate_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions);
  void handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp);

  // The connection to a broker broke: the resets and validations of the partitions it leads
  // will get no answer.
  void connection_lost(BrokerId broker);

 private:
  void validate_position(sim::Context& ctx, const TopicPartition& tp);
  void detect_truncation(sim::Context& ctx, const TopicPartition& tp, const OffsetsForLeaderEpochResponse::PartitionData& pd);

  ConsumerNetworkClient& client_;
  const ConfigSet& config_;
  SubscriptionState& subscriptions_;
  ConsumerMetadata& metadata_;
  FetchBuffer& buffer_;
  const ConsumerTrace& trace_;
};

}  // namespace kafka
