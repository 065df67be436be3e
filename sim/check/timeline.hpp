#pragma once
// What the cluster did, partition by partition, from a run's trace: leader appends, follower
// progress, high watermarks, leadership changes, elections and truncations, beside the node
// faults (crashes, restarts, pauses, isolations), and the transactions that hold back each
// partition's last stable offset. The checks that need to know which node did
// what when (high watermark regressions, the explanations of anomalies) read this, never the
// simulation.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "sim/trace.hpp"

namespace check {

struct ReplicaEvent {
  enum class Kind : uint8_t {
    leader_append,    // from = base offset, to = the leader's log end offset after it
    follower_append,  // the same, on a follower
    high_watermark,   // to = the replica's new high watermark
    became_leader,    // to = its log end offset then
    became_follower,  // to = its log end offset then
    truncated,        // from = log end offset before, to = after; detail = why
    elected,          // by the controller: node = the new leader; detail = "isr"/"unclean", why
    recovered,        // a restarted broker's log: to = its log end offset
    epoch_answer,     // a follower learned where an epoch ends (OffsetsForLeaderEpoch, or a fetch's
                      // diverging epoch): leader_epoch = the epoch answered, from = the epoch asked
                      // (-1 for a fetch), to = its end offset; detail = what the follower truncated to
    producer_retry,   // node = the producer; from = the batch's base sequence, to = the attempt;
                      // detail = the error that made it retry
  };
  Kind kind;
  int32_t leader_epoch = -1;
  int64_t time_ns = 0;
  std::string node;
  int64_t from = -1;
  int64_t to = -1;
  std::string detail;
  int64_t producer_id = -1;  // appends: the batch's producer id (-1: not idempotent) and base sequence
  int32_t sequence = -1;
};

struct NodeEvent {
  enum class Kind : uint8_t { crashed, restarted, paused, resumed, isolated, partitioned, healed, producer_epoch_bump };
  Kind kind;
  int64_t time_ns = 0;
  std::string node;    // empty for partitioned / healed
  std::string detail;  // partitioned: the groups
};

// A partition leader's last stable offset and first unstable offset (replica.lso; -1: none).
struct LsoEvent {
  int64_t time_ns = 0;
  std::string node;
  int64_t lso = -1;
  int64_t hw = -1;
  int64_t first_unstable = -1;
};

// A transactional id's state at its coordinator, once written (txn.state).
struct TxnStateEvent {
  int64_t time_ns = 0;
  std::string transactional_id;
  int64_t producer_id = -1;
  std::string state;       // Kafka's name: Ongoing, PrepareAbort, CompleteAbort, Empty, ...
  std::string partitions;  // "orders-0,orders-1"
};

struct Timeline {
  std::map<std::string, std::vector<ReplicaEvent>> partitions;  // "t-0" -> its events, in time order
  std::vector<NodeEvent> nodes;                                  // in time order
  std::map<std::string, std::vector<LsoEvent>> lso;              // "t-0" -> its leaders' LSOs, in time order
  std::vector<TxnStateEvent> txn_states;                         // in time order
};

class TimelineSink final : public sim::TraceSink {
 public:
  // The kinds it reads: node faults, producer retries, and each partition's replication.
  using Reads = sim::schema::Reads<sim::event::NodeCrash, sim::event::NodeRestart, sim::event::NodePause, sim::event::NodeResume,
                                   sim::event::FaultIsolate, sim::event::FaultPartition, sim::event::FaultHeal,
                                   kafka::event::ProducerBumpEpoch, kafka::event::ProducerRetry, kafka::event::LogAppend,
                                   kafka::event::ReplicaHw, kafka::event::ReplicaLeader, kafka::event::ReplicaFollower,
                                   kafka::event::LogTruncate, kafka::event::ReplicaEpochEndOffset,
                                   kafka::event::ReplicaDivergingEpoch, kafka::event::LogRecover, kafka::event::ControllerElect,
                                   kafka::event::ReplicaLso, kafka::event::TxnStateChange>;
  void write(const sim::Event& e) override;
  Timeline& timeline() { return timeline_; }

 private:
  Timeline timeline_;
};

}  // namespace check
