// Jepsen's Kafka anomaly checks (jepsen.tests.kafka): one function per anomaly family, named
// after Jepsen's error keys, over the shared analysis (jepsen_analysis.hpp); the cycles are in
// jepsen_cycles.cpp. Everything visits keys, processes and completions in order, and values in
// the order of their text where it matters, so the output is deterministic.
#include "sim/check/jepsen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "sim/check/jepsen_analysis.hpp"

namespace check {
namespace jepsen {
namespace {

// inconsistent-offsets: one offset of a key holds two or more values.
Anomalies inconsistent_offsets(const Analysis& a) {
  Anomalies out;
  for (KeyId k = 0; k < static_cast<KeyId>(a.orders.size()); ++k) {
    const KeyOrder& o = a.orders[static_cast<size_t>(k)];
    for (int64_t i = 0; i < o.size(); ++i) {
      const auto vs = o.at_index(i);
      if (vs.size() < 2) continue;
      std::vector<int64_t> ops;
      for (ValueId v : vs) {
        if (const int32_t w = a.writer[static_cast<size_t>(v)]; w != kNone) ops.push_back(a.op(w).index);
        for (int32_t r : a.readers_of(v)) ops.push_back(a.op(r).index);
      }
      std::sort(ops.begin(), ops.end());
      ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
      const int64_t offset = o.offset_of[static_cast<size_t>(i)];
      Anomaly found = anomaly(a.ids.key_name(k), fmt::format("offset {} (index {}) holds {} values: {}", offset, i, vs.size(), join(a.ids, vs)),
                              std::move(ops));
      found.offset = offset;
      out.push_back(std::move(found));
    }
  }
  return out;
}

// duplicate: one value at two or more offsets of a key (e.g. a non-idempotent retry).
Anomalies duplicates(const Analysis& a) {
  Anomalies out;
  for (KeyId k = 0; k < static_cast<KeyId>(a.orders.size()); ++k) {
    const KeyOrder& o = a.orders[static_cast<size_t>(k)];
    // (value, offset) for the values whose first and last appearances differ, in offset order,
    // then grouped by value in text order.
    std::vector<std::pair<ValueId, int64_t>> found;
    for (int64_t i = 0; i < o.size(); ++i)
      for (ValueId v : o.at_index(i))
        if (a.first_index[static_cast<size_t>(v)] != a.last_index[static_cast<size_t>(v)])
          found.emplace_back(v, o.offset_of[static_cast<size_t>(i)]);
    std::stable_sort(found.begin(), found.end(), [&](const auto& x, const auto& y) { return a.ids.text(x.first) < a.ids.text(y.first); });
    for (size_t b = 0, e = 0; b < found.size(); b = e) {
      const ValueId v = found[b].first;
      std::string list;
      for (e = b; e < found.size() && found[e].first == v; ++e) list += (list.empty() ? "" : ", ") + std::to_string(found[e].second);
      std::vector<int64_t> ops;
      if (const int32_t w = a.writer[static_cast<size_t>(v)]; w != kNone) ops.push_back(a.op(w).index);
      out.push_back(anomaly(a.ids.key_name(k), fmt::format("value {} appears at {} offsets: {}", a.ids.text(v), e - b, list), ops,
                            a.ids.text(v)));
    }
  }
  return out;
}

// lost-write: per key, the bound is the highest first-appearance index of any value an ok op
// read (the smallest such value where several share it). Every value whose last appearance is
// at or below the bound should have been read by some ok op; one that was not is lost, if its
// writer is ok or provably committed. First and last appearances keep this sound when offsets
// are inconsistent or values duplicated.
Anomalies lost_writes(const Analysis& a) {
  const HistoryIds& ids = a.ids;
  std::vector<int32_t> bound(ids.key_names.size(), -1);
  std::vector<ValueId> bound_value(ids.key_names.size(), kNone);
  for (ValueId v = 0; v < static_cast<ValueId>(ids.value_text.size()); ++v) {
    // Ok reads always carry offsets, so v has an index unless its send failed (no version:
    // reading it is G1a).
    if (!a.ok_read[static_cast<size_t>(v)] || a.first_index[static_cast<size_t>(v)] == kNone) continue;
    const auto k = static_cast<size_t>(ids.value_key[static_cast<size_t>(v)]);
    const int32_t first = a.first_index[static_cast<size_t>(v)];
    if (first > bound[k] || (first == bound[k] && ids.text(v) < ids.text(bound_value[k]))) {
      bound[k] = first;
      bound_value[k] = v;
    }
  }
  Anomalies out;
  for (KeyId k = 0; k < static_cast<KeyId>(bound.size()); ++k) {
    if (bound[static_cast<size_t>(k)] < 0) continue;
    const ValueId at_bound = bound_value[static_cast<size_t>(k)];
    // Evidence: an ok op that read the value at the bound.
    int32_t max_reader = kNone;
    for (int32_t r : a.readers_of(at_bound))
      if (a.op(r).type == OpType::ok) {
        max_reader = r;
        break;
      }
    const KeyOrder& o = a.orders[static_cast<size_t>(k)];
    for (int32_t i = 0; i <= bound[static_cast<size_t>(k)]; ++i)
      for (ValueId v : o.at_index(i)) {
        if (a.last_index[static_cast<size_t>(v)] != i || a.ok_read[static_cast<size_t>(v)]) continue;  // judged at its last appearance
        const int32_t w = a.writer[static_cast<size_t>(v)];
        if (w == kNone || !a.committed[static_cast<size_t>(w)]) continue;
        out.push_back(anomaly(ids.key_name(k),
                              fmt::format("value {} (offset {}, index {}) sent by {} was never read by an "
                                          "ok op, though {} read {} at index {}",
                                          ids.text(v), o.offset_of[static_cast<size_t>(i)], i, name(a.op(w)), name(a.op(max_reader)),
                                          ids.text(at_bound), bound[static_cast<size_t>(k)]),
                              {a.op(w).index, a.op(max_reader).index}, ids.text(v)));
      }
  }
  return out;
}

// unseen: values sent by ok ops that no ok op ever polled (by the end of the history, so loss
// and delay look alike). Defined semantically, one entry per key.
Anomalies unseen(const Analysis& a) {
  std::vector<std::pair<Values, std::vector<int64_t>>> per_key(a.ids.key_names.size());  // values, ops
  for (int32_t c = 0; c < static_cast<int32_t>(a.ids.completions.size()); ++c) {
    if (a.op(c).type != OpType::ok) continue;
    for (const KeyRun& r : a.ids.writes(c))
      for (const MicroOp& m : a.ids.values(r)) {
        if (a.ok_read[static_cast<size_t>(m.value)]) continue;
        auto& [values, ops] = per_key[static_cast<size_t>(r.key)];
        values.push_back(m.value);
        ops.push_back(a.op(c).index);
      }
  }
  Anomalies out;
  for (KeyId k = 0; k < static_cast<KeyId>(per_key.size()); ++k) {
    auto& [values, ops] = per_key[static_cast<size_t>(k)];
    if (values.empty()) continue;
    std::sort(ops.begin(), ops.end());
    ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
    out.push_back(anomaly(a.ids.key_name(k),
                          fmt::format("{} values sent by ok ops were never polled by an ok op: {}", values.size(), join(a.ids, values)),
                          ops, a.ids.text(values.front())));
  }
  return out;
}

// G1a (aborted read): an ok poll saw a value whose send failed.
Anomalies g1a(const Analysis& a) {
  Anomalies out;
  for (int32_t c = 0; c < static_cast<int32_t>(a.ids.completions.size()); ++c) {
    if (a.op(c).type != OpType::ok) continue;
    for (const KeyRun& r : a.ids.reads(c))
      for (const MicroOp& m : a.ids.values(r)) {
        const int32_t w = a.writer[static_cast<size_t>(m.value)];
        if (w == kNone || a.op(w).type != OpType::fail) continue;
        out.push_back(anomaly(a.ids.key_name(r.key), fmt::format("{} read {}, sent by failed {}", name(a.op(c)), a.ids.text(m.value), name(a.op(w))),
                              {a.op(w).index, a.op(c).index}, a.ids.text(m.value)));
      }
  }
  return out;
}

// precommitted-read: an op polled a value it sent itself; a read_committed consumer must not
// see a record before the sending transaction commits.
Anomalies precommitted_reads(const Analysis& a) {
  Anomalies out;
  for (int32_t c = 0; c < static_cast<int32_t>(a.ids.completions.size()); ++c) {
    const auto reads = a.ids.reads(c);
    if (reads.empty()) continue;
    for (const KeyRun& sent : a.ids.writes(c)) {
      auto r = std::find_if(reads.begin(), reads.end(), [&](const KeyRun& x) { return x.key == sent.key; });
      if (r == reads.end()) continue;
      Values read;
      for (const MicroOp& m : a.ids.values(*r)) read.push_back(m.value);
      std::sort(read.begin(), read.end());
      Values both;
      for (const MicroOp& m : a.ids.values(sent))
        if (std::binary_search(read.begin(), read.end(), m.value)) both.push_back(m.value);
      if (!both.empty())
        out.push_back(anomaly(a.ids.key_name(sent.key), fmt::format("{} read values it sent itself: {}", name(a.op(c)), join(a.ids, both)),
                              {a.op(c).index}));
    }
  }
  return out;
}

// One process's last op and value per key, for the per-process checks.
class LastByKey {
 public:
  explicit LastByKey(size_t keys) : at_(keys, {kNone, kNone}) {}

  const std::pair<int32_t, ValueId>* find(KeyId k) const {
    const auto& e = at_[static_cast<size_t>(k)];
    return e.first == kNone ? nullptr : &e;
  }
  void set(KeyId k, int32_t c, ValueId v) {
    if (at_[static_cast<size_t>(k)].first == kNone) set_.push_back(k);
    at_[static_cast<size_t>(k)] = {c, v};
  }
  // Jepsen's rule for per-process state: an assign or subscribe keeps only the keys it names.
  void keep_assigned(const Op& op, const HistoryIds& ids) {
    std::vector<KeyId> keep;
    for (const std::string& name : op.keys) keep.push_back(ids.key_id(name));
    std::erase_if(set_, [&](KeyId k) {
      if (std::find(keep.begin(), keep.end(), k) != keep.end()) return false;
      at_[static_cast<size_t>(k)] = {kNone, kNone};
      return true;
    });
  }
  void clear() {
    for (KeyId k : set_) at_[static_cast<size_t>(k)] = {kNone, kNone};
    set_.clear();
  }

 private:
  std::vector<std::pair<int32_t, ValueId>> at_;  // key -> (completion, value); kNone: nothing yet
  std::vector<KeyId> set_;                       // the keys with something
};

bool assigns(const Op& op) { return op.f == "assign" || op.f == "subscribe"; }

// poll-skip and nonmonotonic-poll: per process, the first value an op reads of a key against the
// last value the last *ok* op of that process read of it. Fail and info ops are checked but never
// move the position (the client rewinds after an abort). An ok or info assign/subscribe keeps
// only its keys.
void poll_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  const HistoryIds& ids = a.ids;
  LastByKey last(ids.key_names.size());  // key -> (ok op, last value)
  for (int32_t p = 0; p < static_cast<int32_t>(ids.process_names.size()); ++p) {
    last.clear();
    for (int32_t c : a.process_ops(p)) {
      const Op& op = a.op(c);
      if (assigns(op)) {
        if (op.type != OpType::fail) last.keep_assigned(op, ids);
        continue;
      }
      for (const KeyRun& r : ids.reads(c)) {
        const auto* prev = last.find(r.key);
        if (!prev) continue;
        const auto [prev_op, v] = *prev;
        const ValueId first = ids.micro[static_cast<size_t>(r.begin)].value;
        const Step s = a.step(v, first);
        if (s.delta > 1)
          skips.push_back(anomaly(ids.key_name(r.key),
                                  fmt::format("{} read {} after {} read {}: delta {}, skipping {}", name(op), ids.text(first),
                                              name(a.op(prev_op)), ids.text(v), s.delta, join(ids, a.skipped(v, s))),
                                  {a.op(prev_op).index, op.index}));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(ids.key_name(r.key),
                                         fmt::format("{} read {} after {} read {}: delta {}", name(op), ids.text(first),
                                                     name(a.op(prev_op)), ids.text(v), s.delta),
                                         {a.op(prev_op).index, op.index}));
      }
      if (op.type == OpType::ok)
        for (const KeyRun& r : ids.reads(c)) last.set(r.key, c, ids.micro[static_cast<size_t>(r.end - 1)].value);
    }
  }
}

// int-poll-skip and int-nonmonotonic-poll: consecutive reads of a key inside one op. Keys named
// in the op's rebalance log are exempt: the partition moved while the op ran.
void int_poll_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  const HistoryIds& ids = a.ids;
  std::vector<KeyId> rebalanced;
  for (int32_t c = 0; c < static_cast<int32_t>(ids.completions.size()); ++c) {
    const Op& op = a.op(c);
    rebalanced.clear();
    for (const Rebalance& r : op.rebalance_log)
      for (const std::string& k : r.keys) rebalanced.push_back(ids.key_id(k));
    for (const KeyRun& r : ids.reads(c)) {
      if (std::find(rebalanced.begin(), rebalanced.end(), r.key) != rebalanced.end()) continue;
      const auto vs = ids.values(r);
      for (size_t i = 1; i < vs.size(); ++i) {
        const ValueId v1 = vs[i - 1].value, v2 = vs[i].value;
        const Step s = a.step(v1, v2);
        if (s.delta > 1)
          skips.push_back(anomaly(ids.key_name(r.key),
                                  fmt::format("{} read {} then {}: delta {}, skipping {}", name(op), ids.text(v1), ids.text(v2), s.delta,
                                              join(ids, a.skipped(v1, s))),
                                  {op.index}, ids.text(v2)));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(ids.key_name(r.key),
                                         fmt::format("{} read {} then {}: delta {}", name(op), ids.text(v1), ids.text(v2), s.delta),
                                         {op.index}, ids.text(v2)));
      }
    }
  }
}

// int-send-skip and int-nonmonotonic-send: consecutive sends to a key inside one op.
void int_send_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  const HistoryIds& ids = a.ids;
  for (int32_t c = 0; c < static_cast<int32_t>(ids.completions.size()); ++c)
    for (const KeyRun& r : ids.writes(c)) {
      const auto vs = ids.values(r);
      for (size_t i = 1; i < vs.size(); ++i) {
        const ValueId v1 = vs[i - 1].value, v2 = vs[i].value;
        const Step s = a.step(v1, v2);
        if (s.delta > 1)
          skips.push_back(anomaly(ids.key_name(r.key),
                                  fmt::format("{} sent {} then {}: delta {}, another record between: {}", name(a.op(c)), ids.text(v1),
                                              ids.text(v2), s.delta, join(ids, a.skipped(v1, s))),
                                  {a.op(c).index}, ids.text(v2)));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(ids.key_name(r.key),
                                         fmt::format("{} sent {} then {}: delta {}", name(a.op(c)), ids.text(v1), ids.text(v2), s.delta),
                                         {a.op(c).index}, ids.text(v2)));
      }
    }
}

// nonmonotonic-send: per process over ok and info ops, the first send of an op to a key landed at
// or before the last send of the process's previous op to that key. Reset by assign/subscribe.
// External skips are not checked (other producers may interleave).
Anomalies nonmonotonic_sends(const Analysis& a) {
  const HistoryIds& ids = a.ids;
  Anomalies out;
  LastByKey last(ids.key_names.size());  // key -> (op, last value)
  for (int32_t p = 0; p < static_cast<int32_t>(ids.process_names.size()); ++p) {
    last.clear();
    for (int32_t c : a.process_ops(p)) {
      const Op& op = a.op(c);
      if (op.type != OpType::ok && op.type != OpType::info) continue;
      if (assigns(op)) {
        last.keep_assigned(op, ids);
        continue;
      }
      for (const KeyRun& r : ids.writes(c)) {
        const auto* prev = last.find(r.key);
        if (!prev) continue;
        const auto [prev_op, v] = *prev;
        const ValueId first = ids.micro[static_cast<size_t>(r.begin)].value;
        const Step s = a.step(v, first);
        if (s.delta < 1)
          out.push_back(anomaly(ids.key_name(r.key),
                                fmt::format("{} sent {} (index {}) after {} sent {} (index {})", name(op), ids.text(first), s.to,
                                            name(a.op(prev_op)), ids.text(v), s.from),
                                {a.op(prev_op).index, op.index}));
      }
      for (const KeyRun& r : ids.writes(c)) last.set(r.key, c, ids.micro[static_cast<size_t>(r.end - 1)].value);
    }
  }
  return out;
}

}  // namespace
}  // namespace jepsen

const std::vector<std::string>& known_anomalies() {
  static const std::vector<std::string> names = {
      "lost-write", "duplicate", "inconsistent-offsets", "G1a", "precommitted-read", "poll-skip",
      "nonmonotonic-poll", "int-poll-skip", "int-nonmonotonic-poll", "int-send-skip", "int-nonmonotonic-send",
      "nonmonotonic-send", "unseen", "G0", "G1c", "G0-realtime", "G1c-realtime", "replica-divergence", "hw-regression", "commit-past-unprocessed",
      "duplicate-effect", "hanging-transaction", "fenced-zombie-read", "torn-transaction", "duplicated-output"};
  return names;
}

std::vector<std::string> allowed_anomalies(const CheckOptions& options) {
  std::vector<std::string> out{"G0", "G0-realtime", "int-send-skip"};
  if (options.sub_via_subscribe) {
    out.push_back("nonmonotonic-poll");
    out.push_back("poll-skip");
  }
  if (options.ww_deps) {
    out.push_back("G1c");
    out.push_back("G1c-realtime");
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool subscribes(const History& h) {
  return std::any_of(h.ops.begin(), h.ops.end(), [](const Op& op) { return op.f == "subscribe"; });
}

bool CheckResult::allowed(const std::string& name) const {
  const std::vector<std::string> names = allowed_anomalies(options);
  return std::binary_search(names.begin(), names.end(), name);
}

std::string CheckResult::allowed_mark(const std::string& name) const {
  if (!allowed(name)) return {};
  if (name == "poll-skip" || name == "nonmonotonic-poll") return " (allowed under subscribe)";
  if (name.starts_with("G1c")) return " (allowed under ww-deps)";
  return " (allowed)";
}

CheckResult check_history(const History& h, const CheckOptions& options) {
  using namespace jepsen;
  const Analysis a(h);
  std::map<std::string_view, Anomalies> found;
  found["inconsistent-offsets"] = inconsistent_offsets(a);
  found["duplicate"] = duplicates(a);
  found["lost-write"] = lost_writes(a);
  found["unseen"] = unseen(a);
  found["G1a"] = g1a(a);
  found["precommitted-read"] = precommitted_reads(a);
  poll_skip_nonmonotonic(a, found["poll-skip"], found["nonmonotonic-poll"]);
  int_poll_skip_nonmonotonic(a, found["int-poll-skip"], found["int-nonmonotonic-poll"]);
  int_send_skip_nonmonotonic(a, found["int-send-skip"], found["int-nonmonotonic-send"]);
  found["nonmonotonic-send"] = nonmonotonic_sends(a);
  cycles(a, options.ww_deps, found["G0"], found["G1c"], found["G0-realtime"], found["G1c-realtime"]);

  CheckResult result;
  result.options = options;
  const std::vector<std::string> allowed = allowed_anomalies(options);
  for (auto& [type, list] : found) {
    if (list.empty()) continue;
    if (!std::binary_search(allowed.begin(), allowed.end(), type)) result.valid = false;
    result.anomalies.emplace(std::string(type), std::move(list));
  }
  result.history_valid = result.valid;
  return result;
}

}  // namespace check
