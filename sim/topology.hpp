#pragma once
// Who can reach whom, and how fast. Link qualities live in a dense table (the hot path reads
// it for every message); reachability and component questions are answered by building a
// Boost.Graph view of the live links and running graph algorithms on it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/random.hpp"
#include "sim/trace.hpp"

namespace sim {

struct LinkParams {
  DurationDist latency = DurationDist::constant(Duration::micros(500));
  Duration jitter{};            // half-normal extra delay with this scale
  double loss = 0;              // per-message probability of a lost segment (costs a retransmit)
  double bandwidth = 0;         // bytes per second; 0 = unlimited
  Duration extra_delay{};       // clogging
};

class Topology {
 public:
  void add_node(NodeId id, std::string rack);
  size_t size() const { return racks_.size(); }
  const std::string& rack(NodeId id) const { return racks_.at(id); }

  // The default for links with nothing more specific.
  void set_default(const LinkParams& p);
  const LinkParams& default_params() const { return default_; }
  // Latency between (or within, when a == b) racks.
  void set_rack_link(const std::string& a, const std::string& b, const LinkParams& p);
  // A per-direction override (slow_network); cleared by clear_overrides.
  void set_override(NodeId from, NodeId to, const LinkParams& p);
  void clear_overrides();
  const LinkParams& params(NodeId from, NodeId to) const;

  bool up(NodeId from, NodeId to) const { return up_[index(from, to)] != 0; }
  void set_up(NodeId from, NodeId to, bool up) { up_[index(from, to)] = up ? 1 : 0; }
  void heal_all();

  // Graph questions, over directed links that are up.
  bool reachable(NodeId from, NodeId to) const;
  // Groups of nodes that can all reach each other both ways (strongly connected components),
  // each sorted, ordered by their smallest member.
  std::vector<std::vector<NodeId>> components() const;

 private:
  size_t index(NodeId from, NodeId to) const { return static_cast<size_t>(from) * capacity_ + to; }
  void grow(size_t need);
  void resolve(NodeId from, NodeId to);

  LinkParams default_;
  std::map<std::pair<std::string, std::string>, LinkParams> rack_links_;
  std::map<std::pair<NodeId, NodeId>, LinkParams> overrides_;
  std::vector<std::string> racks_;
  size_t capacity_ = 0;
  std::vector<uint8_t> up_;
  std::vector<LinkParams> resolved_;  // effective params per directed pair
};

}  // namespace sim
