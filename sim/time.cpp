#include "sim/time.hpp"

#include "sim/hash.hpp"

#include <fmt/format.h>

namespace sim {

std::optional<Duration> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return std::nullopt;

  // Integer and fraction parts are kept as integers so "1.5s" is exact.
  size_t i = 0;
  int64_t whole = 0;
  bool any_digit = false;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (whole > std::numeric_limits<int64_t>::max() / 10 - 10) return std::nullopt;
    whole = whole * 10 + (text[i] - '0');
    ++i;
    any_digit = true;
  }
  int64_t frac = 0;
  int64_t frac_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (frac_scale < 1'000'000'000) {
        frac = frac * 10 + (text[i] - '0');
        frac_scale *= 10;
      }
      ++i;
      any_digit = true;
    }
  }
  if (!any_digit) return std::nullopt;

  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  int64_t scale = 0;
  if (unit.empty() || unit == "ms") scale = 1'000'000;
  else if (unit == "ns") scale = 1;
  else if (unit == "us" || unit == "µs") scale = 1'000;
  else if (unit == "s") scale = 1'000'000'000;
  else if (unit == "m" || unit == "min") scale = 60LL * 1'000'000'000;
  else if (unit == "h") scale = 3600LL * 1'000'000'000;
  else return std::nullopt;

  // frac/frac_scale of a unit, rounded to the nearest nanosecond; the total must fit.
  const i128 frac_ns = (static_cast<i128>(frac) * scale + frac_scale / 2) / frac_scale;
  const i128 total = static_cast<i128>(whole) * scale + frac_ns;
  if (total > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return Duration{static_cast<int64_t>(total)};
}

std::string format_duration(Duration d) {
  const int64_t ns = d.ns;
  const int64_t mag = ns < 0 ? -ns : ns;
  auto trimmed = [](double v, const char* unit) {
    std::string s = fmt::format("{:.3f}", v);
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s + unit;
  };
  if (mag >= 1'000'000'000) return trimmed(static_cast<double>(ns) / 1e9, "s");
  if (mag >= 1'000'000) return trimmed(static_cast<double>(ns) / 1e6, "ms");
  if (mag >= 1'000) return trimmed(static_cast<double>(ns) / 1e3, "us");
  return fmt::format("{}ns", ns);
}

}  // namespace sim
