#include "broker_model/client/consumer_trace.hpp"

#include <fmt/format.h>

namespace kafka {

std::string partitions_text(const std::vector<TopicPartition>& partitions) {
  std::string s;
  for (const auto& tp : partitions) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}

void ConsumerTrace::event(sim::Context& ctx, const char* kind, const std::string& detail) const {
  ctx.trace(kind, {{"member", sim::Value(member_)},
                   {"group", sim::Value(group_id_)},
                   {"member_id", sim::Value(generation_.member_id)},
                   {"generation", sim::Value(generation_.generation_id)},
                   {"detail", sim::Value(detail)}});
}

void ConsumerTrace::partitions(sim::Context& ctx, const char* kind, const std::vector<TopicPartition>& partitions,
                               const char* why) const {
  ctx.trace(kind, {{"member", sim::Value(member_)},
                   {"group", sim::Value(group_id_)},
                   {"generation", sim::Value(generation_.generation_id)},
                   {"partitions", sim::Value(partitions_text(partitions))},
                   {"detail", sim::Value(fmt::format("{} ({})", partitions_text(partitions), why))}});
}

void ConsumerTrace::position(sim::Context& ctx, const char* kind, const TopicPartition& tp, int64_t offset,
                             const std::string& detail) const {
  ctx.trace(kind, {{"member", sim::Value(member_)},
                   {"group", sim::Value(group_id_)},
                   {"topic", sim::Value(tp.topic)},
                   {"partition", sim::Value(tp.partition)},
                   {"offset", sim::Value(offset)},
                   {"detail", sim::Value(detail)}});
}

}  // namespace kafka
