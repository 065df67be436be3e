#pragma once
// The transaction coordinator (kafka.coordinator.transaction.TransactionCoordinator), hosted by
// the broker that leads a transactional id's __transaction_state partition. Its state is
// records in that partition, written through the PartitionWriter like any acks=all produce, so
// a failover keeps or loses a transition as replication dictates; the new leader loads them
// and sends again the markers of every transaction it finds in PrepareCommit or PrepareAbort.
//
//   transaction_coordinator.cpp      discovery, InitProducerId, AddPartitionsToTxn,
//                                    AddOffsetsToTxn, loading and unloading partitions
//   transaction_coordinator_end.cpp  EndTxn, fencing and transaction.timeout.ms expiry
//   transaction_state_manager.*      the metadata cache and its log (TransactionStateManager)
//   transaction_marker_channel.*     the markers (TransactionMarkerChannelManager)
#include <functional>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/partition_writer.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "broker_model/txn/transaction_marker_channel.hpp"
#include "broker_model/txn/transaction_state_manager.hpp"
#include "sim/node.hpp"

namespace kafka {

class TransactionCoordinator final : public LeadershipListener {
 public:
  // The broker's ProducerIdManager: a new producer id, unique in the cluster.
  using ProducerIdSource = std::function<int64_t(sim::Context&)>;
  // `config`, `image`, `layout` and `log` are the broker's and outlive this.
  TransactionCoordinator(const ConfigSet& config, const MetadataImage& image, const ClusterLayout& layout, PartitionWriter& log,
                         ProducerIdSource generate_producer_id);
  TransactionCoordinator(const TransactionCoordinator&) = delete;
  TransactionCoordinator& operator=(const TransactionCoordinator&) = delete;

  // FindCoordinator with key_type transaction: the leader of the id's partition.
  void handle_find_coordinator(sim::Context& ctx, sim::NodeId from, const FindCoordinatorRequest& req);
  // InitProducerId with a transactional id (handleInitProducerId).
  void handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req);
  // AddPartitionsToTxn from a producer, or with verify_only from a partition leader (KIP-890).
  void handle_add_partitions(sim::Context& ctx, sim::NodeId from, const AddPartitionsToTxnRequest& req);
  // AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction.
  void handle_add_offsets(sim::Context& ctx, sim::NodeId from, const AddOffsetsToTxnRequest& req);
  void handle_end_txn(sim::Context& ctx, sim::NodeId from, const EndTxnRequest& req);
  void handle_write_txn_markers_response(sim::Context& ctx, const WriteTxnMarkersResponse& resp) {
    markers_.handle_response(ctx, resp);
  }
  void on_disconnect(sim::Context& ctx, BrokerId broker) { markers_.on_disconnect(ctx, broker); }
  // BrokerTimer::txn_load, txn_abort_check and txn_markers.
  void on_timer(sim::Context& ctx, BrokerTimer kind, uint64_t id);

  // LeadershipListener: load or unload the ids of a __transaction_state partition.
  void on_election(sim::Context& ctx, const TopicPartition& tp) override;
  void on_resignation(sim::Context& ctx, const TopicPartition& tp) override;

  // The ids coordinated here, as this broker holds them.
  const std::map<std::string, TransactionMetadata>& transactions() const { return state_.transactions(); }
  std::string invariants() const;

 private:
  using EndTxnCallback = std::function<void(sim::Context&, Error, int64_t producer_id, int16_t producer_epoch)>;
  // prepareInitProducerIdTransit: the transition InitProducerId writes, or why not.
  std::variant<Error, TxnTransitMetadata> prepare_init(sim::Context& ctx, TransactionMetadata& m, const InitProducerIdRequest& req);
  void answer_init(sim::Context& ctx, sim::NodeId from, int32_t correlation_id, Error error, int64_t producer_id = kNoProducerId,
                   int16_t producer_epoch = -1);
  // Adds `partitions` to the id's transaction; `done` gets the error (handleAddPartitionsToTransaction).
  void add_partitions(sim::Context& ctx, const std::string& transactional_id, int64_t producer_id, int16_t producer_epoch,
                      const std::set<TopicPartition>& partitions, std::function<void(sim::Context&, Error)> done);
  void verify_partitions(sim::Context& ctx, sim::NodeId from, const AddPartitionsToTxnRequest& req);
  // endTransaction, from a client's EndTxn or from a fence (is_from_client false).
  void end_transaction(sim::Context& ctx, const std::string& transactional_id, int64_t producer_id, int16_t producer_epoch,
                       bool commit, bool from_client, EndTxnCallback done);
  // Validates EndTxn against the id's state and prepares PrepareCommit/PrepareAbort, or
  // answers without a write (Left in Kafka: an error, or NONE for a retried EndTxn).
  std::variant<Error, TxnTransitMetadata> prepare_end(sim::Context& ctx, TransactionMetadata& m, int64_t producer_id,
                                                      int16_t producer_epoch, bool commit, bool from_client, bool& is_epoch_fence);
  // The Prepare state was written: prepare Complete, answer, and send the markers.
  void prepare_written(sim::Context& ctx, const std::string& transactional_id, int32_t coordinator_epoch, int64_t producer_id,
                       int16_t producer_epoch, bool commit, const EndTxnCallback& done);
  // abortTimedOutTransactions.
  void abort_timed_out(sim::Context& ctx);
  // Whether EndTxn comes from a producer one epoch behind a KIP-890 bump (endTxnEpochBumped).
  static bool end_txn_epoch_bumped(const TransactionMetadata& m, int16_t producer_epoch);
  bool epoch_bump_per_txn() const;

  const ConfigSet& config_;
  const MetadataImage& image_;
  TransactionStateManager state_;
  TransactionMarkerChannelManager markers_;
  ProducerIdSource generate_producer_id_;
  bool abort_check_armed_ = false;
};

}  // namespace kafka
