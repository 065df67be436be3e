#pragma once
// Where a partition's position comes from when it is not the committed offset (Kafka's
// OffsetFetcher and OffsetFetcherUtils): auto.offset.reset through ListOffsets to the
// partition's leader, and KIP-320 validation of a position against its leader through
// OffsetsForLeaderEpoch, which detects a log truncated below the position (an unclean
// election, or a leader that lost records the consumer had read).
//
// Both run from KafkaConsumer.updateFetchPositions inside poll(): partitions awaiting a reset or
// a validation whose backoff is over get one request per leader; a request on its way holds
// its partitions back for request.timeout.ms, a failed one for retry.backoff.ms. What the
// application must hear of (LogTruncationException, OffsetOutOfRangeException and
// NoOffsetForPartitionException under auto.offset.reset=none) is kept until poll() throws it.
#include <map>
#include <optional>
#include <string>
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

  // SubscriptionState.resetInitializingPositions for these partitions (an OffsetFetch found
  // no committed offset for them): AWAIT_RESET, or NoOffsetForPartitionException with
  // auto.offset.reset=none.
  void reset_initializing_positions(sim::Context& ctx, const std::vector<TopicPartition>& partitions);
  // OFFSET_OUT_OF_RANGE at the fetch position (FetchCollector.handleInitializeErrors).
  void handle_offset_out_of_range(sim::Context& ctx, const TopicPartition& tp);
  // resetPositionsIfNeeded: one ListOffsets per leader for partitions awaiting a reset.
  void reset_positions_if_needed(sim::Context& ctx);
  void handle_list_offsets(sim::Context& ctx, const ListOffsetsResponse& resp);

  // maybeValidatePositionForCurrentLeader for partitions whose leader epoch changed.
  void leaders_changed(const std::vector<TopicPartition>& partitions);
  // validatePositionsIfNeeded: one OffsetsForLeaderEpoch per leader for positions awaiting
  // validation.
  void validate_positions_if_needed(sim::Context& ctx);
  void handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp);

  // The connection to a broker broke: its requests fail (DisconnectException), to be retried.
  void connection_lost(sim::Context& ctx, BrokerId broker);

  // The exception the next poll() throws, if any (taken once).
  bool has_exception() const { return exception_.has_value(); }
  std::optional<std::string> take_exception();

 private:
  enum class RequestKind { list_offsets, offsets_for_leader_epoch };
  struct InFlight {
    RequestKind kind;
    BrokerId broker;
    std::vector<TopicPartition> partitions;
  };
  // Leaders of these partitions, for those whose leader is known (the others wait for metadata).
  std::map<BrokerId, std::vector<TopicPartition>> by_leader(sim::Context& ctx, const std::vector<TopicPartition>& partitions);
  void send(sim::Context& ctx, RequestKind kind, BrokerId leader, std::vector<TopicPartition> partitions,
            sim::MessagePtr request, int32_t correlation_id);
  // requestFailed: retry after retry.backoff.ms, with fresh metadata.
  void request_failed(sim::Context& ctx, const std::vector<TopicPartition>& partitions);
  // SubscriptionState.maybeCompleteValidation with the leader's answer.
  void complete_validation(sim::Context& ctx, const TopicPartition& tp, const OffsetsForLeaderEpochResponse::PartitionData& pd);
  void raise(std::string exception);

  ConsumerNetworkClient& client_;
  const ConfigSet& config_;
  SubscriptionState& subscriptions_;
  ConsumerMetadata& metadata_;
  FetchBuffer& buffer_;
  const ConsumerTrace& trace_;
  std::map<int32_t, InFlight> in_flight_;  // correlation id -> request
  std::optional<std::string> exception_;
};

}  // namespace kafka
