#pragma once
// This broker's replicas (Kafka's ReplicaManager): the partitions on its disk and their roles
// as the metadata image assigns them; as leader it appends produced records, serves fetches,
// moves the high watermark and proposes ISR changes to the controller (AlterPartition); as
// follower it replicates through the ReplicaFetcher. Requests that must wait wait in the
// Purgatory. It also writes the group coordinator's records (PartitionWriter).
//
//   replica_manager.cpp         roles, logs, the high watermark and the ISR
//   replica_manager_append.cpp  Produce and the coordinator's writes (appendRecords)
//   replica_manager_read.cpp    Fetch, ListOffsets, OffsetsForLeaderEpoch
//   replica_manager_txn.cpp     WriteTxnMarkers (the transaction coordinator's markers)
//   replica_manager_verify.cpp  KIP-890 part 1: a transactional produce verified with the
//                               coordinator before it may open a transaction here
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/broker/partition.hpp"
#include "broker_model/broker/purgatory.hpp"
#include "broker_model/broker/replica_fetcher.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/partition_writer.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "sim/node.hpp"

namespace kafka {

class ReplicaManager final : public PartitionWriter {
 public:
  // `layout`, `config` and `image` are the broker's and outlive this.
  ReplicaManager(BrokerId id, const ClusterLayout& layout, const ConfigSet& config, const MetadataImage& image, Bugs bugs);
  ReplicaManager(const ReplicaManager&) = delete;
  ReplicaManager& operator=(const ReplicaManager&) = delete;

  void set_broker_epoch(int64_t epoch);
  void set_listener(LeadershipListener* listener) { listener_ = listener; }
  void set_txn_listener(TxnCompletionListener* listener) { txn_listener_ = listener; }

  using Partitions = std::map<TopicPartition, Partition, std::less<>>;
  const Partitions& partitions() const { return partitions_; }
  Partitions& partitions() { return partitions_; }
  const Partition* partition(const std::string& topic, int32_t p) const;
  Partition* partition(const std::string& topic, int32_t p);
  // min.insync.replicas of a topic: its override, else the broker's.
  int64_t min_isr(const std::string& topic) const;
  ReplicaFetcher& fetcher() { return fetcher_; }
  Purgatory& purgatory() { return purgatory_; }

  // ---- the logs (Kafka's LogManager duties) ----
  // Every partition directory on disk is recovered at start, before any metadata arrives.
  void load_logs(sim::Context& ctx);
  void checkpoint_high_watermarks();
  // flush.messages: flushes the partition's log once that many records are unflushed.
  void maybe_flush(sim::Context& ctx, Partition& p);
  // flush.ms: flushes every log whose oldest unflushed record is that old.
  void flush_by_time(sim::Context& ctx);

  // ---- roles ----
  // The metadata image changed `s` (ReplicaManager.applyDelta): lead, follow, or take the
  // leader's new ISR.
  void apply_partition(sim::Context& ctx, const PartitionState& s);

  // ---- the ISR ----
  // The isr-expiration task: propose dropping followers that fell behind.
  void maybe_shrink_isr(sim::Context& ctx);
  void handle_alter_partition_response(sim::Context& ctx, const AlterPartitionResponse& resp);
  // The controller connection dropped: AlterPartition requests in flight are lost.
  void controller_lost();

  // ---- requests (replica_manager_append.cpp, replica_manager_read.cpp) ----
  void handle_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req);
  void handle_fetch(sim::Context& ctx, sim::NodeId from, const std::shared_ptr<const FetchRequest>& req);
  void respond_fetch(sim::Context& ctx, sim::NodeId from, const FetchRequest& req);
  void handle_list_offsets(sim::Context& ctx, sim::NodeId from, const ListOffsetsRequest& req);
  void handle_offsets_for_leader_epoch(sim::Context& ctx, sim::NodeId from, const OffsetsForLeaderEpochRequest& req);
  // KafkaApis.handleWriteTxnMarkersRequest: each marker appended as a control batch to the
  // partitions this broker leads, answered per partition once committed (requiredAcks -1).
  void handle_write_txn_markers(sim::Context& ctx, sim::NodeId from, const WriteTxnMarkersRequest& req);
  // The coordinator's answer to a verification (AddPartitionsToTxnManager's completion handler).
  void handle_verification_response(sim::Context& ctx, const AddPartitionsToTxnResponse& resp);
  // The connection to `broker` broke: verifications waiting on it fail (NETWORK_EXCEPTION).
  void verification_coordinator_lost(sim::Context& ctx, BrokerId broker);
  // BrokerTimer::txn_verify_timeout: the coordinator did not answer within the broker's
  // request.timeout.ms (the AddPartitionsToTxnManager's NetworkClient gives up on it).
  void verification_timed_out(sim::Context& ctx, int32_t correlation_id);
  // transaction.partition.verification.enable, which exists from Kafka 3.6.
  bool transaction_verification_enabled() const;

  // Every partition's, the purgatory's and the fetcher's (see sim::Node::invariants).
  std::string invariants() const;

  // ---- PartitionWriter ----
  bool leads(const TopicPartition& tp) const override;
  void append(sim::Context& ctx, const TopicPartition& tp, std::vector<Record> records, sim::Duration timeout,
              WriteDone done) override;
  std::vector<BatchPtr> read_all(const TopicPartition& tp) const override;
  void append_transactional(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, int16_t producer_epoch,
                            std::vector<Record> records, sim::Duration timeout, WriteDone done) override;

 private:
  Partition& partition_for(sim::Context& ctx, const std::string& topic, int32_t p);
  void become_leader(sim::Context& ctx, Partition& p, const PartitionState& s);
  void become_follower(sim::Context& ctx, Partition& p, const PartitionState& s);
  // The leader's partition, or null if this broker does not lead it.
  Partition* led(const TopicPartition& tp);
  // The error a request naming `current_leader_epoch` gets from `p` (null: not hosted).
  static Error leader_error(const Partition* p, int32_t current_leader_epoch);

  // The leader's high watermark and ISR.
  bool maybe_increment_hw(sim::Context& ctx, Partition& p);
  void update_follower(sim::Context& ctx, Partition& p, BrokerId follower, int64_t fetch_offset, int64_t broker_epoch);
  // Partition.isReplicaIsrEligible against this broker's metadata image.
  bool isr_eligible(const Partition& p, BrokerId b) const;
  // Partition.handleAlterPartitionError.
  static void handle_alter_partition_error(Partition& p, Error error);
  void maybe_expand_isr(sim::Context& ctx, Partition& p, BrokerId follower);
  void propose_isr(sim::Context& ctx, Partition& p, std::vector<BrokerId> isr);
  // KAFKA-15583 (3.7): the HW stands still while the ISR is below min.insync.replicas.
  bool strict_min_isr() const { return config_.version() >= kV3_7; }

  // A produce's verification guards (by partition) and the errors its verification ended in.
  using VerificationGuards = std::map<TopicPartition, uint64_t>;
  using PreAppendErrors = std::map<TopicPartition, Error>;
  // Produce: appends each partition's batch (appendEntries), answering those in `errors` with
  // their error instead.
  void append_produce(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req, const VerificationGuards& guards,
                      const PreAppendErrors& errors);
  // Appends one partition's batch as leader, presenting `guard` (0: none); `required` is the
  // offset its acks=all response waits for (-1: none).
  ProduceResponse::PartitionResponse append_to_leader(sim::Context& ctx, const ProduceRequest& req,
                                                      const ProduceRequest::PartitionData& pd, uint64_t guard, int64_t& required);
  // KIP-890 part 1: holds `req` and asks the coordinator if a partition needs verifying; false
  // when nothing does (the produce goes on at once).
  bool maybe_start_verification(sim::Context& ctx, sim::NodeId from, const ProduceRequest& req);
  // The verification of `correlation_id` ended: the held produce goes on.
  void finish_verification(sim::Context& ctx, int32_t correlation_id, const std::function<Error(const TopicPartition&)>& error_of);
  // After records reach the leader's log: flush, move the HW, wake the fetches waiting on it.
  void appended(sim::Context& ctx, Partition& p);
  // KIP-320 / KAFKA-10554: the epoch and end offset a follower's fetch diverges at, if any.
  std::optional<std::pair<int32_t, int64_t>> diverging_epoch(const Partition& p, const FetchRequest& req,
                                                             const FetchRequest::PartitionData& pd) const;

  // A coordinator's write (append, append_transactional): appended as leader, `done` once committed.
  void append_internal(sim::Context& ctx, const TopicPartition& tp, const RecordBatch& incoming, sim::Duration timeout, WriteDone done);
  // One marker on one partition; `done` as append's (with the leader's errors).
  void append_txn_marker(sim::Context& ctx, const TopicPartition& tp, const WriteTxnMarkersRequest::Marker& m, WriteDone done);
  // replica.lso: the leader's last stable offset moved (partitions with transactions only).
  void maybe_trace_lso(sim::Context& ctx, Partition& p);

  // Where a consumer's fetch reads to: the HW, or for READ_COMMITTED the last stable offset.
  static int64_t consumer_fetch_limit(const Partition& p, const FetchRequest& req);

  int64_t flush_messages(const std::string& topic) const;
  int64_t flush_ms(const std::string& topic) const;

  BrokerId id_;
  const ClusterLayout& layout_;
  const ConfigSet& config_;
  const MetadataImage& image_;
  Bugs bugs_;
  sim::Duration lag_max_;  // replica.lag.time.max.ms
  int64_t broker_epoch_ = -1;
  int32_t next_alter_partition_id_ = 0;  // AlterPartition correlation ids
  // Produces held while the coordinator verifies them, by the AddPartitionsToTxn's correlation id.
  struct HeldProduce {
    sim::NodeId from;
    BrokerId coordinator;
    int64_t producer_id;
    ProduceRequest request;
    VerificationGuards guards;  // the partitions being verified
    sim::TimerId timeout;
  };
  std::map<int32_t, HeldProduce> verifying_;
  int32_t next_verification_id_ = 0;
  LeadershipListener* listener_ = nullptr;
  TxnCompletionListener* txn_listener_ = nullptr;
  Partitions partitions_;
  Purgatory purgatory_;
  ReplicaFetcher fetcher_;
};

}  // namespace kafka
