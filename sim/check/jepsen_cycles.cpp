// G0 and G1c, and their -realtime variants: cycles over ww edges (only with ww-deps) and wr
// edges between operations. Nodes are the ok and info completions, by history index; failed ops
// did not happen (reading from one is G1a). Graphs are adjacency arrays (one row of successors
// per node, in one vector), as a million-operation history has a million nodes.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <tuple>
#include <utility>

#include "sim/check/jepsen_analysis.hpp"

namespace check::jepsen {
namespace {

// Why an edge exists, as value ids; put into words only for the cycles reported (formatting
// every edge of a large history costs more than finding the cycles). A value with empty text
// gives its edge no reason: the edge stays, without the label.
struct Why {
  ValueId ww_from = kNone, ww_to = kNone;  // ww: the value before and the value written
  ValueId wr = kNone;                      // wr: the value read
  bool ww_counts = false, wr_counts = false;
  bool has_ww() const { return ww_counts; }
  bool has_wr() const { return wr_counts; }
  std::string ww_label(const HistoryIds& ids) const {
    return fmt::format("ww {}: {} then {}", key(ids, ww_to), text(ids, ww_from), text(ids, ww_to));
  }
  std::string wr_label(const HistoryIds& ids) const { return fmt::format("wr {}: {}", key(ids, wr), text(ids, wr)); }

  // The order edges between the same two ops are found in: ww before wr, then by key and value.
  bool found_before(const Why& o, const HistoryIds& ids) const {
    const ValueId x = ww_to != kNone ? ww_to : wr, y = o.ww_to != kNone ? o.ww_to : o.wr;
    if ((ww_to != kNone) != (o.ww_to != kNone)) return ww_to != kNone;
    const KeyId kx = ids.value_key[static_cast<size_t>(x)], ky = ids.value_key[static_cast<size_t>(y)];
    return kx != ky ? kx < ky : ids.text(x) < ids.text(y);
  }

 private:
  static std::string_view key(const HistoryIds& ids, ValueId v) { return v == kNone ? "" : ids.key_name(ids.value_key[static_cast<size_t>(v)]); }
  static std::string_view text(const HistoryIds& ids, ValueId v) { return v == kNone ? "" : ids.text(v); }
};

// Successor lists of every node in one vector: node u's are [begin[u], begin[u + 1]).
template <typename T>
struct Rows {
  std::vector<int64_t> begin{0};
  std::vector<T> items;
  size_t size() const { return begin.size() - 1; }
  std::span<const T> operator[](size_t u) const {
    return {items.data() + begin[u], static_cast<size_t>(begin[u + 1] - begin[u])};
  }
  void end_row() { begin.push_back(static_cast<int64_t>(items.size())); }
};
using Adj = Rows<int64_t>;

// Each node's successors sorted by index, one entry per successor.
struct Graph : Rows<std::pair<int64_t, Why>> {
  const HistoryIds* ids = nullptr;

  const Why& why(int64_t u, int64_t v) const {
    const auto s = (*this)[static_cast<size_t>(u)];
    return std::lower_bound(s.begin(), s.end(), v, [](const auto& e, int64_t x) { return e.first < x; })->second;
  }
  // The edge u -> v in words: its wr reason where preferred and there is one, else its ww reason.
  std::string label(int64_t u, int64_t v, bool prefer_wr) const {
    const Why& w = why(u, v);
    const bool wr = (prefer_wr && w.has_wr()) || !w.has_ww();
    return wr ? w.wr_label(*ids) : w.ww_label(*ids);
  }
};

struct Edge {
  int64_t from, to;
  Why why;
};

// Edges found between the same two ops become one: the first found, with the first ww reason
// and the first wr reason found if it lacks them.
Why merge(std::span<const Edge> same, const HistoryIds& ids) {
  const Edge* first = &same.front();
  for (const Edge& e : same)
    if (e.why.found_before(first->why, ids)) first = &e;
  Why kept = first->why;
  const Edge* ww = nullptr;
  const Edge* wr = nullptr;
  for (const Edge& e : same) {
    if (e.why.has_ww() && (!ww || e.why.found_before(ww->why, ids))) ww = &e;
    if (e.why.has_wr() && (!wr || e.why.found_before(wr->why, ids))) wr = &e;
  }
  if (!kept.has_ww() && ww) {
    kept.ww_from = ww->why.ww_from;
    kept.ww_to = ww->why.ww_to;
    kept.ww_counts = true;
  }
  if (!kept.has_wr() && wr) {
    kept.wr = wr->why.wr;
    kept.wr_counts = true;
  }
  return kept;
}

// ww (with ww-deps): the writer of the value just before v in the version order -> the writer
// of v. wr: the writer of v -> every other op that read v.
std::vector<Edge> dependency_edges(const Analysis& a, bool ww_deps) {
  const HistoryIds& ids = a.ids;
  auto node = [&](int32_t c) { return c != kNone && a.op(c).type != OpType::fail; };
  std::vector<Edge> edges;
  for (ValueId v = 0; v < static_cast<ValueId>(ids.value_text.size()); ++v) {
    const int32_t w = a.writer[static_cast<size_t>(v)];
    if (!node(w)) continue;
    const bool counts = !ids.text(v).empty();
    if (ww_deps)
      if (const int32_t i = a.last_index[static_cast<size_t>(v)]; i != kNone && i != 0) {
        const ValueId before = a.order_of(v).at(i - 1);
        const int32_t w1 = a.writer[static_cast<size_t>(before)];
        if (node(w1) && w1 != w) edges.push_back({a.op(w1).index, a.op(w).index, Why{before, v, kNone, counts, false}});
      }
    for (int32_t r : a.readers_of(v))
      if (node(r) && r != w) edges.push_back({a.op(w).index, a.op(r).index, Why{kNone, kNone, v, false, counts}});
  }
  return edges;
}

Graph dependency_graph(const Analysis& a, bool ww_deps) {
  int64_t nodes = 0;
  for (const Op* op : a.ids.completions) nodes = std::max(nodes, op->index + 1);
  std::vector<Edge> edges = dependency_edges(a, ww_deps);
  std::sort(edges.begin(), edges.end(), [](const Edge& x, const Edge& y) { return std::tie(x.from, x.to) < std::tie(y.from, y.to); });
  Graph g;
  g.ids = &a.ids;
  g.begin.reserve(static_cast<size_t>(nodes) + 1);
  g.items.reserve(edges.size());
  size_t e = 0;
  for (int64_t u = 0; u < nodes; ++u) {
    for (; e < edges.size() && edges[e].from == u;) {
      size_t same = e + 1;
      while (same < edges.size() && edges[same].from == u && edges[same].to == edges[e].to) ++same;
      g.items.emplace_back(edges[e].to, same - e == 1 ? edges[e].why : merge({edges.data() + e, same - e}, a.ids));
      e = same;
    }
    g.end_row();
  }
  return g;
}

Adj adjacency(const Graph& g, bool ww_only) {
  Adj adj;
  adj.begin.reserve(g.begin.size());
  for (size_t u = 0; u < g.size(); ++u) {
    for (const auto& [v, why] : g[u])
      if (!ww_only || why.has_ww()) adj.items.push_back(v);
    adj.end_row();
  }
  return adj;
}

// The reverse of `adj`: each node's predecessors in ascending order.
Adj reversed(const Adj& adj) {
  Adj rev;
  rev.begin.assign(adj.size() + 1, 0);
  for (int64_t v : adj.items) ++rev.begin[static_cast<size_t>(v) + 1];
  for (size_t u = 0; u < adj.size(); ++u) rev.begin[u + 1] += rev.begin[u];
  rev.items.resize(adj.items.size());
  std::vector<int64_t> next(rev.begin.begin(), rev.begin.end() - 1);
  for (size_t u = 0; u < adj.size(); ++u)
    for (int64_t v : adj[u]) rev.items[static_cast<size_t>(next[static_cast<size_t>(v)]++)] = static_cast<int64_t>(u);
  return rev;
}

// Strongly connected components with two or more nodes (Kosaraju, iterative), each sorted.
std::vector<std::vector<int64_t>> components(const Adj& adj) {
  const size_t n = adj.size();
  std::vector<int64_t> post;
  post.reserve(n);
  std::vector<char> seen(n, 0);
  std::vector<std::pair<int64_t, size_t>> stack;
  for (size_t s = 0; s < n; ++s) {
    if (seen[s] || adj[s].empty()) continue;  // a node without successors is a component of one
    seen[s] = 1;
    stack.assign(1, {static_cast<int64_t>(s), 0});
    while (!stack.empty()) {
      const int64_t u = stack.back().first;
      const auto succ = adj[static_cast<size_t>(u)];
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
  const Adj rev = reversed(adj);
  std::vector<std::vector<int64_t>> out;
  std::vector<char> done(n, 0);
  std::vector<int64_t> comp, todo;
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    if (done[static_cast<size_t>(*it)]) continue;
    done[static_cast<size_t>(*it)] = 1;
    comp.clear();
    todo.assign(1, *it);
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
    out.push_back(comp);
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
  for (size_t i = 1; i < cycle.size(); ++i) detail += fmt::format(" -[{}]-> op {}", g.label(cycle[i - 1], cycle[i], prefer_wr), cycle[i]);
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
  for (int32_t c = 0; c < static_cast<int32_t>(a.ids.completions.size()); ++c)
    if (static_cast<size_t>(a.op(c).index) < invoked.size()) invoked[static_cast<size_t>(a.op(c).index)] = a.ids.invoked[static_cast<size_t>(c)];
  for (size_t u = 0; u < deps.size(); ++u)
    for (int64_t v : deps[u])
      if (invoked[static_cast<size_t>(v)] < invoked[u]) return true;
  return false;
}

RealtimeGraph with_realtime(const Analysis& a, const Adj& deps) {
  RealtimeGraph r;
  r.ops = static_cast<int64_t>(deps.size());
  // The ops in the graph (those with a dependency edge in or out), by invocation.
  std::vector<char> in_graph(deps.size(), 0);
  for (size_t u = 0; u < deps.size(); ++u)
    for (int64_t v : deps[u]) in_graph[u] = in_graph[static_cast<size_t>(v)] = 1;
  std::vector<std::pair<int64_t, int64_t>> by_invocation;  // (invocation index, op index)
  for (int32_t c = 0; c < static_cast<int32_t>(a.ids.completions.size()); ++c) {
    const int64_t op = a.op(c).index;
    if (static_cast<size_t>(op) < in_graph.size() && in_graph[static_cast<size_t>(op)])
      by_invocation.emplace_back(a.ids.invoked[static_cast<size_t>(c)], op);
  }
  std::sort(by_invocation.begin(), by_invocation.end());
  const auto times = static_cast<int64_t>(by_invocation.size());
  // An op leads, after its dependencies, to the time node of the first op invoked after it
  // completed (its completion's index is the op's).
  std::vector<int64_t> time_after(deps.size(), -1);
  for (const auto& [invoked, op] : by_invocation) {
    (void)invoked;
    auto next = std::upper_bound(by_invocation.begin(), by_invocation.end(), std::make_pair(op, INT64_MAX));
    if (next != by_invocation.end()) time_after[static_cast<size_t>(op)] = r.ops + (next - by_invocation.begin());
  }
  r.adj.begin.reserve(deps.size() + by_invocation.size() + 1);
  for (size_t u = 0; u < deps.size(); ++u) {
    const auto succ = deps[u];
    r.adj.items.insert(r.adj.items.end(), succ.begin(), succ.end());
    if (time_after[u] >= 0) r.adj.items.push_back(time_after[u]);
    r.adj.end_row();
  }
  for (int64_t k = 0; k < times; ++k) {  // a chain, each leading to the op invoked there
    r.adj.items.push_back(by_invocation[static_cast<size_t>(k)].second);
    if (k + 1 < times) r.adj.items.push_back(r.ops + k + 1);
    r.adj.end_row();
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
      detail += fmt::format(" -[{}]-> op {}", g.label(cycle[i - 1], x, prefer_wr), x);
    }
    through_time = false;
    if (i + 1 < cycle.size()) ops.push_back(x);
  }
  return anomaly("", detail, std::move(ops));
}

}  // namespace

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
  const Adj all = adjacency(g, false);
  // The first wr edge inside a component, if any.
  auto wr_edge = [&](const std::vector<int64_t>& comp) -> std::optional<std::pair<int64_t, int64_t>> {
    std::set<int64_t> in(comp.begin(), comp.end());
    for (int64_t u : comp) {
      if (u >= static_cast<int64_t>(g.size())) continue;
      for (const auto& [v, why] : g[static_cast<size_t>(u)])
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
  const RealtimeGraph all_rt = with_realtime(a, all);
  for (const auto& comp : components(all_rt.adj)) {
    const auto ops = ops_of(all_rt, comp);
    if (ops.size() == comp.size() || plain.count(ops)) continue;
    auto wr = wr_edge(ops);
    if (!wr) continue;
    g1c_realtime.push_back(render_realtime_cycle(g, all_rt, comp, wr->first, wr->second, true));
  }
}

}  // namespace check::jepsen
