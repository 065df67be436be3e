#pragma once
// A partition of a topic, as Kafka's org.apache.kafka.common.TopicPartition: the one way the
// model names one. Data only: the trace schema, and through it the checker, use it too.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace kafka {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;

  // Topic, then partition number.
  auto operator<=>(const TopicPartition&) const = default;
  bool operator==(const TopicPartition&) const = default;

  // "orders-3", as TopicPartition.toString.
  std::string to_string() const { return topic + "-" + std::to_string(partition); }
};

// A topic-partition borrowed from elsewhere, to look one up without copying its topic: maps
// keyed by TopicPartition with std::less<> find it in the same order.
struct TopicPartitionView {
  std::string_view topic;
  int32_t partition = 0;
};
inline std::strong_ordering operator<=>(const TopicPartition& a, const TopicPartitionView& b) {
  if (auto c = std::string_view(a.topic) <=> b.topic; c != 0) return c;
  return a.partition <=> b.partition;
}
inline bool operator==(const TopicPartition& a, const TopicPartitionView& b) {
  return a.partition == b.partition && a.topic == b.topic;
}

// "orders-3" for a topic and a partition number (the checker's key for a partition).
inline std::string partition_name(std::string_view topic, int64_t partition) {
  return std::string(topic) + "-" + std::to_string(partition);
}

}  // namespace kafka
