#pragma once
// Fetching records (Kafka's Fetcher, AbstractFetch and FetchCollector): one FetchRequest per
// leader for the assigned partitions that are FETCHING and have nothing buffered, at most one
// in flight per broker; the records of each response go to the FetchBuffer, and poll() drains
// them up to max.poll.records, moving each partition's position past what it returns.
#include <cstdint>
#include <map>
#include <vector>

#include "broker_model/client/consumer_metadata.hpp"
#include "broker_model/client/consumer_network_client.hpp"
#include "broker_model/client/consumer_trace.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "broker_model/client/offset_fetcher.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "broker_model/config/config.hpp"

namespace kafka {

class Fetcher {
 public:
  Fetcher(ConsumerNetworkClient& client, const ConfigSet& config, SubscriptionState& subscriptions,
          ConsumerMetadata& metadata, OffsetFetcher& offset_fetcher, FetchBuffer& buffer, const ConsumerTrace& trace,
          bool drops_txn_record = false)
      : drops_txn_record_(drops_txn_record),
        client_(client),
        config_(config),
        subscriptions_(subscriptions),
        metadata_(metadata),
        offset_fetcher_(offset_fetcher),
        buffer_(buffer),
        trace_(trace) {}

  void send_fetches(sim::Context& ctx);

  enum class FetchOutcome { ignored, no_records, records };
  FetchOutcome handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp);

  // FetchCollector.collectFetch: what one poll() returns.
  std::vector<ConsumerRecord> collect_fetch(size_t max_poll_records);

  // The connection to a broker broke: its fetch will not be answered.
  void connection_lost(BrokerId broker) { in_flight_.erase(broker); }

  // consumer.lag per assigned partition: the leader's high watermark (read_committed: its last
  // stable offset), as the last fetch of this assignment reported it, minus the position
  // (SubscriptionState.partitionLag).
  void report_lag(sim::Context& ctx) const;

 private:
  bool drops_txn_record_;  // bug switch consumer_drops_txn_record
  void buffer_records(const TopicPartition& tp, const FetchResponse::PartitionData& pd, bool& any);
  // isolation.level=read_committed (IsolationLevel.READ_COMMITTED).
  bool read_committed() const { return config_.string("isolation.level") == "read_committed"; }

  ConsumerNetworkClient& client_;
  const ConfigSet& config_;
  SubscriptionState& subscriptions_;
  ConsumerMetadata& metadata_;
  OffsetFetcher& offset_fetcher_;
  FetchBuffer& buffer_;
  const ConsumerTrace& trace_;
  std::map<BrokerId, int32_t> in_flight_;  // broker -> correlation id of its fetch
};

}  // namespace kafka
