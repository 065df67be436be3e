#pragma once
// The transaction APIs, with Kafka's names (KIP-98, KIP-447, KIP-890):
//
//   producer -> transaction coordinator   InitProducerId (messages.hpp), AddPartitionsToTxn,
//                                         AddOffsetsToTxn, EndTxn
//   producer -> group coordinator         TxnOffsetCommit
//   transaction coordinator -> leaders    WriteTxnMarkers (the COMMIT/ABORT control records)
//   partition leader -> coordinator       AddPartitionsToTxn with verify_only (KIP-890 part 1)
//
// The transaction coordinator is the leader of the __transaction_state partition a transactional
// id hashes to (FindCoordinator with CoordinatorType::transaction).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/protocol/messages.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

// AddPartitionsToTxn (v3 from a producer; v4+ batches several transactions for the broker's
// verification, KIP-890: here one transaction per request either way).
struct AddPartitionsToTxnRequest final : Request<ApiKey::add_partitions_to_txn> {
  int32_t correlation_id = 0;
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  // KIP-890 part 1: a partition leader asks whether the partitions are already in the
  // ongoing transaction, without adding them.
  bool verify_only = false;
  std::vector<TopicPartition> partitions;
};

struct AddPartitionsToTxnResponse final : Response<ApiKey::add_partitions_to_txn> {
  int32_t correlation_id = 0;
  struct PartitionResult {
    TopicPartition tp;
    Error error = Error::NONE;
  };
  std::vector<PartitionResult> results;
  Error error = Error::NONE;  // top-level error (v4+), NONE when per-partition results apply
  // The error a reader of the trace wants: the top-level one, else the first partition's.
  Error first_error() const { return kafka::first_error(error, results, [](const PartitionResult& r) { return r.error; }); }
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, first_error()); }
};

// sendOffsetsToTransaction, first step: the coordinator adds the group's __consumer_offsets
// partition to the transaction.
struct AddOffsetsToTxnRequest final : Request<ApiKey::add_offsets_to_txn> {
  int32_t correlation_id = 0;
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  std::string group_id;
};

struct AddOffsetsToTxnResponse final : Response<ApiKey::add_offsets_to_txn> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

struct EndTxnRequest final : Request<ApiKey::end_txn> {
  int32_t correlation_id = 0;
  std::string transactional_id;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  bool committed = false;  // TransactionResult: true COMMIT, false ABORT
};

struct EndTxnResponse final : Response<ApiKey::end_txn> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  // KIP-890 part 2 (EndTxn v5, Kafka 4.0): the epoch is bumped at every transaction end and
  // returned here (-1: not sent).
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

// The coordinator's markers: each ends one producer's transaction on the listed partitions.
struct WriteTxnMarkersRequest final : Request<ApiKey::write_txn_markers> {
  int32_t correlation_id = 0;
  struct Marker {
    int64_t producer_id = kNoProducerId;
    int16_t producer_epoch = -1;
    bool committed = false;  // TransactionResult
    std::vector<TopicPartition> partitions;
    int32_t coordinator_epoch = 0;
  };
  std::vector<Marker> markers;
};

struct WriteTxnMarkersResponse final : Response<ApiKey::write_txn_markers> {
  int32_t correlation_id = 0;
  struct MarkerResult {
    int64_t producer_id = kNoProducerId;
    struct PartitionResult {
      TopicPartition tp;
      Error error = Error::NONE;
    };
    std::vector<PartitionResult> partitions;
  };
  std::vector<MarkerResult> markers;
  void describe(std::vector<sim::Field>& out) const override {
    for (const MarkerResult& m : markers)
      if (Error e = first_error(m.partitions); e != Error::NONE) return describe_error(out, e);
  }
};

// Offsets committed inside a transaction: pending at the group coordinator until the marker
// for the producer reaches the group's __consumer_offsets partition. Since KIP-447 (2.5) the
// request carries the consumer's group metadata, so a zombie of an older generation is fenced.
struct TxnOffsetCommitRequest final : Request<ApiKey::txn_offset_commit> {
  int32_t correlation_id = 0;
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = kNoProducerId;
  int16_t producer_epoch = -1;
  int32_t generation_id = -1;  // -1: no group metadata (before KIP-447)
  std::string member_id;
  std::optional<std::string> group_instance_id;
  struct Offset {
    TopicPartition tp;
    int64_t offset;
    int32_t leader_epoch = -1;
  };
  std::vector<Offset> offsets;
};

struct TxnOffsetCommitResponse final : Response<ApiKey::txn_offset_commit> {
  int32_t correlation_id = 0;
  struct PartitionResult {
    TopicPartition tp;
    Error error = Error::NONE;
  };
  std::vector<PartitionResult> results;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, first_error(results)); }
};

}  // namespace kafka
