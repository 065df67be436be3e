#pragma once
// The consumer node's timers. A timer's tag carries its kind in the top 16 bits and, for a
// timer that needs one, an id in the low 48: one scheme for every part of the node, so the
// node can hand each timer to the part that set it.
#include <cstdint>

#include "sim/assert.hpp"

namespace kafka {

enum class ConsumerTimer : uint16_t {
  heartbeat = 1,           // the heartbeat thread's tick: heartbeats and the max.poll.interval.ms check
  poll_tick = 2,           // poll(timeout) returns at its timeout; the first poll at start
  process = 3,             // the application finished processing one record
  coordinator_retry = 5,   // FindCoordinator again after retry.backoff.ms
  metadata_refresh = 6,    // metadata.max.age.ms
  commit_retry = 8,        // commitSync retries a retriable error after retry.backoff.ms
  shutdown_deadline = 9,   // close() gives up waiting and exits
  metadata_retry = 11,     // a subscribed topic is still missing from metadata
  lag_report = 12,         // consumer.lag, every second
};

inline constexpr int kTimerIdBits = 48;
inline constexpr uint64_t kTimerIdMask = (uint64_t{1} << kTimerIdBits) - 1;

inline uint64_t timer_tag(ConsumerTimer kind, uint64_t id = 0) {
  SIM_ASSERT(id <= kTimerIdMask, "a consumer timer id must fit in 48 bits");
  return (uint64_t{static_cast<uint16_t>(kind)} << kTimerIdBits) | id;
}
inline ConsumerTimer timer_kind(uint64_t tag) { return static_cast<ConsumerTimer>(tag >> kTimerIdBits); }
inline uint64_t timer_id(uint64_t tag) { return tag & kTimerIdMask; }

}  // namespace kafka
