// Generates the schema's C++ from one list file: included (deliberately without an include
// guard) once per list, inside the namespace its kinds belong to, with SIM_TRACE_LIST naming
// the list. See sim/trace_schema.hpp for what comes out and sim/world_events.def for the
// list's grammar. Each pass below reads the whole list with the macros defined its own way.
#ifndef SIM_TRACE_LIST
#error "define SIM_TRACE_LIST as the list file to generate the schema from"
#endif

#ifndef SIM_TRACE_FIRST_ID
#define SIM_TRACE_FIRST_ID 0  // the id of the list's first kind: the lists before it take the ones below
#endif

#define SIM_TRACE_TYPE_(t) ::sim::schema::FieldType::t

// ---- pass 0: each kind's place in the list ----
#define TRACE_SECTION(title, doc)
#define TRACE_MESSAGE_FIELD(name, type, doc)
#define TRACE_EVENT(Name, ...) Name,
#define TRACE_EVENT_WITH_MESSAGE(Name, ...) Name,
enum class KindIndex : uint16_t {
#include SIM_TRACE_LIST
  count_
};
inline constexpr uint16_t first_kind_id = SIM_TRACE_FIRST_ID;
inline constexpr uint16_t end_kind_id = first_kind_id + static_cast<uint16_t>(KindIndex::count_);
static_assert(end_kind_id <= ::sim::schema::kMaxKinds, "raise sim::schema::kMaxKinds");
#undef TRACE_SECTION
#undef TRACE_MESSAGE_FIELD
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE

// ---- pass 1: each kind's field specs ----
#define TRACE_SECTION(title, doc)
#define TRACE_MESSAGE_FIELD(name, type, doc)
#define TRACE_FIELD(name, type, doc) ::sim::schema::FieldSpec{#name, SIM_TRACE_TYPE_(type), false, doc},
#define TRACE_FIELD_AS(member, key, type, doc) ::sim::schema::FieldSpec{key, SIM_TRACE_TYPE_(type), false, doc},
#define TRACE_OPTIONAL(name, type, doc) ::sim::schema::FieldSpec{#name, SIM_TRACE_TYPE_(type), true, doc},
#define TRACE_EVENT(Name, kind, node, doc, ...) \
  namespace field_specs {                       \
  inline constexpr ::sim::schema::FieldSpec Name[] = {__VA_ARGS__ ::sim::schema::FieldSpec{}}; \
  }
#define TRACE_EVENT_WITH_MESSAGE(Name, kind, node, doc, ...) TRACE_EVENT(Name, kind, node, doc, __VA_ARGS__)
#include SIM_TRACE_LIST
#undef TRACE_FIELD
#undef TRACE_FIELD_AS
#undef TRACE_OPTIONAL
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE

// ---- pass 2: the emitter structs ----
#define TRACE_FIELD(name, type, doc) ::sim::schema::ArgOf<SIM_TRACE_TYPE_(type)> name;
#define TRACE_FIELD_AS(member, key, type, doc) ::sim::schema::ArgOf<SIM_TRACE_TYPE_(type)> member;
#define TRACE_OPTIONAL(name, type, doc) ::sim::schema::Optional<::sim::schema::ArgOf<SIM_TRACE_TYPE_(type)>> name{};
#define SIM_TRACE_STRUCT_(Name, kind, node, doc, with_message, ...)                                  \
  struct Name {                                                                                      \
    static constexpr size_t max_fields = std::size(field_specs::Name) - 1;                           \
    static constexpr ::sim::schema::KindSpec spec{                                                   \
        kind, node, doc, {field_specs::Name, max_fields}, with_message,                              \
        static_cast<uint16_t>(first_kind_id + static_cast<uint16_t>(KindIndex::Name))};             \
    struct View;                                                                                     \
    __VA_ARGS__                                                                                      \
    template <typename Out>                                                                          \
    [[gnu::always_inline]] void write(Out& out) const;                                               \
  };
#define TRACE_EVENT(Name, kind, node, doc, ...) SIM_TRACE_STRUCT_(Name, kind, node, doc, false, __VA_ARGS__)
#define TRACE_EVENT_WITH_MESSAGE(Name, kind, node, doc, ...) \
  SIM_TRACE_STRUCT_(Name, kind, node, doc, true, __VA_ARGS__)
#include SIM_TRACE_LIST
#undef TRACE_FIELD
#undef TRACE_FIELD_AS
#undef TRACE_OPTIONAL
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE
#undef SIM_TRACE_STRUCT_

// ---- pass 3: each emitter writes its fields in declared order ----
#define TRACE_FIELD(name, type, doc) out.add(#name, name);
#define TRACE_FIELD_AS(member, key, type, doc) out.add(key, member);
#define TRACE_OPTIONAL(name, type, doc) out.add(#name, name);
#define TRACE_EVENT(Name, kind, node, doc, ...)               \
  template <typename Out>                                     \
  inline void Name::write([[maybe_unused]] Out& out) const {  \
    __VA_ARGS__                                               \
  }
#define TRACE_EVENT_WITH_MESSAGE(Name, kind, node, doc, ...) TRACE_EVENT(Name, kind, node, doc, __VA_ARGS__)
#include SIM_TRACE_LIST
#undef TRACE_FIELD
#undef TRACE_FIELD_AS
#undef TRACE_OPTIONAL
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE

// ---- pass 4: the views readers get ----
#define SIM_TRACE_VIEW_MEMBER_(member, type) \
  ::sim::schema::ViewOf<SIM_TRACE_TYPE_(type)> member = ::sim::schema::Traits<SIM_TRACE_TYPE_(type)>::fallback();
#define TRACE_FIELD(name, type, doc) SIM_TRACE_VIEW_MEMBER_(name, type)
#define TRACE_FIELD_AS(member, key, type, doc) SIM_TRACE_VIEW_MEMBER_(member, type)
#define TRACE_OPTIONAL(name, type, doc) SIM_TRACE_VIEW_MEMBER_(name, type)
#define TRACE_EVENT(Name, kind, node, doc, ...)      \
  struct Name::View {                                \
    __VA_ARGS__                                      \
    template <typename Reader>                       \
    [[gnu::always_inline]] void read(Reader& r);     \
  };
#define TRACE_EVENT_WITH_MESSAGE(Name, kind, node, doc, ...) TRACE_EVENT(Name, kind, node, doc, __VA_ARGS__)
#include SIM_TRACE_LIST
#undef TRACE_FIELD
#undef TRACE_FIELD_AS
#undef TRACE_OPTIONAL
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE
#undef SIM_TRACE_VIEW_MEMBER_

// ---- pass 5: each view reads its fields ----
#define TRACE_FIELD(name, type, doc) r.template get<SIM_TRACE_TYPE_(type)>(#name, name);
#define TRACE_FIELD_AS(member, key, type, doc) r.template get<SIM_TRACE_TYPE_(type)>(key, member);
#define TRACE_OPTIONAL(name, type, doc) r.template get_optional<SIM_TRACE_TYPE_(type)>(#name, name);
#define TRACE_EVENT(Name, kind, node, doc, ...)               \
  template <typename Reader>                                  \
  inline void Name::View::read([[maybe_unused]] Reader& r) {  \
    __VA_ARGS__                                               \
  }
#define TRACE_EVENT_WITH_MESSAGE(Name, kind, node, doc, ...) TRACE_EVENT(Name, kind, node, doc, __VA_ARGS__)
#include SIM_TRACE_LIST
#undef TRACE_FIELD
#undef TRACE_FIELD_AS
#undef TRACE_OPTIONAL
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE

// ---- pass 6: the list's entries (sections and kinds) in order ----
#undef TRACE_SECTION
#define TRACE_SECTION(title, doc) ::sim::schema::Entry{nullptr, title, doc},
#define TRACE_EVENT(Name, ...) ::sim::schema::Entry{&Name::spec, {}, {}, true},
#define TRACE_EVENT_WITH_MESSAGE(Name, ...) ::sim::schema::Entry{&Name::spec, {}, {}, true},
inline constexpr ::sim::schema::Entry entries[] = {
#include SIM_TRACE_LIST
};
inline constexpr auto kinds = ::sim::schema::collect_kinds<::sim::schema::count_kinds(entries)>(entries);
#undef TRACE_SECTION
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE

// ---- pass 7: the fields messages add to net.send ----
#define TRACE_SECTION(title, doc)
#define TRACE_EVENT(Name, ...)
#define TRACE_EVENT_WITH_MESSAGE(Name, ...)
#undef TRACE_MESSAGE_FIELD
#define TRACE_MESSAGE_FIELD(name, type, doc) ::sim::schema::FieldSpec{#name, SIM_TRACE_TYPE_(type), true, doc},
inline constexpr ::sim::schema::FieldSpec message_field_list[] = {
#include SIM_TRACE_LIST
    ::sim::schema::FieldSpec{}};
inline constexpr std::span<const ::sim::schema::FieldSpec> message_fields{message_field_list,
                                                                           std::size(message_field_list) - 1};
#undef TRACE_MESSAGE_FIELD
// A message's describe() adds each of its fields through these: message::correlation_id(7).
#define TRACE_MESSAGE_FIELD(name, type, doc) \
  inline ::sim::Field name(const ::sim::schema::ArgOf<SIM_TRACE_TYPE_(type)>& v) { return {#name, v.value()}; }
namespace message {
#include SIM_TRACE_LIST
}  // namespace message

#undef TRACE_SECTION
#undef TRACE_EVENT
#undef TRACE_EVENT_WITH_MESSAGE
#undef TRACE_MESSAGE_FIELD
#undef SIM_TRACE_TYPE_
#undef SIM_TRACE_LIST
#undef SIM_TRACE_FIRST_ID
