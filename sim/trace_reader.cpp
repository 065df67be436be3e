#include "sim/trace_reader.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sim {

namespace {

using schema::FieldSpec;
using schema::FieldType;

enum class JsonType { null, boolean, integer, real, string, structured };

// One top-level member of a line, owning its text until the event has been handed on.
struct Member {
  std::string key;
  JsonType type = JsonType::null;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  std::string s;
};

// Collects a line's top-level members in order (keys may repeat: node.* events have a "node"
// field after the envelope's).
class LineParser final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<Member> members;
  std::string error;

  bool null() override { return scalar(Member{key_, JsonType::null, 0, 0, false, {}}); }
  bool boolean(bool v) override { return scalar(Member{key_, JsonType::boolean, 0, 0, v, {}}); }
  bool number_integer(number_integer_t v) override { return scalar(Member{key_, JsonType::integer, v, 0, false, {}}); }
  bool number_unsigned(number_unsigned_t v) override {
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return fail("an integer above 2^63-1");
    return scalar(Member{key_, JsonType::integer, static_cast<int64_t>(v), 0, false, {}});
  }
  bool number_float(number_float_t v, const string_t&) override { return scalar(Member{key_, JsonType::real, 0, v, false, {}}); }
  bool string(string_t& v) override { return scalar(Member{key_, JsonType::string, 0, 0, false, std::move(v)}); }
  bool binary(binary_t&) override { return fail("binary data"); }
  bool start_object(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(fmt::format("not JSON at byte {}: {}", position, e.what()));
  }

 private:
  bool fail(std::string why) {
    if (error.empty()) error = std::move(why);
    return false;
  }
  bool scalar(Member m) {
    if (depth_ == 0) return fail("not a JSON object");
    if (depth_ == 1) members.push_back(std::move(m));
    return true;
  }
  bool open() {
    if (depth_ == 1) return fail(fmt::format("field '{}' is an object or array; the trace has none", key_));
    ++depth_;
    return true;
  }
  bool close() {
    --depth_;
    return true;
  }
  int depth_ = 0;
  std::string key_;
};

// The member as the trace's Value of the declared type, or why it cannot be.
std::string to_value(const Member& m, FieldType declared, std::optional<Value>& out) {
  switch (declared) {
    case FieldType::integer:
      if (m.type == JsonType::integer) out = Value(m.i);
      break;
    case FieldType::real:  // a whole real prints as an integer, a non-finite one as null
      if (m.type == JsonType::real) out = Value(m.d);
      else if (m.type == JsonType::integer) out = Value(static_cast<double>(m.i));
      else if (m.type == JsonType::null) out = Value(std::numeric_limits<double>::quiet_NaN());
      break;
    case FieldType::boolean:
      if (m.type == JsonType::boolean) out = Value(m.b);
      break;
    case FieldType::text:
      if (m.type == JsonType::string) out = Value(std::string_view(m.s));
      break;
    case FieldType::integer_or_text:
      if (m.type == JsonType::integer) out = Value(m.i);
      else if (m.type == JsonType::string) out = Value(std::string_view(m.s));
      break;
  }
  if (out) return {};
  return fmt::format("field '{}' is not {}", m.key, schema::type_name(declared));
}

// The fields after the envelope, checked against the kind's declaration, as emitted.
std::string to_fields(const schema::KindSpec& spec, const TraceKinds& kinds, std::span<const Member> members, std::vector<Field>& out) {
  size_t next = 0;
  size_t i = 0;
  for (; i < members.size(); ++i) {
    size_t j = next;
    while (j < spec.fields.size() && spec.fields[j].name != members[i].key) ++j;
    if (j == spec.fields.size()) break;  // not (or no longer) one of the kind's own fields
    for (size_t k = next; k < j; ++k)
      if (!spec.fields[k].optional) return fmt::format("{}: required field '{}' is missing", spec.name, spec.fields[k].name);
    std::optional<Value> v;
    if (std::string e = to_value(members[i], spec.fields[j].type, v); !e.empty()) return fmt::format("{}: {}", spec.name, e);
    out.push_back(Field{spec.fields[j].name, *v});
    next = j + 1;
  }
  for (size_t k = next; k < spec.fields.size(); ++k)
    if (!spec.fields[k].optional) return fmt::format("{}: required field '{}' is missing", spec.name, spec.fields[k].name);
  for (; i < members.size(); ++i) {
    const FieldSpec* m = spec.message_fields && kinds.message_field ? kinds.message_field(members[i].key) : nullptr;
    if (!m) return fmt::format("{}: field '{}' is not declared (or not in declared order)", spec.name, members[i].key);
    std::optional<Value> v;
    if (std::string e = to_value(members[i], m->type, v); !e.empty()) return fmt::format("{}: {}", spec.name, e);
    out.push_back(Field{m->name, *v});
  }
  return {};
}

// Node names in the order they first appear: the file names nodes, the events number them.
class NodeIds {
 public:
  NodeId id(const std::string& name) {
    auto [it, added] = ids_.try_emplace(name, static_cast<NodeId>(ids_.size()));
    return it->second;
  }

 private:
  std::map<std::string, NodeId, std::less<>> ids_;
};

std::string read_line(std::string_view line, const TraceKinds& kinds, NodeIds& nodes, TraceSink& sink) {
  LineParser p;
  nlohmann::json::sax_parse(line, &p);
  if (!p.error.empty()) return p.error;
  const auto& m = p.members;
  if (m.size() < 4 || m[0].key != "seq" || m[1].key != "t" || m[2].key != "node" || m[3].key != "kind")
    return "the event does not begin with seq, t, node, kind";
  if (m[0].type != JsonType::integer || m[1].type != JsonType::integer) return "seq and t must be integers";
  if (m[3].type != JsonType::string) return "kind must be a string";
  const schema::KindSpec* spec = kinds.kind(m[3].s);
  if (!spec) return fmt::format("kind '{}' is not declared", m[3].s);
  Event e{static_cast<uint64_t>(m[0].i), Time{m[1].i}, kNoNode, {}, spec->name, {}, spec};
  if (m[2].type == JsonType::string) {
    e.node = nodes.id(m[2].s);
    e.node_name = m[2].s;
  } else if (m[2].type == JsonType::integer && m[2].i >= 0 && m[2].i < kNoNode) {
    e.node = static_cast<NodeId>(m[2].i);
  } else if (m[2].type != JsonType::null) {
    return "node must be a name, a number or null";
  }
  std::vector<Field> fields;
  if (std::string error = to_fields(*spec, kinds, std::span<const Member>(m).subspan(4), fields); !error.empty()) return error;
  e.fields = fields;
  sink.write(e);
  return {};
}

}  // namespace

std::string read_jsonl_trace(std::istream& in, std::string_view name, const TraceKinds& kinds, TraceSink& sink) {
  NodeIds nodes;
  std::string line;
  for (uint64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    if (std::string error = read_line(line, kinds, nodes, sink); !error.empty()) return fmt::format("{}:{}: {}", name, number, error);
  }
  if (in.bad()) return fmt::format("{}: the file could not be read", name);
  sink.finish();
  return {};
}

}  // namespace sim
