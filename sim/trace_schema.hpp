#pragma once
// The trace's schema: every event kind, its fields and their types, declared once in a list
// file (sim/world_events.def for the world's events, broker_model/trace_events.def for
// Kafka's) and turned by sim/trace_schema_generate.hpp into, for each kind:
//
//   - an emitter struct, `LogAppend{.topic = ..., .partition = ...}`, the only way a node or
//     the world emits that kind (Context::trace, World::emit): a field's name, type and place
//     cannot drift from the declaration, and a required field cannot be left out (the argument
//     types have no default);
//   - its KindSpec (`LogAppend::spec`): name, node, description and field specs, for the
//     validator and the trace reference (docs/trace.md);
//   - a View (`LogAppend::View`), the fields as plain values, for readers: `read<LogAppend>(e)`.
//
// Emission builds the fields in a fixed array on the stack, as the initializer lists did
// before, and borrows strings: construct the emitter inside the call that emits it.
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "sim/time.hpp"
#include "sim/trace.hpp"

namespace sim::schema {

enum class FieldType : uint8_t { integer, real, boolean, text, integer_or_text };

constexpr std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::integer: return "integer";
    case FieldType::real: return "real";
    case FieldType::boolean: return "boolean";
    case FieldType::text: return "text";
    case FieldType::integer_or_text: return "integer or text";
  }
  return "?";
}

struct FieldSpec {
  std::string_view name;
  FieldType type = FieldType::integer;
  bool optional = false;
  std::string_view doc;
};

struct KindSpec {
  std::string_view name;  // "log.append"
  std::string_view node;  // which node emits it ("broker", "world", ...)
  std::string_view doc;
  std::span<const FieldSpec> fields;
  bool message_fields = false;  // the declared fields are followed by the message's own (net.send)
  uint16_t id = 0;              // its place among every declared kind, the world's first
};

// Readers keep the kinds they read as a bit set of ids, so an event of another kind costs a test.
inline constexpr size_t kMaxKinds = 256;

// One line of a list file in order: a section heading or a kind.
struct Entry {
  const KindSpec* kind = nullptr;
  std::string_view section;  // when kind is null
  std::string_view section_doc;
  // Whether this entry is a kind. Said apart from `kind`: comparing the address of a static with
  // null is not a constant expression for GCC with the sanitizers on.
  bool is_kind = false;
};

// ---- the argument types of emitters: what each field type accepts ----
// Each holds its value as it came (an emitter is built, then written, on every emission: the
// smaller it is, the less is copied) and makes the trace's Value when written.

struct Integer {
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  Integer(T x) : v(static_cast<int64_t>(x)) {}
  Integer(Duration d) : v(d.ns) {}  // nanoseconds
  Integer(Time t) : v(t.ns) {}
  Value value() const { return Value(v); }
  int64_t v;
};

struct Real {
  template <std::floating_point T>
  Real(T x) : v(static_cast<double>(x)) {}
  Value value() const { return Value(v); }
  double v;
};

struct Boolean {
  template <typename T>
    requires std::same_as<T, bool>  // not an int or a pointer that happens to convert
  Boolean(T x) : v(x) {}
  Value value() const { return Value(v); }
  bool v;
};

struct Text {
  Text(std::string_view x) : v(x) {}
  Text(const char* x) : v(x) {}
  Text(const std::string& x) : v(x) {}
  Value value() const { return Value(v); }
  std::string_view v;
};

// A count where there was nothing to list, a list otherwise (consumer.commit's offsets).
struct IntegerOrText {
  template <typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, bool>)
  IntegerOrText(T x) : v(x) {}
  IntegerOrText(std::string_view x) : v(x) {}
  IntegerOrText(const char* x) : v(x) {}
  IntegerOrText(const std::string& x) : v(x) {}
  Value value() const { return v; }
  Value v;
};

template <typename A>
concept ArgType = requires(const A& a) {
  { a.value() } -> std::same_as<Value>;
};

// An optional field: absent unless given.
template <typename A>
struct Optional {
  Optional() = default;
  template <typename T>
    requires std::is_constructible_v<A, T&&>
  Optional(T&& v) : arg(std::in_place, std::forward<T>(v)) {}
  std::optional<A> arg;
};

// ---- what readers get: plain values, with the fallbacks of a missing field ----

template <FieldType>
struct Traits;
template <>
struct Traits<FieldType::integer> {
  using ArgType = Integer;
  using View = int64_t;
  static View fallback() { return -1; }
  static void read(const Value& v, View& out) {
    if (v.type() == Value::Type::integer) out = v.integer();
  }
};
template <>
struct Traits<FieldType::real> {
  using ArgType = Real;
  using View = double;
  static View fallback() { return 0; }
  static void read(const Value& v, View& out) {
    if (v.type() == Value::Type::real) out = v.real();
  }
};
template <>
struct Traits<FieldType::boolean> {
  using ArgType = Boolean;
  using View = bool;
  static View fallback() { return false; }
  static void read(const Value& v, View& out) {
    if (v.type() == Value::Type::boolean) out = v.boolean();
  }
};
template <>
struct Traits<FieldType::text> {
  using ArgType = Text;
  using View = std::string_view;
  static View fallback() { return {}; }
  static void read(const Value& v, View& out) {
    if (v.type() == Value::Type::text) out = v.text();
  }
};
template <>
struct Traits<FieldType::integer_or_text> {
  using ArgType = IntegerOrText;
  using View = Value;
  static View fallback() { return Value(int64_t{-1}); }
  static void read(const Value& v, View& out) {
    if (v.type() == Value::Type::integer || v.type() == Value::Type::text) out = v;
  }
};

template <FieldType T>
using ArgOf = typename Traits<T>::ArgType;
template <FieldType T>
using ViewOf = typename Traits<T>::View;

// ---- building and reading field lists ----

// The fields of one event, on the stack. The slots are left uninitialized until written (a
// trivial assignment to a union member starts its lifetime): emission is hot.
template <size_t N>
class FieldArray {
 public:
  template <ArgType A>
  void add(std::string_view key, const A& a) {
    slots_.fields[n_++] = Field{key, a.value()};
  }
  template <typename A>
  void add(std::string_view key, const Optional<A>& o) {
    if (o.arg) add(key, *o.arg);
  }
  std::span<const Field> fields() const { return {slots_.fields, n_}; }

 private:
  union Slots {
    Slots() {}
    Field fields[N == 0 ? 1 : N];
  } slots_;
  size_t n_ = 0;
};

// Appends to a growing list (net.send, whose message adds its own fields after).
class FieldVector {
 public:
  explicit FieldVector(std::vector<Field>& out) : out_(out) {}
  template <ArgType A>
  void add(std::string_view key, const A& a) {
    out_.push_back(Field{key, a.value()});
  }
  template <typename A>
  void add(std::string_view key, const Optional<A>& o) {
    if (o.arg) add(key, *o.arg);
  }

 private:
  std::vector<Field>& out_;
};

// Reads a view's fields. An event its kind's emitter made (Ordered) holds the declared fields
// in order, each required one present: the next field is the one asked for, and only an
// optional one needs its key looked at (it may be absent). An event built by hand (a test's)
// is searched by key, the next one first. Everything here is inlined into the view's read, so
// the reader lives in registers and each key's length is a constant.
template <bool Ordered>
class FieldReader {
 public:
  explicit FieldReader(std::span<const Field> fields) : fields_(fields) {}
  template <FieldType T>
  [[gnu::always_inline]] void get(std::string_view key, ViewOf<T>& out) {
    if (Ordered && next_ < fields_.size()) Traits<T>::read(fields_[next_++].value, out);
    else get_optional<T>(key, out);
  }
  template <FieldType T>
  [[gnu::always_inline]] void get_optional(std::string_view key, ViewOf<T>& out) {
    if (next_ < fields_.size() && same(fields_[next_].key, key)) {
      Traits<T>::read(fields_[next_++].value, out);
    } else if (!Ordered) {
      if (const Value* v = find(key)) Traits<T>::read(*v, out);
    }
  }

 private:
  // Keys are string literals, one object per spelling once linked: the pointers tell a match
  // without comparing bytes (and a key of another length differs at once).
  [[gnu::always_inline]] static bool same(std::string_view a, std::string_view b) {
    return a.size() == b.size() && (a.data() == b.data() || std::memcmp(a.data(), b.data(), b.size()) == 0);
  }
  const Value* find(std::string_view key) {
    for (size_t i = next_; i < fields_.size(); ++i)
      if (fields_[i].key == key) return found(i);
    for (size_t i = 0; i < next_ && i < fields_.size(); ++i)
      if (fields_[i].key == key) return found(i);
    return nullptr;
  }
  const Value* found(size_t i) {
    next_ = i + 1;
    return &fields_[i].value;
  }
  std::span<const Field> fields_;
  size_t next_ = 0;
};

// ---- emitting and reading by kind ----

template <typename E>
concept EventType = requires(const E& e, FieldArray<E::max_fields>& out) {
  { E::spec } -> std::convertible_to<const KindSpec&>;
  e.write(out);
};

// Calls f with the event's fields (a span valid during the call). Inlined into the emitting
// code, as the initializer lists it replaces were.
template <EventType E, typename F>
[[gnu::always_inline]] inline void with_fields(const E& e, F&& f) {
  FieldArray<E::max_fields> out;
  e.write(out);
  f(out.fields());
}

// Emits e into a trace, stamped with a time and a node.
template <EventType E>
void emit(Trace& trace, Time t, NodeId node, const E& e) {
  with_fields(e, [&](std::span<const Field> fields) { trace.emit(t, node, E::spec, fields); });
}

// Whether e is of kind E: by its spec when a typed emitter made it, else by name (events
// built by hand, in tests).
template <EventType E>
bool is(const Event& e) {
  return e.spec ? e.spec == &E::spec : e.kind == E::spec.name;
}

template <EventType E>
typename E::View view(const Event& e) {
  typename E::View v;
  if (e.spec == &E::spec) {
    FieldReader<true> r(e.fields);
    v.read(r);
  } else {
    FieldReader<false> r(e.fields);
    v.read(r);
  }
  return v;
}

template <EventType E>
std::optional<typename E::View> read(const Event& e) {
  if (!is<E>(e)) return std::nullopt;
  return view<E>(e);
}

// The kinds a reader reads, and the dispatch to its handler of each: a reader's list of kinds
// is its code, so a test can ask every reader which kinds it needs the trace to hold.
template <EventType... Es>
struct Reads {
  static constexpr std::array<const KindSpec*, sizeof...(Es)> kinds{&Es::spec...};
  // Calls f(E::View) for the kind e is, if it is one of Es; says whether it was.
  template <typename F>
  static bool visit(const Event& e, F&& f) {
    if (e.spec) {
      const uint16_t id = e.spec->id;
      if (((mask[id / 64] >> (id % 64)) & 1) == 0) return false;
      return ((e.spec == &Es::spec ? (f(view<Es>(e)), true) : false) || ...);
    }
    return ((e.kind == Es::spec.name ? (f(view<Es>(e)), true) : false) || ...);
  }

 private:
  static constexpr std::array<uint64_t, kMaxKinds / 64> mask = [] {
    std::array<uint64_t, kMaxKinds / 64> m{};
    for (const KindSpec* k : kinds) m[k->id / 64] |= uint64_t{1} << (k->id % 64);
    return m;
  }();
};

// ---- the whole schema, from the entries of one or more list files ----

template <size_t N>
constexpr size_t count_kinds(const Entry (&entries)[N]) {
  size_t n = 0;
  for (const Entry& e : entries) n += e.is_kind ? 1 : 0;
  return n;
}

template <size_t K, size_t N>
constexpr std::array<const KindSpec*, K> collect_kinds(const Entry (&entries)[N]) {
  std::array<const KindSpec*, K> out{};
  size_t i = 0;
  for (const Entry& e : entries)
    if (e.is_kind) out[i++] = e.kind;
  return out;
}

}  // namespace sim::schema
