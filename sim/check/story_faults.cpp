#include "sim/check/story_faults.hpp"

#include <fmt/format.h>

#include "sim/check/explain.hpp"

namespace check {

void tell_node_faults(Story& story, const Timeline& timeline, const std::set<std::string>& nodes, int64_t from, int64_t to) {
  for (const NodeEvent& n : timeline.nodes) {
    if (n.time_ns < from || n.time_ns > to || !nodes.count(n.node)) continue;
    const char* what = n.kind == NodeEvent::Kind::crashed     ? "crashed"
                       : n.kind == NodeEvent::Kind::restarted ? "restarted"
                       : n.kind == NodeEvent::Kind::paused    ? "was paused"
                       : n.kind == NodeEvent::Kind::isolated  ? "was isolated"
                                                              : nullptr;
    if (what) story.at(n.time_ns, fmt::format("{} {} at {}", n.node, what, format_time(n.time_ns)));
  }
}

}  // namespace check
