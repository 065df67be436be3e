#pragma once
// The nodes' faults as sentences of a story: what an explanation of a handler's runs tells
// between them (a crash or pause of its member, a restart, a cut-off member or store).
#include <cstdint>
#include <set>
#include <string>

#include "sim/check/story.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// Crashes, pauses, isolations and restarts of `nodes` in [from, to], told at their times.
void tell_node_faults(Story& story, const Timeline& timeline, const std::set<std::string>& nodes, int64_t from, int64_t to);

}  // namespace check
