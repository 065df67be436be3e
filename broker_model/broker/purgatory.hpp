#pragma once
// Requests that wait for a partition to move (Kafka's DelayedOperationPurgatory; Kafka keeps
// one per kind, the model one for all three): a produce until the high watermark passes what
// it appended (acks=all) or its timeout ends; a fetch until data arrives or its wait ends; a
// coordinator's write to its internal topic until the high watermark passes it. Each waits on
// the partitions it touches and is tried again when one of them moves, in the order the
// requests came.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker_model/group/partition_writer.hpp"
#include "broker_model/protocol/messages.hpp"
#include "sim/node.hpp"

namespace kafka {

class ReplicaManager;

struct DelayedProduce {
  sim::NodeId from;
  int32_t correlation_id;
  std::vector<ProduceResponse::PartitionResponse> results;
  std::vector<int64_t> required;  // per result: the offset the HW must pass (-1: settled)
};

struct DelayedFetch {
  sim::NodeId from;
  std::shared_ptr<const FetchRequest> request;
};

// A write to a coordinator's partition; `done` learns whether it was committed.
struct DelayedWrite {
  TopicPartition tp;
  int64_t required;  // the offset the HW must pass
  WriteDone done;
};

class Purgatory {
 public:
  explicit Purgatory(ReplicaManager& replicas) : replicas_(replicas) {}

  // Each waits until its own timeout (a timer of the broker's, see expire). A produce is
  // completed at once if it can be; a fetch and a write wait for the next check.
  void add(sim::Context& ctx, DelayedProduce p, sim::Duration timeout);
  void add(sim::Context& ctx, DelayedFetch f, sim::Duration wait);
  void add(sim::Context& ctx, DelayedWrite w, sim::Duration timeout);

  // The partition's high watermark moved, or its leader or ISR changed: complete the produces
  // and writes that can be, and answer the consumers' fetches waiting on it.
  void hw_moved(sim::Context& ctx, const TopicPartition& tp);
  // Records were appended to the partition: answer every fetch waiting on it.
  void appended(sim::Context& ctx, const TopicPartition& tp);
  // Completes what waits on the partition that can be (leadership lost: with an error).
  void check(sim::Context& ctx, const TopicPartition& tp);

  // A request's timeout or wait ended; `timer_id` is its BrokerTimer::delayed tag's id.
  void expire(sim::Context& ctx, uint64_t timer_id);

  // Every waiting request is watched on its partitions, and every watch names one waiting.
  std::string invariants() const;

 private:
  enum class Kind : uint8_t { produce, fetch, write };
  static uint64_t tag(Kind kind, uint64_t id);
  template <typename Op>
  struct Waiting {
    Op op;
    sim::TimerId timer;
    std::vector<TopicPartition> watched;
  };
  // Puts `op` to wait on `watched` until `timeout`; returns its id.
  template <typename Op>
  uint64_t put_waiting(sim::Context& ctx, std::map<uint64_t, Waiting<Op>>& waiting, Kind kind, Op op, std::vector<TopicPartition> watched,
                       sim::Duration timeout);
  // Takes request `id` out of `waiting` and out of its watches; nothing when it no longer waits.
  // Its timer is cancelled, unless that timer is what ended the wait (`expired`).
  template <typename Op>
  std::optional<Waiting<Op>> take(sim::Context& ctx, std::map<uint64_t, Waiting<Op>>& waiting, Kind kind, uint64_t id, bool expired);
  void watch(Kind kind, uint64_t id, const std::vector<TopicPartition>& tps);
  void unwatch(Kind kind, uint64_t id, const std::vector<TopicPartition>& tps);
  // Ids of `kind` waiting on tp, oldest first.
  std::vector<uint64_t> waiting_on(Kind kind, const TopicPartition& tp) const;
  bool try_complete(sim::Context& ctx, uint64_t id);  // a produce
  void finish_produce(sim::Context& ctx, uint64_t id, bool expired);
  void answer_fetch(sim::Context& ctx, uint64_t id, bool expired);
  void finish_write(sim::Context& ctx, uint64_t id, Error error, bool expired);

  ReplicaManager& replicas_;
  std::map<uint64_t, Waiting<DelayedProduce>> produces_;
  std::map<uint64_t, Waiting<DelayedFetch>> fetches_;
  std::map<uint64_t, Waiting<DelayedWrite>> writes_;
  std::map<std::pair<Kind, TopicPartition>, std::set<uint64_t>> watchers_;
  uint64_t next_id_ = 0;
};

}  // namespace kafka
