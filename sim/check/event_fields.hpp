#pragma once
// The checker's key for a topic-partition. (The checker reads events' fields through the
// trace's schema: schema::read<E>, in broker_model/trace_schema.hpp.)
#include <cstdint>
#include <string>
#include <string_view>

namespace check {

// "orders" partition 3 -> "orders-3".
inline std::string partition_key(std::string_view topic, int64_t partition) {
  return std::string(topic) + "-" + std::to_string(partition);
}

}  // namespace check
