#pragma once
// The transaction metadata of the __transaction_state partitions this broker leads
// (kafka.coordinator.transaction.TransactionStateManager): which partition an id belongs to,
// loading a partition's ids when this broker becomes its leader (COORDINATOR_LOAD_IN_PROGRESS
// meanwhile) and dropping them when it stops, and appendTransactionToLog: a transition is
// written through the PartitionWriter (acks=all, min ISR transaction.state.log.min.isr) and
// applied to the cache only once committed.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/partition_writer.hpp"
#include "broker_model/txn/transaction_metadata.hpp"
#include "sim/node.hpp"

namespace kafka {

class TransactionStateManager {
 public:
  // `config`, `image` and `log` are the broker's and outlive this.
  TransactionStateManager(const ConfigSet& config, const MetadataImage& image, PartitionWriter& log);

  // partitionFor: Utils.abs(transactionalId.hashCode) % transaction.state.log.num.partitions
  // (the topic's partition count once it exists); -1 while the topic does not exist.
  int32_t partition_for(const std::string& transactional_id) const;

  // getTransactionState: the id's metadata (null when it has none yet) with the coordinator
  // epoch it was read in, or why this broker cannot answer for it.
  struct Lookup {
    Error error = Error::NONE;
    TransactionMetadata* metadata = nullptr;
    int32_t coordinator_epoch = -1;
  };
  Lookup get(const std::string& transactional_id);
  // putTransactionStateIfNotExists, for an id whose partition is loaded here.
  TransactionMetadata& put(const std::string& transactional_id, const TxnTransitMetadata& values);
  // validateTransactionTimeoutMs: within transaction.max.timeout.ms.
  bool valid_timeout(int32_t txn_timeout_ms) const;

  using AppendDone = std::function<void(sim::Context&, Error)>;
  // appendTransactionToLog: writes `t` for the id; once committed, and if this broker still
  // coordinates the id in `coordinator_epoch`, completes the transition (traced as txn.state)
  // and calls `done` with NONE. Otherwise the pending transition is dropped and `done` gets
  // the coordinator error (COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR, ...). With
  // `retry_on_unavailable` (the marker channel's Complete write), COORDINATOR_NOT_AVAILABLE keeps
  // the transition pending for the caller to write again.
  void append(sim::Context& ctx, const std::string& transactional_id, int32_t coordinator_epoch, const TxnTransitMetadata& t,
              AppendDone done, bool retry_on_unavailable = false);

  // Loading (onElection): the partition answers COORDINATOR_LOAD_IN_PROGRESS until
  // finish_load (a broker timer) replays its records; `resume` then gets each id loaded in
  // PrepareCommit or PrepareAbort, whose markers the coordinator must send again.
  using ResumeMarkers = std::function<void(sim::Context&, TransactionMetadata&, int32_t coordinator_epoch)>;
  void start_load(sim::Context& ctx, int32_t partition, int32_t coordinator_epoch);
  void finish_load(sim::Context& ctx, int32_t partition, const ResumeMarkers& resume);
  // removeTransactionsForTxnTopicPartition (onResignation).
  void unload(int32_t partition);

  // The ids whose Ongoing transaction has passed its transaction.timeout.ms, with no
  // transition pending (timedOutTransactions).
  std::vector<std::string> timed_out(int64_t now_ms) const;
  bool owns_any() const { return !owned_.empty(); }
  const std::map<std::string, TransactionMetadata>& transactions() const { return metadata_; }
  // Every cached id belongs to a partition led and loaded here.
  std::string invariants() const;

 private:
  struct Partition {
    int32_t coordinator_epoch = -1;
    bool loading = true;
  };
  const ConfigSet& config_;
  const MetadataImage& image_;
  PartitionWriter& log_;
  std::map<int32_t, Partition> owned_;  // the partitions led here, loaded or loading
  std::map<std::string, TransactionMetadata> metadata_;
};

}  // namespace kafka
