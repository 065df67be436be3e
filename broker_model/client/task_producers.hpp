#pragma once
// processing_guarantee = "exactly_once" (EOS v1): the member's process hosts one transactional
// producer per assigned input partition (a task), as Kafka Streams' EXACTLY_ONCE_ALPHA does
// (ActiveTaskCreator.createRecordCollector makes a StreamsProducer per task, its
// transactional.id applicationId-taskId) and Spring's producerPerConsumerPartition did
// (prefix + group.topic.partition). The new owner of a partition initTransactions on the
// same transactional.id, which fences the previous owner's producer: that is how v1 fences a
// zombie, not by the group's generation.
//
// This class owns the producers and keeps them apart on the consumer's node: each takes a
// slot, which gives it a range of correlation ids above kTaskProducerCorrelationIds (above the
// consumer's own and the hosted producer's) and the top bits of its timer ids
// (ConsumerTimer::task_producer). A closed producer's responses and
// timers are dropped (KafkaProducer.close(Duration.ZERO)).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker_model/client/producer.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/protocol/api.hpp"
#include "broker_model/protocol/messages.hpp"
#include "sim/node.hpp"

namespace kafka {

// "<prefix><topic>-<partition>": the task's transactional.id, the same in every process that
// owns the partition.
std::string task_transactional_id(const std::string& prefix, const TopicPartition& tp);

class TaskProducers {
 public:
  using FirstOp = std::function<uint64_t(const std::string& client_id)>;
  // config: the group's producer config, its transactional.id the prefix of the tasks' ids.
  TaskProducers(std::string member, ClusterLayout layout, ConfigSet config, FirstOp first_op, Bugs bugs);

  // A task was assigned: its producer starts, and initTransactions with it.
  Producer& open(sim::Context& ctx, const TopicPartition& tp);
  // The task was revoked or lost: its producer is closed, whatever it had in flight dropped.
  void close(const TopicPartition& tp);
  Producer* find(const TopicPartition& tp);
  std::vector<TopicPartition> tasks() const;
  // Whether every task in `assigned` has a producer that finished initTransactions.
  bool ready(const std::vector<TopicPartition>& assigned) const;
  // The first task producer with a fatal error (a newer owner fenced it), if any.
  const Producer* fatal() const;

  // What reaches the node for a task producer: true when it was one's (even a closed one's).
  bool on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg);
  void on_timer(sim::Context& ctx, uint64_t id);
  void on_disconnect(sim::Context& ctx, sim::NodeId peer);

  // Slot s owns the correlation ids (kTaskProducerCorrelationIds + s * kSlotIds, ... + kSlotIds].
  static constexpr int32_t kTaskProducerCorrelationIds = (1 << 30) + (1 << 24);
  static constexpr int32_t kSlotIds = 1 << 24;
  static constexpr int kSlots = 62;
  static constexpr uint64_t kSlotShift = 42;  // a producer's own timer tags stay below 2^42

 private:
  struct Task {
    int slot;
    std::unique_ptr<Producer> producer;
  };
  Task* by_slot(int slot);

  std::string member_;
  ClusterLayout layout_;
  ConfigSet config_;
  FirstOp first_op_;
  Bugs bugs_;
  std::map<TopicPartition, Task> tasks_;
  int next_slot_ = 0;  // slots go round: a slot is taken again only after kSlots producers
};

}  // namespace kafka
