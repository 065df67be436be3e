#pragma once
// Virtual time. Durations and instants are distinct strong types over signed 64-bit
// nanoseconds, so a timestamp cannot be passed where a delay is expected.
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace sim {

struct Duration {
  int64_t ns = 0;

  static constexpr Duration nanos(int64_t v) { return {v}; }
  // These saturate: a configured Long.MAX_VALUE milliseconds (Kafka's "never") is the longest
  // duration, not an overflow.
  static constexpr Duration micros(int64_t v) { return scaled(v, 1'000); }
  static constexpr Duration millis(int64_t v) { return scaled(v, 1'000'000); }
  static constexpr Duration seconds(int64_t v) { return scaled(v, 1'000'000'000); }
  static constexpr Duration max() { return {std::numeric_limits<int64_t>::max()}; }
  static constexpr Duration min() { return {std::numeric_limits<int64_t>::min()}; }
  static constexpr Duration scaled(int64_t v, int64_t unit) {
    if (v > std::numeric_limits<int64_t>::max() / unit) return max();
    if (v < std::numeric_limits<int64_t>::min() / unit) return min();
    return {v * unit};
  }

  constexpr double as_millis() const { return static_cast<double>(ns) / 1e6; }
  constexpr double as_seconds() const { return static_cast<double>(ns) / 1e9; }

  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return {ns * k}; }
  constexpr Duration operator/(int64_t k) const { return {ns / k}; }
  constexpr Duration& operator+=(Duration o) { ns += o.ns; return *this; }
};

struct Time {
  int64_t ns = 0;

  static constexpr Time zero() { return {0}; }
  static constexpr Time max() { return {std::numeric_limits<int64_t>::max()}; }

  constexpr double as_millis() const { return static_cast<double>(ns) / 1e6; }
  constexpr double as_seconds() const { return static_cast<double>(ns) / 1e9; }

  constexpr auto operator<=>(const Time&) const = default;
  // Saturates, so "now + a very long timeout" never wraps into the past.
  constexpr Time operator+(Duration d) const {
    if (d.ns > 0 && ns > std::numeric_limits<int64_t>::max() - d.ns) return max();
    return {ns + d.ns};
  }
  constexpr Time operator-(Duration d) const { return {ns - d.ns}; }
  constexpr Duration operator-(Time o) const { return {ns - o.ns}; }
  constexpr Time& operator+=(Duration d) { *this = *this + d; return *this; }
};

// Parses "250us", "5ms", "2s", "1.5s", "1m", "1h", "100ns". A bare number is milliseconds.
// Returns nothing for malformed text; the caller words the error.
std::optional<Duration> parse_duration(std::string_view text);

// "1.234s", "250ms", "12us": the shortest exact-ish human form, for messages and summaries.
std::string format_duration(Duration d);
inline std::string format_time(Time t) { return format_duration(Duration{t.ns}); }

}  // namespace sim
