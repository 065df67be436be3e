#include "reports/check_result.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace report {

namespace {

std::string text(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const nlohmann::json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string apply_checks(const nlohmann::json& checks, Model& m) {
  if (!checks.is_array()) return "\"checks\" is not an array";
  m.checks.clear();
  for (const auto& c : checks) {
    if (!c.is_object()) return "a check is not an object";
    m.checks.push_back({text(c, "name"), flag(c, "held", false), flag(c, "judged", true), text(c, "detail"), text(c, "explanation")});
  }
  return {};
}

// Every kind's anomalies, the first `limits.anomalies_per_kind` of each in full.
std::string apply_anomalies(const nlohmann::json& found, const Limits& limits, Model& m) {
  if (!found.is_object()) return "\"anomalies\" is not an object";
  std::vector<std::string> allowed;
  if (auto a = found.find("allowed"); a != found.end() && a->is_array())
    for (const auto& name : *a)
      if (name.is_string()) allowed.push_back(name.get<std::string>());
  auto lists = found.find("anomalies");
  if (lists == found.end()) return {};
  if (!lists->is_object()) return "\"anomalies.anomalies\" is not an object";
  for (const auto& [kind, list] : lists->items()) {
    if (!list.is_array()) return fmt::format("anomalies of '{}' are not an array", kind);
    const bool is_allowed = std::find(allowed.begin(), allowed.end(), kind) != allowed.end();
    if (!list.empty()) m.counts.push_back({fmt::format("anomaly: {}", kind), static_cast<int64_t>(list.size())});
    size_t kept = 0;
    for (const auto& a : list) {
      if (!a.is_object()) return fmt::format("an anomaly of '{}' is not an object", kind);
      if (kept == limits.anomalies_per_kind) break;
      m.anomalies.push_back({kind, text(a, "key"), text(a, "detail"), text(a, "explanation"), is_allowed});
      ++kept;
    }
    if (kept < list.size()) m.summarised.push_back(fmt::format("anomalies {}: the first {} of {} are shown", kind, kept, list.size()));
  }
  return {};
}

}  // namespace

std::string apply_check_result(const nlohmann::json& r, const Limits& limits, Model& m) {
  if (!r.is_object()) return "the check result is not a JSON object";
  m.has_check_result = true;
  m.description = text(r, "description");
  m.replay = text(r, "replay");
  m.trace_hash = text(r, "trace_hash");
  if (auto code = r.find("exit_code"); code != r.end() && code->is_number_integer()) {
    const int64_t c = code->get<int64_t>();
    m.result = c == 0 ? "ok" : c == 1 ? "VIOLATED" : "error";
  }
  if (auto checks = r.find("checks"); checks != r.end())
    if (std::string e = apply_checks(*checks, m); !e.empty()) return e;
  if (auto found = r.find("anomalies"); found != r.end())
    if (std::string e = apply_anomalies(*found, limits, m); !e.empty()) return e;
  return {};
}

}  // namespace report
