#include "broker_model/app/store_state.hpp"

#include <charconv>

#include <fmt/format.h>

namespace kafka {

std::optional<int64_t> parse_counter(const std::string& value) {
  int64_t n = 0;
  const char* end = value.data() + value.size();
  const auto [ptr, ec] = std::from_chars(value.data(), end, n);
  if (ec != std::errc() || ptr != end || value.empty()) return std::nullopt;
  return n;
}

StoreTxnOutcome StoreState::apply(const std::vector<StoreOp>& ops) {
  // Writes go to a copy of the keys they touch first, so a refused transaction leaves nothing:
  // the transaction sees its own writes (a get after a put in one tx reads the put).
  std::map<std::string, std::optional<std::string>> staged;
  auto current = [&](const std::string& key) -> std::optional<std::string> {
    if (auto it = staged.find(key); it != staged.end()) return it->second;
    return get(key);
  };
  StoreTxnOutcome out;
  for (const StoreOp& op : ops) {
    StoreResult result;
    const std::optional<std::string> before = current(op.key);
    switch (op.kind) {
      case StoreOpKind::get:
        result.value = before;
        break;
      case StoreOpKind::put:
        staged[op.key] = op.value;
        out.writes.push_back({op.kind, op.key, op.value, before != op.value});
        break;
      case StoreOpKind::insert_if_absent:
        // PostgreSQL's INSERT ... ON CONFLICT DO NOTHING: a present key keeps its value.
        result.inserted = !before.has_value();
        if (result.inserted) staged[op.key] = op.value;
        out.writes.push_back({op.kind, op.key, before.value_or(op.value), result.inserted});
        break;
      case StoreOpKind::increment: {
        // UPDATE ... SET v = v + n, an absent key counting as 0 (an upsert).
        const std::optional<int64_t> n = before ? parse_counter(*before) : std::optional<int64_t>(0);
        if (!n) {
          out.error = fmt::format("increment of key '{}', whose value is not an integer", op.key);
          break;
        }
        int64_t sum = 0;
        if (__builtin_add_overflow(*n, op.delta, &sum)) {
          out.error = fmt::format("increment of key '{}' overflows a 64-bit integer", op.key);
          break;
        }
        const std::string value = std::to_string(sum);
        result.value = value;
        staged[op.key] = value;
        out.writes.push_back({op.kind, op.key, value, before != value});
        break;
      }
    }
    if (!out.error.empty()) {
      out.results.clear();
      out.writes.clear();
      return out;
    }
    out.results.push_back(std::move(result));
  }
  for (auto& [key, value] : staged) data_[key] = std::move(*value);
  return out;
}

void StoreState::replay(std::span<const sim::DiskEntryPtr> entries) {
  for (const sim::DiskEntryPtr& e : entries)
    for (const auto& [key, value] : static_cast<const StoreTxnEntry&>(*e).changes) data_[key] = value;
}

std::optional<std::string> StoreState::get(const std::string& key) const {
  auto it = data_.find(key);
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kafka
