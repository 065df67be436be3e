#pragma once
// Reading a trace event's fields by key, for the sinks that turn a trace into check inputs.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/trace.hpp"

namespace check {

class EventFields {
 public:
  explicit EventFields(const sim::Event& e) : e_(e) {}
  std::string_view text(std::string_view key) const {
    for (const auto& f : e_.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::text) return f.value.text();
    return {};
  }
  bool boolean(std::string_view key) const {
    for (const auto& f : e_.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::boolean) return f.value.boolean();
    return false;
  }
  int64_t integer(std::string_view key, int64_t fallback = -1) const {
    for (const auto& f : e_.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::integer) return f.value.integer();
    return fallback;
  }

 private:
  const sim::Event& e_;
};

// "orders" partition 3 -> "orders-3": the checker's key for a topic-partition.
inline std::string partition_key(std::string_view topic, int64_t partition) {
  return std::string(topic) + "-" + std::to_string(partition);
}

}  // namespace check
