#pragma once
// Checks a trace against its schema (broker_model/trace_schema.hpp): every event's kind is
// declared, every field is declared for its kind with its JSON type, in declared order, and no
// required field is missing. net.send may add, after its own fields, the fields its message
// declares. The typed emitters make a wrong event hard to write; this says so of a trace file.
#include <string>
#include <string_view>
#include <vector>

namespace check {

enum class JsonType { null, boolean, integer, real, string, structured };

struct JsonField {
  std::string key;
  JsonType type;
};

// What is wrong with an event of `kind` whose fields (after seq, t, node and kind) are
// `fields`, or empty when nothing is.
std::string validate_event_fields(std::string_view kind, const std::vector<JsonField>& fields);

// What is wrong with one line of a JSON Lines trace (kafkasim run --trace), or empty.
std::string validate_trace_line(std::string_view line);

}  // namespace check
