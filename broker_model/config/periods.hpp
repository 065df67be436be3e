#pragma once
// How Kafka repeats a task whose period is a config value, including the degenerate values
// Kafka accepts (no validator stops a period of 0).
#include <algorithm>
#include <cstdint>
#include <optional>

#include "sim/time.hpp"

namespace kafka {

// A broker task on KafkaScheduler (ISR expiration, the high-watermark checkpoint): with a
// period of 0 or less KafkaScheduler.schedule runs it once and never again (no
// scheduleAtFixedRate), so there is no next run.
inline std::optional<sim::Duration> scheduler_period(int64_t period_ms) {
  if (period_ms <= 0) return std::nullopt;
  return sim::Duration::millis(period_ms);
}

// A client's or a broker's own loop (a heartbeat, a metadata refresh): an interval of 0 repeats
// as often as the loop comes round, which in Kafka's millisecond clocks is at most once per
// millisecond here.
inline sim::Duration loop_interval(int64_t interval_ms) { return sim::Duration::millis(std::max<int64_t>(interval_ms, 1)); }

}  // namespace kafka
