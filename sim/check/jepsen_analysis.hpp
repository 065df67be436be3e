#pragma once
// The analysis every one of Jepsen's checks shares (jepsen.hpp says what it holds), over a
// numbered history (history_ids.hpp): vectors indexed by value, key, completion and process.
// The checks themselves are in jepsen.cpp; the cycle search in jepsen_cycles.cpp.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/check/history_ids.hpp"
#include "sim/check/jepsen.hpp"

namespace check::jepsen {

using Anomalies = std::vector<Anomaly>;
using Values = std::vector<ValueId>;

// One key's version order: the offsets that hold something, densely indexed (holes such as
// transaction markers and unseen records vanish), and the values at each.
struct KeyOrder {
  std::vector<int64_t> offset_of;  // index -> Kafka offset
  std::vector<int32_t> begin;      // index -> its values: [begin[i], begin[i + 1]) of `values`
  std::vector<ValueId> values;     // each index's values in text order

  int64_t size() const { return static_cast<int64_t>(offset_of.size()); }
  std::span<const ValueId> at_index(int64_t i) const {
    const auto b = static_cast<size_t>(begin[static_cast<size_t>(i)]);
    return {values.data() + b, static_cast<size_t>(begin[static_cast<size_t>(i) + 1]) - b};
  }
  // Jepsen's by-index: one value per index (the smallest, where an offset holds several).
  ValueId at(int64_t i) const { return values[static_cast<size_t>(begin[static_cast<size_t>(i)])]; }
};

// Where the next read or send of a key landed relative to the previous one: 1 is perfect.
// Unknown indices count as 1 (Jepsen can say nothing about them).
struct Step {
  int64_t delta = 1;
  int64_t from = -1;
  int64_t to = -1;
};

struct Analysis {
  explicit Analysis(const History& h);

  HistoryIds ids;
  std::vector<int32_t> writer;          // value -> the last completion that sent it, or kNone
  std::vector<char> ok_read;            // value -> some ok completion read it
  std::vector<int32_t> readers_begin;   // value -> [readers_begin[v], readers_begin[v + 1]) of `readers`
  std::vector<int32_t> readers;         // the completions that read each value, in history order
  std::vector<char> committed;          // completion -> must have committed: ok, or info with a sent value some ok op read
  std::vector<KeyOrder> orders;         // key -> version order
  std::vector<int32_t> first_index;     // value -> index of its first appearance in its key's order, or kNone
  std::vector<int32_t> last_index;      // value -> index of its last appearance, or kNone
  std::vector<int32_t> process_begin;   // process -> [process_begin[p], process_begin[p + 1]) of `by_process`
  std::vector<int32_t> by_process;      // completions per process in invocation order

  const Op& op(int32_t c) const { return ids.op(c); }
  std::span<const int32_t> readers_of(ValueId v) const { return range(readers, readers_begin, v); }
  std::span<const int32_t> process_ops(int32_t p) const { return range(by_process, process_begin, p); }
  const KeyOrder& order_of(ValueId v) const { return orders[static_cast<size_t>(ids.value_key[static_cast<size_t>(v)])]; }

  Step step(ValueId v1, ValueId v2) const {
    const int32_t i1 = last_index[static_cast<size_t>(v1)], i2 = last_index[static_cast<size_t>(v2)];
    if (i1 == kNone || i2 == kNone) return {};
    return {i2 - i1, i1, i2};
  }
  // The values strictly between the two indices of a step of v's key: what a skip jumped over.
  Values skipped(ValueId v, const Step& s) const;

 private:
  static std::span<const int32_t> range(const std::vector<int32_t>& items, const std::vector<int32_t>& begin, int32_t i) {
    const auto b = static_cast<size_t>(begin[static_cast<size_t>(i)]);
    return {items.data() + b, static_cast<size_t>(begin[static_cast<size_t>(i) + 1]) - b};
  }
  void find_writers_and_readers();
  void order_processes();
  void order_versions();
};

// Helpers for putting anomalies into words.
Anomaly anomaly(std::string_view key, std::string detail, std::vector<int64_t> ops, std::string_view value = {});
std::string join(const HistoryIds& ids, std::span<const ValueId> vs, size_t limit = 16);
std::string name(const Op& op);

// G0, G1c and their -realtime variants (jepsen_cycles.cpp).
void cycles(const Analysis& a, bool ww_deps, Anomalies& g0, Anomalies& g1c, Anomalies& g0_realtime, Anomalies& g1c_realtime);

}  // namespace check::jepsen
