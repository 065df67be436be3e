// The globals every scenario has: scenario, param, at, after, every, now, note, log, print.
#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "sim/lua/bindings.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/world_events.hpp"

namespace sim::lua {

namespace {

int l_scenario(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  TableReader r(L, 1, "scenario", {"name", "description", "seed", "duration", "drain", "kafka_version"});
  ScenarioInfo info;
  auto name = r.string("name");
  if (!name || name->empty()) fail("scenario: name is required, e.g. scenario { name = \"acks=1 loses writes\" }");
  info.name = *name;
  info.description = r.string("description").value_or("");
  if (auto seed = r.integer("seed")) {
    if (*seed < 0) fail("scenario.seed: expected a non-negative whole number");
    info.seed = static_cast<uint64_t>(*seed);
  }
  if (auto d = r.duration("duration")) {
    if (d->ns <= 0) fail("scenario.duration: must be positive");
    info.duration = *d;
  }
  if (auto d = r.duration("drain")) info.drain = *d;
  if (auto v = r.string("kafka_version")) {
    const auto& known = kafka_versions();
    if (std::find(known.begin(), known.end(), *v) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(fmt::format("scenario.kafka_version: unknown version \"{}\"{}; known: {}", *v, suggestion(*v, known), list));
    }
    info.kafka_version = *v;
  }
  rt.declare(std::move(info));
  return 0;
}

int l_param(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const std::string name = luaL_checkstring(L, 1);
  const int type = lua_type(L, 2);
  if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TBOOLEAN) {
    fail(fmt::format("param(\"{}\", default): the default must be a number, a string or a boolean, got {}", name,
                     describe(L, 2)));
  }
  auto set = rt.take_param(name);
  if (!set) {
    lua_pushvalue(L, 2);
    return 1;
  }
  if (type == LUA_TSTRING) {
    lua_pushstring(L, set->c_str());
  } else if (type == LUA_TBOOLEAN) {
    if (*set != "true" && *set != "false") throw UsageError(fmt::format("--set {}={}: expected true or false", name, *set));
    lua_pushboolean(L, *set == "true");
  } else {
    if (lua_stringtonumber(L, set->c_str()) == 0) {
      throw UsageError(fmt::format("--set {}={}: expected a number", name, *set));
    }
  }
  return 1;
}

int l_at(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const Duration t = to_duration(L, 1, "at(time, fn): time");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  rt.schedule(L, 2, Time::zero() + t, std::nullopt, Time::max(), "at");
  return 0;
}

int l_after(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const Duration d = to_duration(L, 1, "after(delay, fn): delay");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  rt.schedule(L, 2, rt.world().now() + d, std::nullopt, Time::max(), "after");
  return 0;
}

int l_every(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const Duration interval = to_duration(L, 1, "every(interval, fn): interval");
  if (interval.ns <= 0) fail("every(interval, fn): interval must be positive");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  Time from = rt.world().now() + interval;
  Time to = Time::max();
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "every options", {"from", "to"});
    if (auto f = r.duration("from")) from = Time::zero() + *f;
    if (auto t = r.duration("to")) to = Time::zero() + *t;
  }
  if (from <= to) rt.schedule(L, 2, from, interval, to, "every");
  return 0;
}

int l_now(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  lua_pushnumber(L, rt.declared() ? rt.world().now().as_millis() : 0.0);
  return 1;
}

// The arguments as text, as tostring shows them, space-separated: text taken from Lua.
std::string join_args(lua_State* L) {
  std::string out;
  const int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    size_t len = 0;
    const char* s = display_tolstring(L, i, &len);
    Sandbox::of(L).take_text(L, len + 1);
    if (i > 1) out += ' ';
    out.append(s, len);
    lua_pop(L, 1);
  }
  return out;
}

int l_note(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const std::string text = join_args(L);
  rt.world().emit(event::Note{.text = text});
  rt.log_line("note: " + text);
  return 0;
}

int l_log(lua_State* L) {
  Runtime::of(L).log_line(join_args(L));
  return 0;
}

int l_check(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  if (lua_type(L, 1) != LUA_TSTRING) fail("check(name, ok [, detail]): the first argument names the check");
  size_t name_len = 0;
  const char* name_text = lua_tolstring(L, 1, &name_len);
  Sandbox::of(L).take_text(L, name_len);
  const std::string name(name_text, name_len);
  if (lua_type(L, 2) != LUA_TBOOLEAN) fail(fmt::format("check(\"{}\", ok): ok must be true or false, got {}", name, describe(L, 2)));
  std::string detail;
  if (!lua_isnoneornil(L, 3)) {
    size_t len = 0;
    const char* d = display_tolstring(L, 3, &len);
    Sandbox::of(L).take_text(L, len);
    detail.assign(d, len);
    lua_pop(L, 1);
  }
  const bool held = lua_toboolean(L, 2) != 0;
  // A failed check names the scenario line that made it, as a failed expectation names its cause.
  std::string where = held ? std::string() : Sandbox::where(L);
  if (where.size() >= 2) where.resize(where.size() - 2);  // "file:line: " without its separator
  rt.check(name, held, detail, where.empty() ? std::string() : "checked at " + where);
  return 0;
}

// A name the checker can report, or a usage error with the nearest known name.
void check_anomaly_name(const std::string& name, const char* where) {
  const auto& known = check::known_anomalies();
  if (std::find(known.begin(), known.end(), name) == known.end())
    fail(fmt::format("{}: \"{}\" is not an anomaly the checker reports (docs/checker.md){}", where, name, suggestion(name, known)));
}

int l_expect_anomaly(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  const std::string name = luaL_checkstring(L, 1);
  check_anomaly_name(name, "expect_anomaly");
  Runtime::Expectation e;
  e.name = "expect_anomaly " + name;
  e.anomaly = name;
  rt.expect(std::move(e));
  return 0;
}

// expect { exactly_once = { group = "g", input = "in", output = "out" } }: the pipeline whose
// output the end-to-end exactly-once check judges. Its group is the expectation's group.
void read_exactly_once(lua_State* L, TableReader& r, Runtime::Expectation& e) {
  const int idx = r.push("exactly_once");
  if (lua_type(L, idx) != LUA_TTABLE) fail("expect.exactly_once: a table { group = \"g\", input = \"topic\", output = \"topic\" }");
  {
    TableReader p(L, idx, "expect.exactly_once", {"group", "input", "output"});
    auto group = p.string("group"), input = p.string("input"), output = p.string("output");
    if (!group || group->empty()) fail("expect.exactly_once.group: the consume-transform-produce group whose output is judged");
    if (!input || input->empty()) fail("expect.exactly_once.input: the topic the group reads");
    if (!output || output->empty()) fail("expect.exactly_once.output: the topic its handlers app:send to");
    if (!e.group.empty() && e.group != *group) fail("expect.exactly_once.group: differs from expect.group; name the group once");
    e.group = *group;
    e.eo_input = *input;
    e.eo_output = *output;
  }
  lua_pop(L, 1);
  if (!e.delivery.empty() || !e.order.empty() || !e.effects.empty())
    fail("expect.exactly_once: write delivery, order and effects in an expect of their own");
}

int l_expect(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  TableReader r(L, 1, "expect",
                {"group", "producer", "delivery", "order", "no_anomalies", "lost_acked_writes", "max_duplicates", "allow_empty",
                 "effects", "store", "hanging_transactions", "exactly_once"});
  Runtime::Expectation e;
  e.name = "expect";
  e.where = Sandbox::where(L);
  e.allow_empty = r.boolean("allow_empty").value_or(false);
  e.group = r.string("group").value_or("");
  if (auto d = r.string("delivery")) {
    const std::vector<std::string> known = {"at-most-once", "at-least-once", "exactly-once"};
    if (std::find(known.begin(), known.end(), *d) == known.end()) {
      fail(fmt::format("expect.delivery: \"{}\" is not at-most-once, at-least-once or exactly-once{}", *d, suggestion(*d, known)));
    }
    e.delivery = *d;
  }
  if (auto o = r.string("order")) {
    const std::vector<std::string> known = {"per-partition", "per-key", "none"};
    if (std::find(known.begin(), known.end(), *o) == known.end()) {
      fail(fmt::format("expect.order: \"{}\" is not per-partition, per-key or none{}", *o, suggestion(*o, known)));
    }
    e.order = *o;
  }
  if (r.has("no_anomalies")) {
    const int idx = r.push("no_anomalies");
    if (lua_type(L, idx) == LUA_TBOOLEAN) {
      e.all_absent = lua_toboolean(L, idx) != 0;
    } else if (lua_type(L, idx) == LUA_TTABLE) {
      for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, idx)); ++i) {
        lua_rawgeti(L, idx, i);
        if (lua_type(L, -1) != LUA_TSTRING) fail("expect.no_anomalies: a list of anomaly names");
        check_anomaly_name(lua_tostring(L, -1), "expect.no_anomalies");
        e.absent.emplace_back(lua_tostring(L, -1));
        lua_pop(L, 1);
      }
    } else {
      fail("expect.no_anomalies: true, or a list of anomaly names");
    }
    lua_pop(L, 1);
    e.name = "expect no_anomalies";
  }
  if (auto n = r.integer("lost_acked_writes")) {
    if (*n < 0) fail(fmt::format("expect.lost_acked_writes: how many may be lost, at least 0, got {}", *n));
    e.max_lost = *n;
  }
  if (auto n = r.integer("max_duplicates")) {
    if (*n < 0) fail(fmt::format("expect.max_duplicates: how many duplicates are allowed, at least 0, got {}", *n));
    e.max_duplicates = *n;
  }
  if (auto n = r.integer("hanging_transactions")) {
    if (*n < 0) fail(fmt::format("expect.hanging_transactions: how many may hang, at least 0, got {}", *n));
    e.max_hanging = *n;
  }
  if (auto fx = r.string("effects")) {
    const std::vector<std::string> known = {"exactly-once", "at-least-once"};
    if (std::find(known.begin(), known.end(), *fx) == known.end()) {
      fail(fmt::format("expect.effects: \"{}\" is not exactly-once or at-least-once{}", *fx, suggestion(*fx, known)));
    }
    e.effects = *fx;
  }
  e.store = r.string("store").value_or("");
  if (!e.effects.empty() && e.store.empty()) fail("expect.effects: name the store whose effects are judged: store = \"read-model\"");
  if (r.has("store") && e.effects.empty()) fail("expect.store: goes with effects = \"exactly-once\" or \"at-least-once\"");
  if (r.has("exactly_once")) read_exactly_once(L, r, e);
  if (e.delivery.empty() && e.order.empty() && !e.all_absent && e.absent.empty() && e.max_lost < 0 && e.max_duplicates < 0 &&
      e.max_hanging < 0 && e.effects.empty() && e.eo_input.empty()) {
    fail("expect { ... }: say what to expect: delivery, order, no_anomalies, lost_acked_writes, max_duplicates, "
         "hanging_transactions, effects or exactly_once");
  }
  e.producer = r.string("producer").value_or("");
  // A producer's records are what lost_acked_writes and max_duplicates count; the anomalies of a
  // history and a group's deliveries are not one producer's, so they keep an expect of their own.
  if (r.has("producer") && (!e.delivery.empty() || !e.order.empty() || e.all_absent || !e.absent.empty() || !e.group.empty() ||
                            !e.effects.empty() || e.max_hanging >= 0 || !e.eo_input.empty())) {
    fail("expect.producer: limits lost_acked_writes and max_duplicates to one producer's records; write group, delivery, order "
         "and no_anomalies in an expect of their own");
  }
  if (r.has("producer") && e.producer.empty()) fail("expect.producer: the name of a producer of the scenario");
  rt.expect(std::move(e));
  return 0;
}

}  // namespace

void register_core_globals(lua_State* L) {
  static const luaL_Reg fns[] = {{"scenario", guarded<l_scenario>}, {"param", guarded<l_param>},
                                 {"at", guarded<l_at>},             {"after", guarded<l_after>},
                                 {"every", guarded<l_every>},       {"now", guarded<l_now>},
                                 {"note", guarded<l_note>},         {"log", guarded<l_log>},
                                 {"print", guarded<l_log>},         {"check", guarded<l_check>},
                                 {"expect", guarded<l_expect>},     {"expect_anomaly", guarded<l_expect_anomaly>},
                                 {nullptr, nullptr}};
  lua_pushglobaltable(L);
  luaL_setfuncs(L, fns, 0);
  lua_pop(L, 1);
}

}  // namespace sim::lua
