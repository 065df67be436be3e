#pragma once
// Sends the markers that end a transaction (kafka.coordinator.transaction.
// TransactionMarkerChannelManager and TransactionMarkerRequestCompletionHandler): one
// WriteTxnMarkers per partition leader, as the broker's metadata image names it, retried on
// NOT_LEADER_OR_FOLLOWER and its kind, on a broken connection and while a partition has no
// leader; once every partition answered, the transaction's CompleteCommit or CompleteAbort is
// written (the transition prepared before the first marker left, so the id answers
// CONCURRENT_TRANSACTIONS all along).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "broker_model/txn/transaction_state_manager.hpp"
#include "sim/node.hpp"

namespace kafka {

class TransactionMarkerChannelManager {
 public:
  // `image`, `layout` and `state` are the broker's and outlive this.
  TransactionMarkerChannelManager(const MetadataImage& image, const ClusterLayout& layout, TransactionStateManager& state);

  // addTxnMarkersToSend: `txn` is in PrepareCommit or PrepareAbort with `complete` pending.
  void add_markers(sim::Context& ctx, int32_t coordinator_epoch, const TransactionMetadata& txn, const TxnTransitMetadata& complete);
  void handle_response(sim::Context& ctx, const WriteTxnMarkersResponse& resp);
  // The connection to `broker` broke: what was in flight to it is sent again.
  void on_disconnect(sim::Context& ctx, BrokerId broker);
  // BrokerTimer::txn_markers: the retries that waited for a backoff.
  void retry(sim::Context& ctx);
  // removeMarkersForTxnTopicPartition: this broker stopped coordinating the partition.
  void remove_for_partition(int32_t txn_partition);
  bool sending(const std::string& transactional_id) const { return pending_.count(transactional_id) != 0; }
  std::string invariants() const;

  // How long a marker waits before it is sent again (the send thread's retry.backoff.ms).
  static constexpr sim::Duration kRetryBackoff = sim::Duration::millis(100);

 private:
  struct PendingTxn {
    int32_t coordinator_epoch = -1;
    int32_t txn_partition = -1;
    int64_t producer_id = kNoProducerId;
    int16_t producer_epoch = -1;
    bool committed = false;
    std::set<TopicPartition> unsent;                // to send at the next drain
    std::map<TopicPartition, int32_t> in_flight;    // partition -> the request carrying it
    TxnTransitMetadata complete;
    bool completing = false;                        // the Complete write is in flight
  };
  struct Request {
    BrokerId broker = kNoLeader;
    std::map<int64_t, std::string> txns;  // producer id -> transactional id
  };

  // Sends every unsent marker whose partition has a leader, one request per leader.
  void drain(sim::Context& ctx);
  // Puts what `correlation_id` carried back to be sent again; false when nothing was left.
  bool requeue(const Request& r, int32_t correlation_id);
  // Writes the Complete state once every partition answered.
  void maybe_complete(sim::Context& ctx, const std::string& transactional_id);
  void arm_retry(sim::Context& ctx);

  const MetadataImage& image_;
  const ClusterLayout& layout_;
  TransactionStateManager& state_;
  std::map<std::string, PendingTxn> pending_;
  std::map<int32_t, Request> requests_;
  int32_t next_correlation_id_ = 0;
  bool retry_armed_ = false;
};

}  // namespace kafka
