#pragma once
// What the group coordinator needs of the broker's replicas (Kafka's coordinator-common
// PartitionWriter): whether this broker leads a partition of its internal topic, a write to
// it that completes once committed (acks=all), and the partition's records to load from.
#include <functional>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/errors.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "sim/node.hpp"

namespace kafka {

// Learns whether a write was committed (NONE) or why not.
using WriteDone = std::function<void(sim::Context&, Error)>;

class PartitionWriter {
 public:
  virtual ~PartitionWriter() = default;
  virtual bool leads(const TopicPartition& tp) const = 0;
  // `done` is called exactly once: at once if the write is refused, else when the high
  // watermark passes it, leadership is lost, or `timeout` ends.
  virtual void append(sim::Context& ctx, const TopicPartition& tp, std::vector<Record> records, sim::Duration timeout,
                      WriteDone done) = 0;
  virtual std::vector<BatchPtr> read_all(const TopicPartition& tp) const = 0;
  // A write as part of a producer's transaction (GroupMetadataManager.storeOffsets for a
  // TxnOffsetCommit): a transactional batch of `producer_id` at `producer_epoch`, checked
  // against the partition's producer state like a produce (an older epoch is
  // INVALID_PRODUCER_EPOCH); `done` as append's.
  virtual void append_transactional(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, int16_t producer_epoch,
                                    std::vector<Record> records, sim::Duration timeout, WriteDone done) = 0;
};

// Told when a marker ended a producer's transaction on a partition this broker leads, once
// the marker is committed (KafkaApis.handleWriteTxnMarkersRequest calls
// GroupCoordinator.onTransactionCompleted for __consumer_offsets partitions).
class TxnCompletionListener {
 public:
  virtual ~TxnCompletionListener() = default;
  virtual void on_txn_completed(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, bool committed) = 0;
};

// Told when this broker becomes or stops being a partition's leader (Kafka's
// BrokerMetadataPublisher calls the coordinators' onElection and onResignation).
class LeadershipListener {
 public:
  virtual ~LeadershipListener() = default;
  virtual void on_election(sim::Context& ctx, const TopicPartition& tp) = 0;
  virtual void on_resignation(sim::Context& ctx, const TopicPartition& tp) = 0;
};

}  // namespace kafka
