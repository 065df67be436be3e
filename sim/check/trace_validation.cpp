#include "sim/check/trace_validation.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "broker_model/trace_schema.hpp"

namespace check {

namespace {

using sim::schema::FieldSpec;
using sim::schema::FieldType;

bool fits(FieldType declared, JsonType found) {
  switch (declared) {
    case FieldType::integer: return found == JsonType::integer;
    // A real prints as an integer when it is whole, and as null when it is not finite.
    case FieldType::real: return found == JsonType::real || found == JsonType::integer || found == JsonType::null;
    case FieldType::boolean: return found == JsonType::boolean;
    case FieldType::text: return found == JsonType::string;
    case FieldType::integer_or_text: return found == JsonType::integer || found == JsonType::string;
  }
  return false;
}

std::string_view json_type_name(JsonType t) {
  switch (t) {
    case JsonType::null: return "null";
    case JsonType::boolean: return "a boolean";
    case JsonType::integer: return "an integer";
    case JsonType::real: return "a real";
    case JsonType::string: return "a string";
    case JsonType::structured: return "an object or array";
  }
  return "?";
}

std::string wrong_type(std::string_view kind, std::string_view key, FieldType declared, JsonType found) {
  return fmt::format("{}: field '{}' is {}, declared {}", kind, key, json_type_name(found), sim::schema::type_name(declared));
}

// Collects a line's top-level keys in order with the type of each value (keys may repeat:
// node.* events have a "node" field after the envelope's "node").
class LineReader final : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::vector<JsonField> fields;
  std::string kind;
  std::string error;

  bool null() override { return value(JsonType::null); }
  bool boolean(bool) override { return value(JsonType::boolean); }
  bool number_integer(number_integer_t) override { return value(JsonType::integer); }
  bool number_unsigned(number_unsigned_t) override { return value(JsonType::integer); }
  bool number_float(number_float_t, const string_t&) override { return value(JsonType::real); }
  bool string(string_t& s) override {
    if (depth_ == 1 && key_ == "kind" && fields.size() == 3) kind = s;
    return value(JsonType::string);
  }
  bool binary(binary_t&) override { return value(JsonType::structured); }
  bool start_object(std::size_t) override { return open(); }
  bool end_object() override { return close(); }
  bool start_array(std::size_t) override { return open(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    if (depth_ == 1) key_ = k;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    error = fmt::format("not JSON at byte {}: {}", position, e.what());
    return false;
  }

 private:
  bool value(JsonType t) {
    if (depth_ == 0) {
      error = "not a JSON object";
      return false;
    }
    if (depth_ == 1) fields.push_back({key_, t});
    return true;
  }
  bool open() {
    if (depth_ == 1) fields.push_back({key_, JsonType::structured});
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

std::string check_envelope(const std::vector<JsonField>& f) {
  static constexpr std::string_view keys[] = {"seq", "t", "node", "kind"};
  for (size_t i = 0; i < 4; ++i)
    if (i >= f.size() || f[i].key != keys[i]) return fmt::format("the event does not begin with seq, t, node, kind");
  if (f[0].type != JsonType::integer || f[1].type != JsonType::integer) return "seq and t must be integers";
  if (f[2].type != JsonType::string && f[2].type != JsonType::null && f[2].type != JsonType::integer)
    return "node must be a name, a number or null";
  if (f[3].type != JsonType::string) return "kind must be a string";
  return {};
}

}  // namespace

std::string validate_event_fields(std::string_view kind, const std::vector<JsonField>& fields) {
  const sim::schema::KindSpec* spec = kafka::trace_schema::find_kind(kind);
  if (!spec) return fmt::format("kind '{}' is not declared", kind);
  const auto declared = spec->fields;
  size_t next = 0;  // the declared field the next one may be, at the earliest
  size_t i = 0;
  for (; i < fields.size(); ++i) {
    const JsonField& f = fields[i];
    size_t j = next;
    while (j < declared.size() && declared[j].name != f.key) ++j;
    if (j == declared.size()) break;  // not (or no longer) one of the kind's own fields
    for (size_t k = next; k < j; ++k)
      if (!declared[k].optional) return fmt::format("{}: required field '{}' is missing before '{}'", kind, declared[k].name, f.key);
    if (!fits(declared[j].type, f.type)) return wrong_type(kind, f.key, declared[j].type, f.type);
    next = j + 1;
  }
  for (size_t k = next; k < declared.size(); ++k)
    if (!declared[k].optional) return fmt::format("{}: required field '{}' is missing", kind, declared[k].name);
  for (; i < fields.size(); ++i) {
    const JsonField& f = fields[i];
    const FieldSpec* m = spec->message_fields ? kafka::trace_schema::find_message_field(f.key) : nullptr;
    if (!m) return fmt::format("{}: field '{}' is not declared (or not in declared order)", kind, f.key);
    if (!fits(m->type, f.type)) return wrong_type(kind, f.key, m->type, f.type);
  }
  return {};
}

std::string validate_trace_line(std::string_view line) {
  LineReader r;
  nlohmann::json::sax_parse(line, &r);
  if (!r.error.empty()) return r.error;
  if (std::string e = check_envelope(r.fields); !e.empty()) return e;
  return validate_event_fields(r.kind, std::vector<JsonField>(r.fields.begin() + 4, r.fields.end()));
}

}  // namespace check
