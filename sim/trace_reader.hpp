#pragma once
// Reads a JSON Lines trace (what JsonlSink writes) back into events, through the trace's
// schema: each line's kind is looked up, its fields checked against the kind's declaration
// (names, types, order, none required missing) and handed to a sink as the typed emitter
// would have made them, so a reader of the live trace reads the file the same way.
//
// The kernel does not know the model's kinds: the caller says where to look them up
// (kafka::trace_schema::find_kind and find_message_field).
#include <functional>
#include <istream>
#include <string>
#include <string_view>

#include "sim/trace.hpp"
#include "sim/trace_schema.hpp"

namespace sim {

struct TraceKinds {
  std::function<const schema::KindSpec*(std::string_view)> kind;
  std::function<const schema::FieldSpec*(std::string_view)> message_field;
};

// Hands every event of `in` to `sink` in order (then calls finish). Returns "" or, for the
// first line that is not an event of the schema, "NAME:LINE: what is wrong".
std::string read_jsonl_trace(std::istream& in, std::string_view name, const TraceKinds& kinds, TraceSink& sink);

}  // namespace sim
