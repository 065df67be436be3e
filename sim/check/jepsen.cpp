// Jepsen's Kafka anomaly checks (jepsen.tests.kafka): the shared analysis, then one function per
// anomaly family, named after Jepsen's error keys. Everything iterates ordered containers or
// history order, so the output is deterministic.
#include "sim/check/jepsen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

namespace check {
namespace {

// Values and keys are views of the history's strings, which outlive the analysis: no copies.
using Values = std::vector<std::string_view>;
using Anomalies = std::vector<Anomaly>;

Anomaly anomaly(std::string_view key, std::string detail, std::vector<int64_t> ops, std::string_view value = {}) {
  return Anomaly{std::string(key), std::move(detail), std::move(ops), {}, std::string(value)};
}

// An op's sends per key, in order.
std::map<std::string_view, Values> op_writes(const Op& op) {
  std::map<std::string_view, Values> out;
  for (const Send& s : op.sends) out[s.key].push_back(s.value);
  return out;
}

// An op's reads per key, in order. Empty read lists say nothing, so they are dropped.
std::map<std::string_view, Values> op_reads(const Op& op) {
  std::map<std::string_view, Values> out;
  for (const auto& [k, reads] : op.polls)
    for (const Read& r : reads) out[k].push_back(r.value);
  return out;
}

std::string join(const Values& vs, size_t limit = 16) {
  std::string out = "[";
  for (size_t i = 0; i < vs.size() && i < limit; ++i) {
    if (i) out += ", ";
    out += vs[i];
  }
  if (vs.size() > limit) out += fmt::format(", ... ({} in all)", vs.size());
  return out + "]";
}

std::string name(const Op& op) {
  return fmt::format("op {} ({} {} {})", op.index, op.process, op.f, to_string(op.type));
}

// One key's version order. `log` maps Kafka offsets to the values seen there; the dense index
// numbers the offsets that hold something, so holes (transaction markers, unseen records) vanish.
struct KeyOrder {
  std::map<int64_t, std::set<std::string_view>> log;
  std::vector<const std::set<std::string_view>*> dense;  // index -> values at that index (in `log`)
  std::vector<int64_t> offset_of;               // index -> Kafka offset
  // Looked up only, never iterated, so hash maps keep the output deterministic.
  std::unordered_map<std::string_view, int64_t> by_value;     // value -> index of its *last* appearance
  std::unordered_map<std::string_view, int64_t> first_index;  // value -> index of its first appearance

  // Jepsen's by-index: one value per index (the smallest, where an offset holds several).
  std::string_view at(int64_t i) const { return *dense[static_cast<size_t>(i)]->begin(); }
};

// Where the next read or send of a key landed relative to the previous one: 1 is perfect.
// Unknown indices count as 1 (Jepsen can say nothing about them).
struct Step {
  int64_t delta = 1;
  int64_t from = -1;
  int64_t to = -1;
};

struct Analysis {
  std::vector<const Op*> completions;                                   // history order
  std::unordered_map<int64_t, int64_t> invoked_at;                      // op id -> index of its invocation
  std::map<std::string_view, std::vector<const Op*>> by_process;             // invocation order
  std::map<std::string_view, std::set<std::string_view>> ok_reads;                // key -> values ok ops read
  std::map<std::string_view, std::map<std::string_view, const Op*>> writer;       // key -> value -> sender
  std::map<std::string_view, std::map<std::string_view, std::vector<const Op*>>> readers;
  std::map<std::string_view, KeyOrder> orders;

  // ok, or info with some sent value read by an ok op.
  bool must_have_committed(const Op& op) const {
    if (op.type == OpType::ok) return true;
    if (op.type != OpType::info) return false;
    for (const Send& s : op.sends) {
      auto it = ok_reads.find(s.key);
      if (it != ok_reads.end() && it->second.count(s.value)) return true;
    }
    return false;
  }

  std::optional<int64_t> index_of(std::string_view k, std::string_view v) const {
    auto o = orders.find(k);
    if (o == orders.end()) return std::nullopt;
    auto it = o->second.by_value.find(v);
    if (it == o->second.by_value.end()) return std::nullopt;
    return it->second;
  }

  Step step(std::string_view k, std::string_view v1, std::string_view v2) const {
    auto i1 = index_of(k, v1);
    auto i2 = index_of(k, v2);
    if (!i1 || !i2) return {};
    return {*i2 - *i1, *i1, *i2};
  }

  // The values strictly between two indices: what a skip jumped over.
  Values skipped(std::string_view k, const Step& s) const {
    Values out;
    const KeyOrder& o = orders.at(k);
    for (int64_t i = s.from + 1; i < s.to; ++i) out.push_back(o.at(i));
    return out;
  }

  const Op* writer_of(std::string_view k, std::string_view v) const {
    auto it = writer.find(k);
    if (it == writer.end()) return nullptr;
    auto w = it->second.find(v);
    return w == it->second.end() ? nullptr : w->second;
  }
};

Analysis analyze(const History& h) {
  Analysis a;
  auto& invoked_at = a.invoked_at;
  for (const Op& op : h.ops) {
    if (op.type == OpType::invoke) {
      invoked_at.emplace(op.id, op.index);
      continue;
    }
    a.completions.push_back(&op);
    for (const Send& s : op.sends) a.writer[s.key][s.value] = &op;
    for (const auto& [k, vs] : op_reads(op))
      for (std::string_view v : vs) {
        a.readers[k][v].push_back(&op);
        if (op.type == OpType::ok) a.ok_reads[k].insert(v);
      }
  }

  // Per-process order: by invocation position (a process may have many ops outstanding). The
  // sort key is computed once per op, not in every comparison.
  std::map<std::string_view, std::vector<std::pair<std::pair<int64_t, int64_t>, const Op*>>> keyed;
  for (const Op* op : a.completions) {
    auto it = invoked_at.find(op->id);
    keyed[op->process].push_back({{it == invoked_at.end() ? op->index : it->second, op->index}, op});
  }
  for (auto& [p, ops] : keyed) {
    std::sort(ops.begin(), ops.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    auto& out = a.by_process[p];
    out.reserve(ops.size());
    for (const auto& [key, op] : ops) out.push_back(op);
  }

  // Version orders: every poll (even of fail/info ops: consumers must never return bad data),
  // and the sends with known offsets of ops that must have committed. Fail sends never count.
  for (const Op* op : a.completions) {
    if (a.must_have_committed(*op))
      for (const Send& s : op->sends)
        if (s.offset) a.orders[s.key].log[*s.offset].insert(s.value);
    for (const auto& [k, reads] : op->polls)
      for (const Read& r : reads) a.orders[k].log[r.offset].insert(r.value);
  }
  for (auto& [k, o] : a.orders) {
    for (const auto& [offset, values] : o.log) {
      auto i = static_cast<int64_t>(o.dense.size());
      o.dense.push_back(&values);
      o.offset_of.push_back(offset);
      for (std::string_view v : values) {
        o.by_value[v] = i;
        o.first_index.emplace(v, i);
      }
    }
  }
  return a;
}

// inconsistent-offsets: one offset of a key holds two or more values.
Anomalies inconsistent_offsets(const Analysis& a) {
  Anomalies out;
  for (const auto& [k, o] : a.orders)
    for (size_t i = 0; i < o.dense.size(); ++i) {
      if (o.dense[i]->size() < 2) continue;
      Values vs(o.dense[i]->begin(), o.dense[i]->end());
      std::set<int64_t> ops;
      for (std::string_view v : vs) {
        if (const Op* w = a.writer_of(k, v)) ops.insert(w->index);
        if (auto r = a.readers.find(k); r != a.readers.end())
          if (auto rv = r->second.find(v); rv != r->second.end())
            for (const Op* op : rv->second) ops.insert(op->index);
      }
      Anomaly found = anomaly(k, fmt::format("offset {} (index {}) holds {} values: {}", o.offset_of[i], i, vs.size(), join(vs)),
                              {ops.begin(), ops.end()});
      found.offset = o.offset_of[i];
      out.push_back(std::move(found));
    }
  return out;
}

// duplicate: one value at two or more offsets of a key (e.g. a non-idempotent retry).
Anomalies duplicates(const Analysis& a) {
  Anomalies out;
  for (const auto& [k, o] : a.orders) {
    std::map<std::string_view, std::vector<int64_t>> offsets;
    for (const auto& [offset, values] : o.log)
      for (std::string_view v : values) offsets[v].push_back(offset);
    for (const auto& [v, offs] : offsets) {
      if (offs.size() < 2) continue;
      std::string list;
      for (int64_t off : offs) list += (list.empty() ? "" : ", ") + std::to_string(off);
      std::vector<int64_t> ops;
      if (const Op* w = a.writer_of(k, v)) ops.push_back(w->index);
      out.push_back(anomaly(k, fmt::format("value {} appears at {} offsets: {}", v, offs.size(), list), ops, v));
    }
  }
  return out;
}

// lost-write: per key, the bound is the highest first-appearance index of any value an ok op
// read. Every value whose last appearance is at or below the bound should have been read by
// some ok op; one that was not is lost, if its writer is ok or provably committed. First and
// last appearances keep this sound when offsets are inconsistent or values duplicated.
Anomalies lost_writes(const Analysis& a) {
  Anomalies out;
  for (const auto& [k, read] : a.ok_reads) {
    const KeyOrder& o = a.orders.at(k);  // ok reads always carry offsets, so the key is there
    int64_t bound = -1;
    std::string bound_value;
    for (std::string_view v : read) {
      auto it = o.first_index.find(v);
      if (it != o.first_index.end() && it->second > bound) {
        bound = it->second;
        bound_value = v;
      }
    }
    if (bound < 0) continue;
    // Evidence: an ok op that read the value at the bound.
    const Op* max_reader = nullptr;
    for (const Op* r : a.readers.at(k).at(bound_value))
      if (r->type == OpType::ok) {
        max_reader = r;
        break;
      }
    for (int64_t i = 0; i <= bound; ++i)
      for (std::string_view v : *o.dense[static_cast<size_t>(i)]) {
        if (o.by_value.at(v) != i || read.count(v)) continue;  // judged at its last appearance
        const Op* w = a.writer_of(k, v);
        if (!w || !a.must_have_committed(*w)) continue;
        out.push_back(anomaly(k,
                       fmt::format("value {} (offset {}, index {}) sent by {} was never read by an "
                                   "ok op, though {} read {} at index {}",
                                   v, o.offset_of[static_cast<size_t>(i)], i, name(*w),
                                   name(*max_reader), bound_value, bound),
                       {w->index, max_reader->index}, v));
      }
  }
  return out;
}

// unseen: values sent by ok ops that no ok op ever polled (by the end of the history, so loss
// and delay look alike). Defined semantically, one entry per key.
Anomalies unseen(const Analysis& a) {
  std::map<std::string_view, std::pair<Values, std::set<int64_t>>> per_key;
  for (const Op* op : a.completions) {
    if (op->type != OpType::ok) continue;
    for (const Send& s : op->sends) {
      auto it = a.ok_reads.find(s.key);
      if (it != a.ok_reads.end() && it->second.count(s.value)) continue;
      per_key[s.key].first.push_back(s.value);
      per_key[s.key].second.insert(op->index);
    }
  }
  Anomalies out;
  for (const auto& [k, e] : per_key)
    out.push_back(anomaly(k,
                   fmt::format("{} values sent by ok ops were never polled by an ok op: {}",
                               e.first.size(), join(e.first)),
                   {e.second.begin(), e.second.end()}, e.first.front()));
  return out;
}

// G1a (aborted read): an ok poll saw a value whose send failed.
Anomalies g1a(const Analysis& a) {
  Anomalies out;
  for (const Op* op : a.completions) {
    if (op->type != OpType::ok) continue;
    for (const auto& [k, vs] : op_reads(*op))
      for (std::string_view v : vs) {
        const Op* w = a.writer_of(k, v);
        if (!w || w->type != OpType::fail) continue;
        out.push_back(anomaly(k, fmt::format("{} read {}, sent by failed {}", name(*op), v, name(*w)),
                       {w->index, op->index}, v));
      }
  }
  return out;
}

// precommitted-read: an op polled a value it sent itself; a read_committed consumer must not
// see a record before the sending transaction commits.
Anomalies precommitted_reads(const Analysis& a) {
  Anomalies out;
  for (const Op* op : a.completions) {
    auto reads = op_reads(*op);
    for (const auto& [k, sent] : op_writes(*op)) {
      auto r = reads.find(k);
      if (r == reads.end()) continue;
      std::set<std::string_view> read(r->second.begin(), r->second.end());
      Values both;
      for (std::string_view v : sent)
        if (read.count(v)) both.push_back(v);
      if (!both.empty())
        out.push_back(anomaly(k, fmt::format("{} read values it sent itself: {}", name(*op), join(both)),
                       {op->index}));
    }
  }
  return out;
}

// Jepsen's rule for per-process state: an assign or subscribe keeps only the keys it names.
template <typename PerKey>
void keep_assigned(const Op& op, PerKey& last) {
  std::set<std::string_view> keep(op.keys.begin(), op.keys.end());
  std::erase_if(last, [&](const auto& e) { return !keep.count(e.first); });
}

// poll-skip and nonmonotonic-poll: per process, the first value an op reads of a key against the
// last value the last *ok* op of that process read of it. Fail and info ops are checked but never
// move the position (the client rewinds after an abort). An ok or info assign/subscribe keeps
// only its keys.
void poll_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  for (const auto& [p, ops] : a.by_process) {
    std::map<std::string_view, std::pair<const Op*, std::string_view>> last;  // key -> (ok op, last value)
    for (const Op* op : ops) {
      if (op->f == "assign" || op->f == "subscribe") {
        if (op->type != OpType::fail) keep_assigned(*op, last);
        continue;
      }
      auto reads = op_reads(*op);
      for (const auto& [k, vs] : reads) {
        auto it = last.find(k);
        if (it == last.end()) continue;
        const auto& [prev, v] = it->second;
        Step s = a.step(k, v, vs.front());
        if (s.delta > 1)
          skips.push_back(anomaly(k,
                           fmt::format("{} read {} after {} read {}: delta {}, skipping {}",
                                       name(*op), vs.front(), name(*prev), v, s.delta,
                                       join(a.skipped(k, s))),
                           {prev->index, op->index}));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(k,
                                  fmt::format("{} read {} after {} read {}: delta {}", name(*op),
                                              vs.front(), name(*prev), v, s.delta),
                                  {prev->index, op->index}));
      }
      if (op->type == OpType::ok)
        for (const auto& [k, vs] : reads) last[k] = {op, vs.back()};
    }
  }
}

// int-poll-skip and int-nonmonotonic-poll: consecutive reads of a key inside one op. Keys named
// in the op's rebalance log are exempt: the partition moved while the op ran.
void int_poll_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  for (const Op* op : a.completions) {
    std::set<std::string_view> rebalanced;
    for (const Rebalance& r : op->rebalance_log)
      for (const std::string& k : r.keys) rebalanced.insert(k);
    for (const auto& [k, vs] : op_reads(*op)) {
      if (rebalanced.count(k)) continue;
      for (size_t i = 1; i < vs.size(); ++i) {
        Step s = a.step(k, vs[i - 1], vs[i]);
        if (s.delta > 1)
          skips.push_back(anomaly(k,
                           fmt::format("{} read {} then {}: delta {}, skipping {}", name(*op),
                                       vs[i - 1], vs[i], s.delta, join(a.skipped(k, s))),
                           {op->index}, vs[i]));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(k,
                                  fmt::format("{} read {} then {}: delta {}", name(*op), vs[i - 1],
                                              vs[i], s.delta),
                                  {op->index}, vs[i]));
      }
    }
  }
}

// int-send-skip and int-nonmonotonic-send: consecutive sends to a key inside one op.
void int_send_skip_nonmonotonic(const Analysis& a, Anomalies& skips, Anomalies& nonmonotonic) {
  for (const Op* op : a.completions)
    for (const auto& [k, vs] : op_writes(*op))
      for (size_t i = 1; i < vs.size(); ++i) {
        Step s = a.step(k, vs[i - 1], vs[i]);
        if (s.delta > 1)
          skips.push_back(anomaly(k,
                           fmt::format("{} sent {} then {}: delta {}, another record between: {}",
                                       name(*op), vs[i - 1], vs[i], s.delta,
                                       join(a.skipped(k, s))),
                           {op->index}, vs[i]));
        else if (s.delta < 1)
          nonmonotonic.push_back(anomaly(k,
                                  fmt::format("{} sent {} then {}: delta {}", name(*op), vs[i - 1],
                                              vs[i], s.delta),
                                  {op->index}, vs[i]));
      }
}

// nonmonotonic-send: per process over ok and info ops, the first send of an op to a key landed at
// or before the last send of the process's previous op to that key. Reset by assign/subscribe.
// External skips are not checked (other producers may interleave).
Anomalies nonmonotonic_sends(const Analysis& a) {
  Anomalies out;
  for (const auto& [p, ops] : a.by_process) {
    std::map<std::string_view, std::pair<const Op*, std::string_view>> last;  // key -> (op, last value)
    for (const Op* op : ops) {
      if (op->type != OpType::ok && op->type != OpType::info) continue;
      if (op->f == "assign" || op->f == "subscribe") {
        keep_assigned(*op, last);
        continue;
      }
      auto writes = op_writes(*op);
      for (const auto& [k, vs] : writes) {
        auto it = last.find(k);
        if (it == last.end()) continue;
        const auto& [prev, v] = it->second;
        Step s = a.step(k, v, vs.front());
        if (s.delta < 1)
          out.push_back(anomaly(k,
                         fmt::format("{} sent {} (index {}) after {} sent {} (index {})", name(*op),
                                     vs.front(), s.to, name(*prev), v, s.from),
                         {prev->index, op->index}));
      }
      for (const auto& [k, vs] : writes) last[k] = {op, vs.back()};
    }
  }
  return out;
}

// ---- G0 and G1c: cycles over ww edges (only with ww-deps) and wr edges ----
// Nodes are the ok and info completions; failed ops did not happen (reading from one is G1a).

// Why an edge exists, as views of the history's strings; put into words only for the cycles
// reported (formatting every edge of a large history costs more than finding the cycles).
struct Why {
  std::string_view ww_key, ww_from, ww_to;  // ww: the value before and the value written (ww_to empty: none)
  std::string_view wr_key, wr;              // wr: the value read (empty: no wr edge)
  bool has_ww() const { return !ww_to.empty(); }
  bool has_wr() const { return !wr.empty(); }
  std::string ww_label() const { return fmt::format("ww {}: {} then {}", ww_key, ww_from, ww_to); }
  std::string wr_label() const { return fmt::format("wr {}: {}", wr_key, wr); }
};

// Nodes are op indices (dense); each node's successors sorted by index, one entry per successor.
struct Graph {
  std::vector<std::vector<std::pair<int64_t, Why>>> succ;
  const Why& why(int64_t u, int64_t v) const {
    const auto& s = succ[static_cast<size_t>(u)];
    return std::lower_bound(s.begin(), s.end(), v, [](const auto& e, int64_t x) { return e.first < x; })->second;
  }
};
using Adj = std::vector<std::vector<int64_t>>;

Graph dependency_graph(const Analysis& a, bool ww_deps) {
  Graph g;
  int64_t nodes = 0;
  for (const Op* op : a.completions) nodes = std::max(nodes, op->index + 1);
  g.succ.resize(static_cast<size_t>(nodes));
  auto node = [](const Op* op) { return op && op->type != OpType::fail; };
  if (ww_deps)  // the writer of the value just before v in the version order -> the writer of v
    for (const auto& [k, v_writer] : a.writer)
      for (const auto& [v2, w2] : v_writer) {
        auto i2 = a.index_of(k, v2);
        if (!i2 || *i2 == 0) continue;
        std::string_view v1 = a.orders.at(k).at(*i2 - 1);
        const Op* w1 = a.writer_of(k, v1);
        if (!node(w1) || !node(w2) || w1 == w2) continue;
        g.succ[static_cast<size_t>(w1->index)].push_back({w2->index, Why{k, v1, v2, {}, {}}});
      }
  // The writer of v -> every other op that read v.
  for (const auto& [k, v_readers] : a.readers)
    for (const auto& [v, rs] : v_readers) {
      const Op* w = a.writer_of(k, v);
      if (!node(w)) continue;
      for (const Op* r : rs) {
        if (!node(r) || r == w) continue;
        g.succ[static_cast<size_t>(w->index)].push_back({r->index, Why{{}, {}, {}, k, v}});
      }
    }
  // One entry per successor: the first ww reason and the first wr reason, in the order found.
  for (auto& s : g.succ) {
    if (s.size() < 2) continue;
    std::stable_sort(s.begin(), s.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
    size_t out = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (out > 0 && s[out - 1].first == s[i].first) {
        Why& kept = s[out - 1].second;
        const Why& more = s[i].second;
        if (!kept.has_ww() && more.has_ww()) {
          kept.ww_key = more.ww_key;
          kept.ww_from = more.ww_from;
          kept.ww_to = more.ww_to;
        }
        if (!kept.has_wr() && more.has_wr()) {
          kept.wr_key = more.wr_key;
          kept.wr = more.wr;
        }
        continue;
      }
      s[out++] = s[i];
    }
    s.resize(out);
  }
  return g;
}

Adj adjacency(const Graph& g, bool ww_only) {
  Adj adj(g.succ.size());
  for (size_t u = 0; u < g.succ.size(); ++u)
    for (const auto& [v, why] : g.succ[u])
      if (!ww_only || why.has_ww()) adj[u].push_back(v);
  return adj;
}

// Strongly connected components with two or more nodes (Kosaraju, iterative), each sorted.
std::vector<std::vector<int64_t>> components(const Adj& adj) {
  const size_t n = adj.size();
  std::vector<int64_t> post;
  post.reserve(n);
  std::vector<char> seen(n, 0);
  for (size_t s = 0; s < n; ++s) {
    if (seen[s] || adj[s].empty()) continue;  // a node without successors is a component of one
    seen[s] = 1;
    std::vector<std::pair<int64_t, size_t>> stack{{static_cast<int64_t>(s), 0}};
    while (!stack.empty()) {
      const int64_t u = stack.back().first;
      const std::vector<int64_t>& succ = adj[static_cast<size_t>(u)];
      if (stack.back().second < succ.size()) {
        const int64_t v = succ[stack.back().second++];
        if (!seen[static_cast<size_t>(v)]) {
          seen[static_cast<size_t>(v)] = 1;
          stack.emplace_back(v, 0);
        }
      } else {
        post.push_back(u);
        stack.pop_back();
      }
    }
  }
  Adj rev(n);
  for (size_t u = 0; u < n; ++u)
    for (int64_t v : adj[u]) rev[static_cast<size_t>(v)].push_back(static_cast<int64_t>(u));
  std::vector<std::vector<int64_t>> out;
  std::vector<char> done(n, 0);
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    if (done[static_cast<size_t>(*it)]) continue;
    done[static_cast<size_t>(*it)] = 1;
    std::vector<int64_t> comp, todo{*it};
    while (!todo.empty()) {
      int64_t u = todo.back();
      todo.pop_back();
      comp.push_back(u);
      for (int64_t v : rev[static_cast<size_t>(u)])
        if (!done[static_cast<size_t>(v)] && seen[static_cast<size_t>(v)]) {
          done[static_cast<size_t>(v)] = 1;
          todo.push_back(v);
        }
    }
    if (comp.size() < 2) continue;
    std::sort(comp.begin(), comp.end());
    out.push_back(std::move(comp));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The shortest path from -> to inside one component (breadth first), both ends included.
std::vector<int64_t> path(const Adj& adj, const std::set<int64_t>& comp, int64_t from, int64_t to) {
  std::map<int64_t, int64_t> parent{{from, from}};
  std::vector<int64_t> queue{from};
  for (size_t q = 0; q < queue.size() && !parent.count(to); ++q)
    for (int64_t v : adj[static_cast<size_t>(queue[q])])
      if (comp.count(v) && parent.emplace(v, queue[q]).second) queue.push_back(v);
  std::vector<int64_t> out{to};
  while (out.back() != from) out.push_back(parent.at(out.back()));
  std::reverse(out.begin(), out.end());
  return out;
}

Anomaly render_cycle(const Graph& g, const std::vector<int64_t>& cycle, bool prefer_wr) {
  std::string detail = fmt::format("op {}", cycle.front());
  for (size_t i = 1; i < cycle.size(); ++i) {
    const Why& why = g.why(cycle[i - 1], cycle[i]);
    const bool wr = (prefer_wr && why.has_wr()) || !why.has_ww();
    detail += fmt::format(" -[{}]-> op {}", wr ? why.wr_label() : why.ww_label(), cycle[i]);
  }
  return anomaly("", detail, {cycle.begin(), cycle.end() - 1});
}

// Real-time order, without its quadratic edges: op nodes 0..n-1 and, for each op in order of
// invocation, a time node. Time nodes form a chain, each leading to the op invoked there; an op
// leads to the time node of the first op invoked after it completed. So X reaches Y through time
// nodes exactly when X completed before Y was invoked (Elle's real-time edges, transitively).
struct RealtimeGraph {
  Adj adj;          // op nodes first, then time nodes
  int64_t ops = 0;  // the number of op nodes
  bool is_time(int64_t node) const { return node >= ops; }
};

// Whether some dependency edge leads to an op invoked earlier than its source. Every edge real
// time adds leads forward in invocation order (an op to the ops invoked after it completed), so
// a cycle that needs real time needs such a backward dependency: without one, there is none.
bool has_backward_edge(const Analysis& a, const Adj& deps) {
  std::vector<int64_t> invoked(deps.size(), -1);
  for (const Op* op : a.completions) {
    if (static_cast<size_t>(op->index) >= invoked.size()) continue;
    auto it = a.invoked_at.find(op->id);
    invoked[static_cast<size_t>(op->index)] = it == a.invoked_at.end() ? op->index : it->second;
  }
  for (size_t u = 0; u < deps.size(); ++u)
    for (int64_t v : deps[u])
      if (invoked[static_cast<size_t>(v)] < invoked[u]) return true;
  return false;
}

RealtimeGraph with_realtime(const Analysis& a, Adj deps) {
  RealtimeGraph r;
  r.ops = static_cast<int64_t>(deps.size());
  // The ops in the graph (those with a dependency edge in or out), by invocation.
  std::vector<char> in_graph(deps.size(), 0);  // read before `deps` is moved below
  for (size_t u = 0; u < deps.size(); ++u)
    for (int64_t v : deps[u]) in_graph[u] = in_graph[static_cast<size_t>(v)] = 1;
  std::vector<std::pair<int64_t, int64_t>> by_invocation;  // (invocation index, op index)
  for (const Op* op : a.completions) {
    if (static_cast<size_t>(op->index) >= in_graph.size() || !in_graph[static_cast<size_t>(op->index)]) continue;
    auto it = a.invoked_at.find(op->id);
    by_invocation.emplace_back(it == a.invoked_at.end() ? op->index : it->second, op->index);
  }
  std::sort(by_invocation.begin(), by_invocation.end());
  const auto times = static_cast<int64_t>(by_invocation.size());
  r.adj = std::move(deps);
  r.adj.resize(static_cast<size_t>(r.ops) + by_invocation.size());
  for (int64_t k = 0; k < times; ++k) {
    auto& t = r.adj[static_cast<size_t>(r.ops + k)];
    t.push_back(by_invocation[static_cast<size_t>(k)].second);
    if (k + 1 < times) t.push_back(r.ops + k + 1);
  }
  for (const auto& [invoked, op] : by_invocation) {
    (void)invoked;
    // The first op invoked after this one completed (its completion's index is `op`).
    auto next = std::upper_bound(by_invocation.begin(), by_invocation.end(), std::make_pair(op, INT64_MAX));
    if (next != by_invocation.end()) r.adj[static_cast<size_t>(op)].push_back(r.ops + (next - by_invocation.begin()));
  }
  return r;
}

// One cycle of `comp` (a component of `adj`) through the edge u -> v, as op nodes with the
// edges between them labelled; runs of time nodes become one "realtime" edge.
Anomaly render_realtime_cycle(const Graph& g, const RealtimeGraph& r, const std::vector<int64_t>& comp, int64_t u, int64_t v,
                              bool prefer_wr) {
  std::set<int64_t> in(comp.begin(), comp.end());
  std::vector<int64_t> cycle{u};
  for (int64_t x : path(r.adj, in, v, u)) cycle.push_back(x);
  // Each node once (the path ends where it began), starting and ending at an op.
  cycle.pop_back();
  const auto first_op = std::find_if(cycle.begin(), cycle.end(), [&](int64_t x) { return !r.is_time(x); });
  std::rotate(cycle.begin(), first_op, cycle.end());
  cycle.push_back(cycle.front());
  std::string detail;
  std::vector<int64_t> ops;
  bool through_time = false;
  for (size_t i = 0; i < cycle.size(); ++i) {
    const int64_t x = cycle[i];
    if (r.is_time(x)) {
      through_time = true;
      continue;
    }
    if (detail.empty()) {
      detail = fmt::format("op {}", x);
    } else if (through_time) {
      detail += fmt::format(" -[realtime: completed before it was invoked]-> op {}", x);
    } else {
      const Why& why = g.why(cycle[i - 1], x);
      const bool wr = (prefer_wr && why.has_wr()) || !why.has_ww();
      detail += fmt::format(" -[{}]-> op {}", wr ? why.wr_label() : why.ww_label(), x);
    }
    through_time = false;
    if (i + 1 < cycle.size()) ops.push_back(x);
  }
  return anomaly("", detail, std::move(ops));
}

// G0: a cycle of ww edges alone. G1c: a cycle of ww and wr edges with at least one wr edge.
// Their -realtime variants: such cycles that close only through real-time order (an op that
// completed before another was invoked). One cycle is reported per strongly connected component.
void cycles(const Analysis& a, bool ww_deps, Anomalies& g0, Anomalies& g1c, Anomalies& g0_realtime,
            Anomalies& g1c_realtime) {
  const Graph g = dependency_graph(a, ww_deps);
  const Adj ww = adjacency(g, true);
  std::set<std::vector<int64_t>> plain;  // components already reported without real time
  for (const auto& comp : components(ww)) {
    plain.insert(comp);
    std::set<int64_t> in(comp.begin(), comp.end());
    const int64_t s = comp.front();
    int64_t t = s;
    for (int64_t v : ww[static_cast<size_t>(s)])
      if (in.count(v)) {
        t = v;
        break;
      }
    std::vector<int64_t> cycle{s};
    for (int64_t v : path(ww, in, t, s)) cycle.push_back(v);
    g0.push_back(render_cycle(g, cycle, false));
  }
  Adj all = adjacency(g, false);
  // The first wr edge inside a component, if any.
  auto wr_edge = [&](const std::vector<int64_t>& comp) -> std::optional<std::pair<int64_t, int64_t>> {
    std::set<int64_t> in(comp.begin(), comp.end());
    for (int64_t u : comp) {
      if (u >= static_cast<int64_t>(g.succ.size())) continue;
      for (const auto& [v, why] : g.succ[static_cast<size_t>(u)])
        if (why.has_wr() && in.count(v)) return std::make_pair(u, v);
    }
    return std::nullopt;
  };
  for (const auto& comp : components(all)) {
    plain.insert(comp);
    auto wr = wr_edge(comp);
    if (!wr) continue;  // only ww edges: that is G0
    std::set<int64_t> in(comp.begin(), comp.end());
    std::vector<int64_t> cycle{wr->first};
    for (int64_t v : path(all, in, wr->second, wr->first)) cycle.push_back(v);
    g1c.push_back(render_cycle(g, cycle, true));
  }
  // The same searches with real-time order added; components with no time node, or whose ops
  // were already a component without it, are the plain anomalies above.
  auto ops_of = [](const RealtimeGraph& r, const std::vector<int64_t>& comp) {
    std::vector<int64_t> out;
    for (int64_t x : comp)
      if (!r.is_time(x)) out.push_back(x);
    return out;
  };
  if (!has_backward_edge(a, all)) return;  // ww edges are among `all`'s
  const RealtimeGraph ww_rt = with_realtime(a, ww);
  for (const auto& comp : components(ww_rt.adj)) {
    const auto ops = ops_of(ww_rt, comp);
    if (ops.size() == comp.size() || plain.count(ops)) continue;
    // Start at a time node's op: the cycle closes through real time there.
    int64_t t = -1;
    for (int64_t x : comp)
      if (ww_rt.is_time(x)) t = x;
    const int64_t u = ww_rt.adj[static_cast<size_t>(t)].front();  // the op invoked at t
    g0_realtime.push_back(render_realtime_cycle(g, ww_rt, comp, t, u, false));
  }
  const RealtimeGraph all_rt = with_realtime(a, std::move(all));
  for (const auto& comp : components(all_rt.adj)) {
    const auto ops = ops_of(all_rt, comp);
    if (ops.size() == comp.size() || plain.count(ops)) continue;
    auto wr = wr_edge(ops);
    if (!wr) continue;
    g1c_realtime.push_back(render_realtime_cycle(g, all_rt, comp, wr->first, wr->second, true));
  }
}

}  // namespace

const std::vector<std::string>& known_anomalies() {
  static const std::vector<std::string> names = {
      "lost-write", "duplicate", "inconsistent-offsets", "G1a", "precommitted-read", "poll-skip",
      "nonmonotonic-poll", "int-poll-skip", "int-nonmonotonic-poll", "int-send-skip", "int-nonmonotonic-send",
      "nonmonotonic-send", "unseen", "G0", "G1c", "G0-realtime", "G1c-realtime", "replica-divergence", "hw-regression", "commit-past-unprocessed"};
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

CheckResult check_history(const History& h, const CheckOptions& options) {
  const Analysis a = analyze(h);
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
  const std::vector<std::string> allowed = allowed_anomalies(options);
  for (auto& [type, list] : found) {
    if (list.empty()) continue;
    if (!std::binary_search(allowed.begin(), allowed.end(), type)) result.valid = false;
    result.anomalies.emplace(std::string(type), std::move(list));
  }
  return result;
}

}  // namespace check
