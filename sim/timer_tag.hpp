#pragma once
// A node's timer tags, one scheme for every node: the kind of timer (the node's own enum) in
// the top 16 bits, and which one of that kind (a request id, a peer) in the other 48.
#include <cstdint>
#include <type_traits>

#include "sim/assert.hpp"

namespace sim {

constexpr uint64_t kTimerIdBits = 48;
constexpr uint64_t kTimerIdMask = (uint64_t{1} << kTimerIdBits) - 1;

template <typename Kind>
  requires std::is_enum_v<Kind>
constexpr uint64_t timer_tag(Kind kind, uint64_t id = 0) {
  SIM_ASSERT(id <= kTimerIdMask, "a timer's id fits in 48 bits");
  return (static_cast<uint64_t>(kind) << kTimerIdBits) | id;
}

template <typename Kind>
  requires std::is_enum_v<Kind>
constexpr Kind timer_kind(uint64_t tag) {
  return static_cast<Kind>(tag >> kTimerIdBits);
}

constexpr uint64_t timer_id(uint64_t tag) { return tag & kTimerIdMask; }

}  // namespace sim
