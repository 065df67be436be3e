#pragma once
// The consumer's trace events that name the member: who it is (its process name and group)
// and, as the coordinator last told it, its member id and generation. Every part of the
// consumer emits through one ConsumerTrace so the fields stay the same wherever an event
// comes from (the checker reads them: sim/check/history_sink.hpp). The kind is a type of
// broker_model/trace_events.def that declares these fields: emit<event::ConsumerStart>(...).
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker_model/protocol/topic_partition.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/node.hpp"

namespace kafka {

// AbstractCoordinator.Generation: what the last JoinGroup gave this member. NO_GENERATION is
// generation -1 with no member id.
struct Generation {
  int32_t generation_id = -1;
  std::string member_id;
  std::string protocol_name;
};

// "t-0,t-1": partitions as a list field.
std::string partitions_text(const std::vector<TopicPartition>& partitions);

class ConsumerTrace {
 public:
  ConsumerTrace(std::string member, std::string group_id, const Generation& generation)
      : member_(std::move(member)), group_id_(std::move(group_id)), generation_(generation) {}

  const std::string& member() const { return member_; }
  const std::string& group_id() const { return group_id_; }

  // member, group, member_id, generation, detail.
  template <typename E>
  void emit(sim::Context& ctx, const std::string& detail) const {
    ctx.trace(E{.member = member_,
                .group = group_id_,
                .member_id = generation_.member_id,
                .generation = generation_.generation_id,
                .detail = detail});
  }
  // Partitions revoked or lost, as a list field (the history's rebalance log reads it).
  template <typename E>
  void partitions(sim::Context& ctx, const std::vector<TopicPartition>& partitions, const char* why) const {
    const std::string list = partitions_text(partitions);
    ctx.trace(E{.member = member_,
                .group = group_id_,
                .generation = generation_.generation_id,
                .partitions = list,
                .detail = fmt::format("{} ({})", list, why)});
  }
  // A position set by something other than processing (the committed offset, a reset, a seek),
  // with the offset as a field: the checker excuses the records a reset or seek jumped over
  // (sim/check/commits.hpp) and tells where a member resumed (sim/check/explain.hpp).
  template <typename E>
  void position(sim::Context& ctx, const TopicPartition& tp, int64_t offset, const std::string& detail) const {
    ctx.trace(E{.member = member_, .group = group_id_, .topic = tp.topic, .partition = tp.partition, .offset = offset, .detail = detail});
  }

 private:
  std::string member_;
  std::string group_id_;
  const Generation& generation_;
};

}  // namespace kafka
