#pragma once
// A history numbered once for Jepsen's checks (jepsen.cpp): keys, processes and values get dense
// integer ids, and each completion's sends and reads become runs of value ids grouped by key, so
// the checks index vectors instead of looking strings up in maps (a million-operation history
// has about a million values; hashing and comparing their text over and over was most of the
// checker's time).
//
// Key and process ids follow the order of their names: visiting ids in order visits names in the
// order a std::map of them would. Value ids number (key, value) pairs (the same text under two
// keys is two values) in order of first appearance; where the order of values matters, the
// checks compare their text.
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/check/history.hpp"

namespace check {

using KeyId = int32_t;
using ValueId = int32_t;
inline constexpr int32_t kNone = -1;

// One send or read: the value, and the offset where it is known (reads always know it).
struct MicroOp {
  int64_t offset = 0;
  ValueId value = kNone;
  bool has_offset = false;
};

// A completion's sends or reads of one key, in the operation's order: [begin, end) of
// HistoryIds::micro.
struct KeyRun {
  KeyId key = kNone;
  int32_t begin = 0;
  int32_t end = 0;
};

struct HistoryIds {
  explicit HistoryIds(const History& h);

  // Completions (ok, fail, info) in history order; `c` below is a position in this list.
  std::vector<const Op*> completions;
  std::vector<int64_t> invoked;   // c -> history index of its invocation (its own when there is none)
  std::vector<int32_t> process;   // c -> process id

  std::vector<std::string_view> key_names;      // key id -> name
  std::vector<std::string_view> process_names;  // process id -> name
  std::vector<std::string_view> value_text;     // value id -> text
  std::vector<KeyId> value_key;                 // value id -> its key

  std::vector<MicroOp> micro;
  std::vector<KeyRun> runs;
  std::vector<int32_t> writes_begin;  // c -> its send runs: [writes_begin[c], reads_begin[c]) of `runs`
  std::vector<int32_t> reads_begin;   // c -> its read runs: [reads_begin[c], writes_begin[c + 1])

  const Op& op(int32_t c) const { return *completions[static_cast<size_t>(c)]; }
  // c's sends per key, in key order; each run in the order sent.
  std::span<const KeyRun> writes(int32_t c) const { return span(writes_begin[idx(c)], reads_begin[idx(c)]); }
  // c's reads per key, in key order; keys polled without records are left out.
  std::span<const KeyRun> reads(int32_t c) const { return span(reads_begin[idx(c)], writes_begin[idx(c) + 1]); }
  std::span<const MicroOp> values(const KeyRun& r) const {
    return {micro.data() + r.begin, static_cast<size_t>(r.end - r.begin)};
  }
  std::string_view text(ValueId v) const { return value_text[idx(v)]; }
  std::string_view key_name(KeyId k) const { return key_names[idx(k)]; }
  // The id of a key named elsewhere (assign, rebalance logs); kNone when no send or read names it.
  KeyId key_id(std::string_view name) const;

 private:
  static size_t idx(int32_t i) { return static_cast<size_t>(i); }
  std::span<const KeyRun> span(int32_t from, int32_t to) const { return {runs.data() + from, static_cast<size_t>(to - from)}; }
  void number(const History& h);
  void pair_invocations(const History& h);
  void order_names();
  void group_sends();

  std::unordered_map<std::string_view, KeyId> key_ids_;
};

}  // namespace check
