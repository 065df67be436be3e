#pragma once
// The world's trace events (sim/world_events.def) as emitters, views and specs:
// `world.emit(sim::event::NodeCrash{.node = ..., ...})`, `schema::read<event::NodeCrash>(e)`.
#include "sim/trace_schema.hpp"

namespace sim::event {
#define SIM_TRACE_LIST "sim/world_events.def"
#include "sim/trace_schema_generate.hpp"
}  // namespace sim::event
