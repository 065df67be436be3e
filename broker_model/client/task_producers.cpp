#include "broker_model/client/task_producers.hpp"

#include <optional>

#include <fmt/format.h>

#include "broker_model/client/consumer_timers.hpp"
#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"

namespace kafka {

namespace {

// The correlation id of a response a producer's request gets; nullopt for other messages.
std::optional<int32_t> producer_response_id(const KafkaMessage& m) {
  switch (route(m)) {
    case route_of<ProduceResponse>: return message_as<ProduceResponse>(m).correlation_id;
    case route_of<InitProducerIdResponse>: return message_as<InitProducerIdResponse>(m).correlation_id;
    case route_of<AddPartitionsToTxnResponse>: return message_as<AddPartitionsToTxnResponse>(m).correlation_id;
    case route_of<AddOffsetsToTxnResponse>: return message_as<AddOffsetsToTxnResponse>(m).correlation_id;
    case route_of<EndTxnResponse>: return message_as<EndTxnResponse>(m).correlation_id;
    case route_of<TxnOffsetCommitResponse>: return message_as<TxnOffsetCommitResponse>(m).correlation_id;
    case route_of<MetadataResponse>: return message_as<MetadataResponse>(m).correlation_id;
    case route_of<FindCoordinatorResponse>: return message_as<FindCoordinatorResponse>(m).correlation_id;
    default: return std::nullopt;
  }
}

constexpr uint64_t kOwnTimerMask = (uint64_t{1} << TaskProducers::kSlotShift) - 1;

}  // namespace

std::string task_transactional_id(const std::string& prefix, const TopicPartition& tp) {
  return fmt::format("{}{}-{}", prefix, tp.topic, tp.partition);
}

TaskProducers::TaskProducers(std::string member, ClusterLayout layout, ConfigSet config, FirstOp first_op, Bugs bugs)
    : member_(std::move(member)),
      layout_(std::move(layout)),
      config_(std::move(config)),
      first_op_(std::move(first_op)),
      bugs_(bugs) {}

Producer& TaskProducers::open(sim::Context& ctx, const TopicPartition& tp) {
  SIM_ASSERT(!tasks_.contains(tp), "a task has one producer");
  const int slot = next_slot_;
  next_slot_ = (next_slot_ + 1) % kSlots;
  ConfigSet config = config_;
  config.put("transactional.id", task_transactional_id(config_.string("transactional.id"), tp));
  // ClientUtils.getTaskProducerClientId: the thread's client id, the task, "-producer".
  const std::string client_id = fmt::format("{}-{}-{}-producer", member_, tp.topic, tp.partition);
  const ProducerHost host{
      .timer_base = sim::timer_tag(ConsumerTimer::task_producer, static_cast<uint64_t>(slot) << kSlotShift),
      .first_correlation_id = kTaskProducerCorrelationIds + slot * kSlotIds,
      .last_correlation_id = kTaskProducerCorrelationIds + (slot + 1) * kSlotIds,
      .own_rng = true};
  auto producer = std::make_unique<Producer>(client_id, layout_, config, first_op_ ? first_op_(client_id) : 0, bugs_, host);
  Producer& p = *producer;
  tasks_.emplace(tp, Task{slot, std::move(producer)});
  p.on_start(ctx);
  return p;
}

void TaskProducers::close(const TopicPartition& tp) { tasks_.erase(tp); }

Producer* TaskProducers::find(const TopicPartition& tp) {
  auto it = tasks_.find(tp);
  return it == tasks_.end() ? nullptr : it->second.producer.get();
}

std::vector<TopicPartition> TaskProducers::tasks() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, t] : tasks_) out.push_back(tp);
  return out;
}

bool TaskProducers::ready(const std::vector<TopicPartition>& assigned) const {
  for (const TopicPartition& tp : assigned) {
    auto it = tasks_.find(tp);
    if (it == tasks_.end()) return false;
    const TxnState s = it->second.producer->transaction_manager().state();
    if (s == TxnState::UNINITIALIZED || s == TxnState::INITIALIZING) return false;
  }
  return true;
}

const Producer* TaskProducers::fatal() const {
  for (const auto& [tp, t] : tasks_) {
    if (t.producer->transaction_manager().has_fatal_error()) return t.producer.get();
  }
  return nullptr;
}

TaskProducers::Task* TaskProducers::by_slot(int slot) {
  for (auto& [tp, t] : tasks_) {
    if (t.slot == slot) return &t;
  }
  return nullptr;
}

bool TaskProducers::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const std::optional<int32_t> id = producer_response_id(kafka_message(msg));
  if (!id || *id <= kTaskProducerCorrelationIds) return false;
  const int slot = (*id - kTaskProducerCorrelationIds - 1) / kSlotIds;
  if (Task* t = by_slot(slot)) t->producer->on_message(ctx, from, msg);
  return true;  // a closed producer's response is dropped
}

void TaskProducers::on_timer(sim::Context& ctx, uint64_t id) {
  if (Task* t = by_slot(static_cast<int>(id >> kSlotShift))) t->producer->on_timer(ctx, id & kOwnTimerMask);
}

void TaskProducers::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  for (auto& [tp, t] : tasks_) t.producer->on_disconnect(ctx, peer);
}

}  // namespace kafka
