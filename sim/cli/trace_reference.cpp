#include "sim/cli/trace_reference.hpp"

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"

namespace sim::cli {

namespace {

using schema::FieldSpec;
using schema::KindSpec;

constexpr std::string_view kIntro = R"(# The trace reference

<!-- Generated from sim/world_events.def and broker_model/trace_events.def by
     `kafkasim trace-schema > docs/trace.md`; a test fails when this file is out of date. -->

A run's trace is every state change of the run, in order: what the checker, the report and
the tests read. `kafkasim run --trace FILE` writes it as JSON Lines, one event per line:

```
{"seq":0,"t":0,"node":null,"kind":"scenario","name":"Quickstart: ...","seed":7,"duration":40000000000,"kafka_version":"3.9"}
{"seq":439,"t":1010363750,"node":"broker-2","kind":"log.append","topic":"orders","partition":0,"role":"leader","base_offset":0,"count":7,"leader_epoch":0,"producer_id":-1,"base_sequence":-1,"leo":7}
```

`seq` is the event's place in the trace, `t` the simulated time in nanoseconds, `node` the
node that emitted it (null for the world's events), `kind` what happened; the fields follow,
in the order given below. Field types are JSON's: an *integer*, a *real* (a number; null when
not finite), a *boolean* or *text* (a string). Times and durations are integers in nanoseconds
unless a field says otherwise. A field marked optional may be absent; every other field is
always there. Lists (partitions, broker ids) are text, comma-separated.

Every kind is declared once, with its fields, in `sim/world_events.def` (the world's events)
and `broker_model/trace_events.def` (Kafka's); nodes emit them only through the emitters
generated from those declarations, and the checker reads them through the same declarations
(`sim/trace_schema.hpp`).
)";

bool same_fields(const KindSpec& a, const KindSpec& b) {
  if (a.node != b.node || a.fields.size() != b.fields.size()) return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    const FieldSpec& x = a.fields[i];
    const FieldSpec& y = b.fields[i];
    if (x.name != y.name || x.type != y.type || x.optional != y.optional || x.doc != y.doc) return false;
  }
  return true;
}

// A table cell's text: a '|' of its own would end the cell.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string field_table(std::span<const FieldSpec> fields) {
  std::string out = "| field | type | meaning |\n|---|---|---|\n";
  for (const FieldSpec& f : fields)
    out += fmt::format("| `{}` | {}{} | {} |\n", f.name, schema::type_name(f.type), f.optional ? ", optional" : "", cell(f.doc));
  return out;
}

// Kinds declared one after another with the same fields are shown under one table.
std::string kinds_markdown(std::span<const KindSpec* const> group) {
  std::string out = "###";
  for (size_t i = 0; i < group.size(); ++i) out += fmt::format("{} `{}`", i == 0 ? "" : ",", group[i]->name);
  out += "\n\n";
  if (group.size() == 1) {
    out += fmt::format("{} Emitted by: {}.\n\n", group[0]->doc, group[0]->node);
  } else {
    for (const KindSpec* k : group) out += fmt::format("- `{}`: {}\n", k->name, k->doc);
    out += fmt::format("\nEmitted by: {}.\n\n", group[0]->node);
  }
  if (group[0]->fields.empty()) out += "No fields.\n\n";
  else out += field_table(group[0]->fields) + "\n";
  if (group[0]->message_fields) out += "Then the fields of the message, if it has any (see [Message fields](#message-fields)).\n\n";
  return out;
}

std::string section_markdown(std::span<const schema::Entry> entries) {
  std::string out;
  std::vector<const KindSpec*> group;
  auto flush = [&] {
    if (!group.empty()) out += kinds_markdown(group);
    group.clear();
  };
  for (const schema::Entry& e : entries) {
    if (!e.kind) {
      flush();
      out += fmt::format("## {}\n\n{}\n\n", e.section, e.section_doc);
      continue;
    }
    if (!group.empty() && !same_fields(*group.front(), *e.kind)) flush();
    group.push_back(e.kind);
  }
  flush();
  return out;
}

std::string message_fields_markdown() {
  std::string out =
      "## Message fields\n\n"
      "After its own fields, a `net.send` carries what its message says of itself (a message "
      "without any adds none):\n\n"
      "| field | type | message: meaning |\n|---|---|---|\n";
  for (auto fields : {sim::event::message_fields, kafka::event::message_fields})
    for (const FieldSpec& f : fields) out += fmt::format("| `{}` | {} | {} |\n", f.name, schema::type_name(f.type), cell(f.doc));
  return out;
}

}  // namespace

std::string trace_reference_markdown() {
  std::string out(kIntro);
  out += "\n";
  for (auto entries : kafka::trace_schema::lists) out += section_markdown(entries);
  out += message_fields_markdown();
  return out;
}

}  // namespace sim::cli
