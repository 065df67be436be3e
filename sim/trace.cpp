#include "sim/trace.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sim/escape.hpp"
#include "sim/trace_schema.hpp"

namespace sim {

StoredEvent::StoredEvent(const Event& e) : seq(e.seq), time(e.time), node(e.node), kind(e.kind) {
  fields.reserve(e.fields.size());
  for (const Field& f : e.fields) {
    StoredField sf{std::string(f.key), f.value.type(), 0, 0, {}};
    switch (f.value.type()) {
      case Value::Type::integer: sf.i = f.value.integer(); break;
      case Value::Type::real: sf.d = f.value.real(); break;
      case Value::Type::boolean: sf.i = f.value.boolean() ? 1 : 0; break;
      case Value::Type::text: sf.s = std::string(f.value.text()); break;
    }
    fields.push_back(std::move(sf));
  }
}

const StoredEvent::StoredField* StoredEvent::field(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

int64_t StoredEvent::integer(std::string_view key, int64_t fallback) const {
  const StoredField* f = field(key);
  return f ? f->i : fallback;
}

std::string StoredEvent::text(std::string_view key) const {
  const StoredField* f = field(key);
  return f ? f->s : std::string();
}

void NodeNames::set(NodeId id, std::string name) {
  if (names_.size() <= id) names_.resize(id + 1);
  names_[id] = std::move(name);
}

std::string_view NodeNames::get(NodeId id) const {
  if (id < names_.size()) return names_[id];
  return {};
}

std::vector<const StoredEvent*> MemorySink::of_kind(std::string_view kind) const {
  std::vector<const StoredEvent*> out;
  for (const auto& e : events_)
    if (e.kind == kind) out.push_back(&e);
  return out;
}


void format_event_json(const Event& e, std::string& out) {
  out += fmt::format("{{\"seq\":{},\"t\":{},\"node\":", e.seq, e.time.ns);
  if (e.node == kNoNode) out += "null";
  else if (e.node_name.empty()) out += fmt::format("{}", e.node);
  else append_json_string(out, e.node_name);
  out += ",\"kind\":";
  append_json_string(out, e.kind);
  for (const Field& f : e.fields) {
    out.push_back(',');
    append_json_string(out, f.key);
    out.push_back(':');
    switch (f.value.type()) {
      case Value::Type::integer: out += fmt::format("{}", f.value.integer()); break;
      case Value::Type::real:
        if (std::isfinite(f.value.real())) out += fmt::format("{}", f.value.real());
        else out += "null";
        break;
      case Value::Type::boolean: out += f.value.boolean() ? "true" : "false"; break;
      case Value::Type::text: append_json_string(out, f.value.text()); break;
    }
  }
  out.push_back('}');
}

void JsonlSink::write(const Event& e) {
  line_.clear();
  format_event_json(e, line_);
  line_.push_back('\n');
  out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
}

void Trace::emit(Time t, NodeId node, const schema::KindSpec& spec, std::span<const Field> fields) {
  emit_event(t, node, spec.name, &spec, fields);
}

void Trace::emit_event(Time t, NodeId node, std::string_view kind, const schema::KindSpec* spec, std::span<const Field> fields) {
  const Event e{count_++, t, node, node == kNoNode ? std::string_view() : names_.get(node), kind, fields, spec};
  hash_.word(static_cast<uint64_t>(t.ns));
  hash_.word(node);
  hash_.bytes(kind);
  // An event kind's fields and their order are fixed by its emitter, so the values with their
  // types tell two events of a kind apart; a key goes in by its length and end bytes, one word
  // with the type, enough to tell a renamed field without hashing every key's bytes.
  for (const Field& f : fields) {
    const uint64_t key = f.key.empty() ? 0
                                       : f.key.size() << 8 | static_cast<uint64_t>(static_cast<uint8_t>(f.key.front())) << 40 |
                                             static_cast<uint64_t>(static_cast<uint8_t>(f.key.back())) << 48;
    hash_.word(static_cast<uint64_t>(f.value.type()) | key);
    switch (f.value.type()) {
      case Value::Type::integer: hash_.word(static_cast<uint64_t>(f.value.integer())); break;
      case Value::Type::real: {
        uint64_t bits;
        const double d = f.value.real();
        std::memcpy(&bits, &d, sizeof bits);
        hash_.word(bits);
        break;
      }
      case Value::Type::boolean: hash_.word(f.value.boolean() ? 1 : 0); break;
      case Value::Type::text: hash_.bytes(f.value.text()); break;
    }
  }
  for (TraceSink* s : sinks_) s->write(e);
}

void Trace::remove_sink(TraceSink* sink) {
  sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), sink), sinks_.end());
}

void Trace::finish() {
  for (TraceSink* s : sinks_) s->finish();
}

}  // namespace sim
