#include "sim/topology.hpp"

#include <algorithm>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/strong_components.hpp>

namespace sim {

namespace {
struct VertexProps {
  std::string rack;
};
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, VertexProps>;

Graph build_graph(const std::vector<std::string>& racks, const std::vector<uint8_t>& up, size_t capacity) {
  const size_t n = racks.size();
  Graph g(n);
  for (size_t v = 0; v < n; ++v) g[v].rack = racks[v];
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b)
      if (a != b && up[a * capacity + b]) boost::add_edge(a, b, g);
  return g;
}
}  // namespace

void Topology::grow(size_t need) {
  if (need <= capacity_) return;
  size_t cap = std::max<size_t>(16, capacity_);
  while (cap < need) cap *= 2;
  std::vector<uint8_t> up(cap * cap, 1);
  std::vector<LinkParams> resolved(cap * cap, default_);
  for (size_t a = 0; a < capacity_; ++a)
    for (size_t b = 0; b < capacity_; ++b) {
      up[a * cap + b] = up_[a * capacity_ + b];
      resolved[a * cap + b] = resolved_[a * capacity_ + b];
    }
  up_ = std::move(up);
  resolved_ = std::move(resolved);
  capacity_ = cap;
}

void Topology::add_node(NodeId id, std::string rack) {
  if (racks_.size() <= id) racks_.resize(id + 1);
  racks_[id] = std::move(rack);
  grow(racks_.size());
  for (NodeId other = 0; other < racks_.size(); ++other) {
    resolve(id, other);
    resolve(other, id);
  }
}

void Topology::resolve(NodeId from, NodeId to) {
  const LinkParams* p = &default_;
  if (from < racks_.size() && to < racks_.size()) {
    auto rl = rack_links_.find({std::min(racks_[from], racks_[to]), std::max(racks_[from], racks_[to])});
    if (rl != rack_links_.end()) p = &rl->second;
  }
  auto ov = overrides_.find({from, to});
  if (ov != overrides_.end()) p = &ov->second;
  resolved_[index(from, to)] = *p;
}

void Topology::set_default(const LinkParams& p) {
  default_ = p;
  for (NodeId a = 0; a < racks_.size(); ++a)
    for (NodeId b = 0; b < racks_.size(); ++b) resolve(a, b);
}

void Topology::set_rack_link(const std::string& a, const std::string& b, const LinkParams& p) {
  rack_links_[{std::min(a, b), std::max(a, b)}] = p;
  for (NodeId x = 0; x < racks_.size(); ++x)
    for (NodeId y = 0; y < racks_.size(); ++y) resolve(x, y);
}

void Topology::set_override(NodeId from, NodeId to, const LinkParams& p) {
  overrides_[{from, to}] = p;
  resolve(from, to);
}

void Topology::clear_overrides() {
  auto old = std::move(overrides_);
  overrides_.clear();
  for (const auto& [pair, _] : old) resolve(pair.first, pair.second);
}

const LinkParams& Topology::params(NodeId from, NodeId to) const { return resolved_[index(from, to)]; }

void Topology::heal_all() { std::fill(up_.begin(), up_.end(), 1); }

bool Topology::reachable(NodeId from, NodeId to) const {
  if (from == to) return true;
  const Graph g = build_graph(racks_, up_, capacity_);
  std::vector<boost::default_color_type> color(boost::num_vertices(g));
  auto color_map = boost::make_iterator_property_map(color.begin(), boost::get(boost::vertex_index, g));
  boost::breadth_first_search(g, boost::vertex(from, g), boost::color_map(color_map));
  return color[to] != boost::white_color;
}

std::vector<std::vector<NodeId>> Topology::components() const {
  const Graph g = build_graph(racks_, up_, capacity_);
  std::vector<int> comp(boost::num_vertices(g));
  const int count = boost::strong_components(
      g, boost::make_iterator_property_map(comp.begin(), boost::get(boost::vertex_index, g)));
  std::vector<std::vector<NodeId>> groups(static_cast<size_t>(count));
  for (NodeId v = 0; v < comp.size(); ++v) groups[static_cast<size_t>(comp[v])].push_back(v);
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
  return groups;
}

}  // namespace sim
