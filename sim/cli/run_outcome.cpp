#include "sim/cli/run_outcome.hpp"

#include <charconv>
#include <iostream>

#include <fmt/format.h>

#include "sim/escape.hpp"

namespace sim::cli {

std::optional<uint64_t> parse_seed(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<std::pair<uint64_t, uint64_t>> parse_seed_range(const std::string& text) {
  const size_t dots = text.find("..");
  if (dots == std::string::npos) {
    auto n = parse_seed(text);
    if (!n) return std::nullopt;
    return std::make_pair(*n, *n);
  }
  auto a = parse_seed(text.substr(0, dots)), b = parse_seed(text.substr(dots + 2));
  if (!a || !b || *a > *b) return std::nullopt;
  return std::make_pair(*a, *b);
}

int usage_error(const std::string& msg) {
  std::cerr << "kafkasim: " << msg << "\n";
  return lua::kExitUsage;
}

std::string parse_sets(const std::vector<std::string>& sets, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& kv : sets) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return fmt::format("--set {}: write it as name=value", kv);
    out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return {};
}

std::string check_run_limits(double timeout, unsigned jobs) {
  if (!(timeout >= 0)) return "--timeout: a number of seconds (0: no limit)";
  if (jobs > kMaxJobs) return fmt::format("-j {}: at most {} processes at once", jobs, kMaxJobs);
  return {};
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return terminal_text(s);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string first_failure(const lua::RunResult& r) {
  if (!r.error.empty()) return r.error;
  for (const auto& c : r.checks)
    if (!c.held && c.judged) return fmt::format("{}: {}", c.name, c.detail);
  if (r.exit_code != 0) return fmt::format("exit code {}", r.exit_code);
  return {};
}

std::string not_judged(const lua::RunResult& r) {
  std::string out;
  for (const auto& c : r.checks)
    if (!c.judged) out += fmt::format("{}{}: {}", out.empty() ? "" : "\n", c.name, c.detail);
  return out;
}

std::vector<std::string> anomaly_kinds(const lua::RunResult& r) {
  std::vector<std::string> out;
  if (!r.anomalies) return out;
  for (const auto& [name, list] : r.anomalies->anomalies)
    if (!list.empty()) out.push_back(name);  // the map keeps them sorted
  return out;
}

}  // namespace sim::cli
