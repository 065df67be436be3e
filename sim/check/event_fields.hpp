#pragma once
// The checker's key for a topic-partition, and for a record in one. (The checker reads events' fields through the
// trace's schema: schema::read<E>, in broker_model/trace_schema.hpp.)
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace check {

// "orders" partition 3 -> "orders-3".
inline std::string partition_key(std::string_view topic, int64_t partition) {
  return std::string(topic) + "-" + std::to_string(partition);
}

// "orders-3" -> "orders" (a key without a partition number is its own topic).
inline std::string topic_of(const std::string& partition) {
  const size_t dash = partition.rfind('-');
  return dash == std::string::npos ? partition : partition.substr(0, dash);
}

using RecordId = std::pair<std::string, int64_t>;  // (topic-partition, offset)

}  // namespace check
