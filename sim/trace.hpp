#pragma once
// The trace: the single source of truth for checkers, reports and tests.
//
// An event is (time, node, kind, fields). Kinds and field keys are short dotted names
// ("net.drop", "node.crash") declared in the trace's schema (sim/trace_schema.hpp), whose
// emitters nodes and the world use. Emission borrows strings and builds nothing on the heap;
// each sink decides what to keep. The hash sink is always on, so every
// run can print a trace hash that two runs of one seed must share.
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sim/hash.hpp"
#include "sim/time.hpp"

namespace sim {

namespace schema {
struct KindSpec;
}

using NodeId = uint32_t;
constexpr NodeId kNoNode = UINT32_MAX;  // events of the world itself (faults, narration)

// A field value as emitted: integers, reals, booleans, or borrowed text.
class Value {
 public:
  enum class Type : uint8_t { integer, real, boolean, text };

  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Value(T v) : type_(Type::integer), i_(static_cast<int64_t>(v)) {}
  Value(double v) : type_(Type::real), d_(v) {}
  Value(bool v) : type_(Type::boolean), b_(v) {}
  Value(std::string_view v) : type_(Type::text), s_(v) {}
  Value(const char* v) : Value(std::string_view(v)) {}
  Value(const std::string& v) : Value(std::string_view(v)) {}
  Value(Duration d) : Value(d.ns) {}
  Value(Time t) : Value(t.ns) {}

  Type type() const { return type_; }
  int64_t integer() const { return i_; }
  double real() const { return d_; }
  bool boolean() const { return b_; }
  std::string_view text() const { return s_; }

 private:
  Type type_;
  union {
    int64_t i_;
    double d_;
    bool b_;
  };
  std::string_view s_;
};

struct Field {
  std::string_view key;
  Value value;
};

struct Event {
  uint64_t seq;  // position in the trace, from 0
  Time time;
  NodeId node;
  std::string_view node_name;  // empty for world events
  std::string_view kind;
  std::span<const Field> fields;
  const schema::KindSpec* spec = nullptr;  // the declared kind (sim/trace_schema.hpp); null when emitted by name
};

// An event that owns its strings, for sinks and tests that keep events.
struct StoredEvent {
  struct StoredField {
    std::string key;
    Value::Type type;
    int64_t i = 0;
    double d = 0;
    std::string s;
  };
  uint64_t seq;
  Time time;
  NodeId node;
  std::string kind;
  std::vector<StoredField> fields;

  explicit StoredEvent(const Event& e);
  const StoredField* field(std::string_view key) const;
  int64_t integer(std::string_view key, int64_t fallback = 0) const;
  std::string text(std::string_view key) const;
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void write(const Event& e) = 0;
  virtual void finish() {}
};

// Node names, so sinks and readers can show "broker-1" rather than 3.
class NodeNames {
 public:
  void set(NodeId id, std::string name);
  std::string_view get(NodeId id) const;

 private:
  std::vector<std::string> names_;
};

class MemorySink : public TraceSink {
 public:
  void write(const Event& e) override { events_.emplace_back(e); }
  const std::vector<StoredEvent>& events() const { return events_; }
  std::vector<const StoredEvent*> of_kind(std::string_view kind) const;

 private:
  std::vector<StoredEvent> events_;
};

// One JSON object per line: {"seq":..,"t":<ns>,"node":"name","kind":"..", fields...}.
class JsonlSink : public TraceSink {
 public:
  explicit JsonlSink(std::ostream& out) : out_(out) {}
  void write(const Event& e) override;
  void finish() override { out_.flush(); }

 private:
  std::ostream& out_;
  std::string line_;
};

// Formats one event as a JSON line (no trailing newline).
void format_event_json(const Event& e, std::string& out);

class Trace {
 public:
  // Emits an event stamped with the given time and node to every sink and the hash.
  void emit(Time t, NodeId node, std::string_view kind, std::initializer_list<Field> fields) {
    emit(t, node, kind, std::span<const Field>(fields.begin(), fields.size()));
  }
  void emit(Time t, NodeId node, std::string_view kind, std::span<const Field> fields) { emit_event(t, node, kind, nullptr, fields); }
  // A kind of the schema (what typed emitters use: Context::trace, World::emit). The fields are
  // the kind's, in declared order, every required one present (readers rely on it); net.send's
  // message fields follow its own.
  void emit(Time t, NodeId node, const schema::KindSpec& spec, std::span<const Field> fields);

  void add_sink(TraceSink* sink) { sinks_.push_back(sink); }
  void remove_sink(TraceSink* sink);
  void finish();

  uint64_t hash() const { return hash_.value(); }
  uint64_t events() const { return count_; }
  NodeNames& names() { return names_; }
  const NodeNames& names() const { return names_; }

 private:
  void emit_event(Time t, NodeId node, std::string_view kind, const schema::KindSpec* spec, std::span<const Field> fields);

  std::vector<TraceSink*> sinks_;
  StreamHash hash_;
  uint64_t count_ = 0;
  NodeNames names_;
};

}  // namespace sim
