#pragma once
// The trace's schema: every kind of event a run emits, with its fields. Data only: the
// checker and the report may include this header (and nothing else of the model) to read the
// trace through the same declarations the emitters use.
//
// Kafka's kinds are declared in broker_model/trace_events.def (kafka::event::LogAppend ...),
// the world's in sim/world_events.def (sim::event::NodeCrash ...); see sim/trace_schema.hpp
// for what each declaration gives.
#include <array>
#include <string_view>

#include "sim/trace_schema.hpp"
#include "sim/world_events.hpp"

namespace kafka::event {
#define SIM_TRACE_LIST "broker_model/trace_events.def"
#define SIM_TRACE_FIRST_ID ::sim::event::end_kind_id
#include "sim/trace_schema_generate.hpp"
}  // namespace kafka::event

namespace kafka::trace_schema {

// The list files in the order the trace reference shows them.
inline constexpr std::array<std::span<const sim::schema::Entry>, 2> lists{std::span<const sim::schema::Entry>(sim::event::entries),
                                                                          std::span<const sim::schema::Entry>(kafka::event::entries)};

// Every declared kind (the world's, then Kafka's), or null.
inline const sim::schema::KindSpec* find_kind(std::string_view name) {
  for (const auto* k : sim::event::kinds)
    if (k->name == name) return k;
  for (const auto* k : kafka::event::kinds)
    if (k->name == name) return k;
  return nullptr;
}

// A field a message adds to net.send, or null.
inline const sim::schema::FieldSpec* find_message_field(std::string_view name) {
  for (const auto& f : sim::event::message_fields)
    if (f.name == name) return &f;
  for (const auto& f : kafka::event::message_fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace kafka::trace_schema
