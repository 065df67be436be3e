#include "sim/check/history_ids.hpp"

#include <algorithm>
#include <functional>
#include <utility>

namespace check {
namespace {

// (key, text) -> value id: open addressing over ids, the text read from the ids' own tables.
// One lookup per send and per record read is the only hashing of values the checks do.
class ValueTable {
 public:
  ValueTable(std::vector<std::string_view>& text, std::vector<KeyId>& key, size_t expected)
      : text_(text), key_(key) {
    size_t n = 16;
    while (n < expected * 2) n *= 2;
    slots_.assign(n, kNone);
  }

  ValueId intern(KeyId key, std::string_view text) {
    const uint64_t h = hash(key, text);
    for (size_t i = h & mask();; i = (i + 1) & mask()) {
      const ValueId v = slots_[i];
      if (v == kNone) return add(i, h, key, text);
      if (hashes_[static_cast<size_t>(v)] == h && key_[static_cast<size_t>(v)] == key && text_[static_cast<size_t>(v)] == text)
        return v;
    }
  }

 private:
  static uint64_t hash(KeyId key, std::string_view text) {
    return std::hash<std::string_view>{}(text) ^ (static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ULL);
  }
  size_t mask() const { return slots_.size() - 1; }

  ValueId add(size_t slot, uint64_t h, KeyId key, std::string_view text) {
    const auto v = static_cast<ValueId>(text_.size());
    text_.push_back(text);
    key_.push_back(key);
    hashes_.push_back(h);
    slots_[slot] = v;
    if (text_.size() * 2 > slots_.size()) grow();
    return v;
  }

  void grow() {
    slots_.assign(slots_.size() * 2, kNone);
    for (size_t v = 0; v < hashes_.size(); ++v) {
      size_t i = hashes_[v] & mask();
      while (slots_[i] != kNone) i = (i + 1) & mask();
      slots_[i] = static_cast<ValueId>(v);
    }
  }

  std::vector<std::string_view>& text_;
  std::vector<KeyId>& key_;
  std::vector<uint64_t> hashes_;
  std::vector<ValueId> slots_;
};

// Ids in order of first appearance for names; renumbered by name once all are known.
template <typename Id>
Id intern_name(std::unordered_map<std::string_view, Id>& ids, std::vector<std::string_view>& names, std::string_view name) {
  auto [it, added] = ids.try_emplace(name, static_cast<Id>(names.size()));
  if (added) names.push_back(name);
  return it->second;
}

// Sorts `names` and returns old id -> new id.
std::vector<int32_t> sort_names(std::vector<std::string_view>& names) {
  std::vector<int32_t> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) { return names[static_cast<size_t>(x)] < names[static_cast<size_t>(y)]; });
  std::vector<int32_t> rank(names.size());
  std::vector<std::string_view> sorted(names.size());
  for (size_t r = 0; r < order.size(); ++r) {
    rank[static_cast<size_t>(order[r])] = static_cast<int32_t>(r);
    sorted[r] = names[static_cast<size_t>(order[r])];
  }
  names = std::move(sorted);
  return rank;
}

}  // namespace

HistoryIds::HistoryIds(const History& h) {
  pair_invocations(h);
  number(h);
  order_names();
  group_sends();
}

KeyId HistoryIds::key_id(std::string_view name) const {
  auto it = key_ids_.find(name);
  return it == key_ids_.end() ? kNone : it->second;
}

// Operations pair by id; a completion whose id was invoked more than once pairs with the first.
void HistoryIds::pair_invocations(const History& h) {
  std::vector<std::pair<int64_t, int64_t>> invocations;  // (op id, history index)
  for (const Op& op : h.ops) {
    if (op.type == OpType::invoke) invocations.emplace_back(op.id, op.index);
    else completions.push_back(&op);
  }
  std::sort(invocations.begin(), invocations.end());
  invoked.reserve(completions.size());
  for (const Op* op : completions) {
    auto it = std::lower_bound(invocations.begin(), invocations.end(), std::make_pair(op->id, INT64_MIN));
    invoked.push_back(it != invocations.end() && it->first == op->id ? it->second : op->index);
  }
}

// One pass over the completions: names and values to ids, sends and reads to runs. A send is a
// run of its own here; order_names() groups them by key once keys are in name order.
void HistoryIds::number(const History& h) {
  std::unordered_map<std::string_view, int32_t> process_ids;
  ValueTable values(value_text, value_key, h.ops.size());
  process.reserve(completions.size());
  writes_begin.reserve(completions.size() + 1);
  reads_begin.reserve(completions.size());
  for (const Op* op : completions) {
    process.push_back(intern_name(process_ids, process_names, op->process));
    writes_begin.push_back(static_cast<int32_t>(runs.size()));
    for (const Send& s : op->sends) {
      const KeyId k = intern_name(key_ids_, key_names, s.key);
      const auto at = static_cast<int32_t>(micro.size());
      micro.push_back({s.offset.value_or(0), values.intern(k, s.value), s.offset.has_value()});
      runs.push_back({k, at, at + 1});
    }
    reads_begin.push_back(static_cast<int32_t>(runs.size()));
    for (const auto& [key, reads] : op->polls) {  // in key order already
      if (reads.empty()) continue;
      const KeyId k = intern_name(key_ids_, key_names, key);
      const auto at = static_cast<int32_t>(micro.size());
      for (const Read& r : reads) micro.push_back({r.offset, values.intern(k, r.value), true});
      runs.push_back({k, at, static_cast<int32_t>(micro.size())});
    }
  }
  writes_begin.push_back(static_cast<int32_t>(runs.size()));
}

// Renumbers keys and processes in name order.
void HistoryIds::order_names() {
  const std::vector<int32_t> key_rank = sort_names(key_names);
  for (auto& [name, k] : key_ids_) k = key_rank[static_cast<size_t>(k)];
  for (KeyId& k : value_key) k = key_rank[static_cast<size_t>(k)];
  for (KeyRun& r : runs) r.key = key_rank[static_cast<size_t>(r.key)];
  const std::vector<int32_t> process_rank = sort_names(process_names);
  for (int32_t& p : process) p = process_rank[static_cast<size_t>(p)];
}

// Each completion's sends, one run per send so far, become one run per key in key order, each
// key's in the order sent (as a std::map of key -> sends would hold them).
void HistoryIds::group_sends() {
  std::vector<KeyRun> grouped;
  grouped.reserve(runs.size());
  std::vector<std::pair<KeyId, MicroOp>> sends;
  for (size_t c = 0; c < completions.size(); ++c) {
    const auto first = runs.begin() + writes_begin[c];
    const auto reads = runs.begin() + reads_begin[c];
    const auto last = runs.begin() + writes_begin[c + 1];
    writes_begin[c] = static_cast<int32_t>(grouped.size());
    if (reads - first > 1) {
      sends.clear();
      for (auto r = first; r != reads; ++r) sends.emplace_back(r->key, micro[static_cast<size_t>(r->begin)]);
      std::stable_sort(sends.begin(), sends.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
      int32_t at = first->begin;  // the sends' micro-ops are contiguous, from the first send's
      for (const auto& [k, m] : sends) {
        micro[static_cast<size_t>(at)] = m;
        if (static_cast<int32_t>(grouped.size()) > writes_begin[c] && grouped.back().key == k) grouped.back().end = at + 1;
        else grouped.push_back({k, at, at + 1});
        ++at;
      }
    } else {
      grouped.insert(grouped.end(), first, reads);
    }
    reads_begin[c] = static_cast<int32_t>(grouped.size());
    grouped.insert(grouped.end(), reads, last);
  }
  writes_begin.back() = static_cast<int32_t>(grouped.size());
  runs = std::move(grouped);
}

}  // namespace check
