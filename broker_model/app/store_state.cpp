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
  StoreTxnWork work;
  StoreTxnOutcome out = execute(work, ops);
  if (out.error.empty()) commit(work);
  return out;
}

StoreTxnOutcome StoreState::execute(StoreTxnWork& work, const std::vector<StoreOp>& ops) const {
  // The statement runs on a copy, so a refused one leaves the transaction as it was; the
  // transaction sees its own writes (a get after a put reads the put).
  StoreTxnWork next = work;
  auto current = [&](const std::string& key) -> std::optional<std::string> {
    if (auto it = next.staged.find(key); it != next.staged.end()) return it->second;
    return get(key);
  };
  StoreTxnOutcome out;
  auto write = [&](StoreOpKind kind, const std::string& key, std::string value, bool changed) {
    if (changed) next.staged[key] = value;
    out.writes.push_back({kind, key, std::move(value), changed});
  };
  for (const StoreOp& op : ops) {
    StoreResult result;
    const std::optional<std::string> before = current(op.key);
    switch (op.kind) {
      case StoreOpKind::get:
        result.value = before;
        break;
      case StoreOpKind::put:
        write(op.kind, op.key, op.value, before != op.value);
        break;
      case StoreOpKind::insert_if_absent:
        // PostgreSQL's INSERT ... ON CONFLICT DO NOTHING: a present key keeps its value.
        result.inserted = !before.has_value();
        write(op.kind, op.key, before.value_or(op.value), result.inserted);
        break;
      case StoreOpKind::increment: {
        // UPDATE ... SET v = v + n, an absent key counting as 0 (an upsert).
        const std::optional<int64_t> n = before ? parse_counter(*before) : std::optional<int64_t>(0);
        int64_t sum = 0;
        if (!n) {
          out.error = fmt::format("increment of key '{}', whose value is not an integer", op.key);
        } else if (__builtin_add_overflow(*n, op.delta, &sum)) {
          out.error = fmt::format("increment of key '{}' overflows a 64-bit integer", op.key);
        } else {
          result.value = std::to_string(sum);
          write(op.kind, op.key, *result.value, before != result.value);
        }
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
  next.writes.insert(next.writes.end(), out.writes.begin(), out.writes.end());
  work = std::move(next);
  return out;
}

void StoreState::commit(const StoreTxnWork& work) {
  for (const auto& [key, value] : work.staged) data_[key] = value;
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
