#include "sim/lua/faults.hpp"

#include <fmt/format.h>

#include "sim/world_events.hpp"

namespace sim::lua {

namespace {

FaultTarget& target(lua_State* L) { return check_object<FaultTarget>(L, 1, "a cluster or testbed"); }

std::string node_name(World& w, NodeId id) { return std::string(w.name(id)); }

// A node, or a list of nodes, at idx.
std::vector<NodeId> node_list(lua_State* L, FaultTarget& t, int idx, const std::string& what) {
  std::vector<NodeId> out;
  if (lua_type(L, idx) == LUA_TTABLE && !lua_getmetatable(L, idx)) {
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, i);
      out.push_back(t.resolve(L, lua_gettop(L), fmt::format("{}[{}]", what, i)));
      lua_pop(L, 1);
    }
    return out;
  }
  if (lua_type(L, idx) == LUA_TTABLE) lua_pop(L, 1);  // the metatable lua_getmetatable pushed
  out.push_back(t.resolve(L, idx, what));
  return out;
}

int l_crash(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "crash(node)");
  CrashOptions opts;
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "crash options", {"torn"});
    opts.torn_writes = r.boolean("torn").value_or(false);
  }
  if (!t.world().crash(id, opts)) {
    fail(fmt::format("crash({}): it is not running (it is {})", node_name(t.world(), id), to_string(t.world().state(id))));
  }
  return 0;
}

int l_shutdown(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "shutdown(node)");
  if (!t.world().shutdown(id)) {
    fail(fmt::format("shutdown({}): it is not running (it is {})", node_name(t.world(), id), to_string(t.world().state(id))));
  }
  return 0;
}

int l_restart(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "restart(node)");
  if (!t.world().restart(id)) {
    fail(fmt::format("restart({}): it is {}; crash it or shut it down first", node_name(t.world(), id),
                     to_string(t.world().state(id))));
  }
  return 0;
}

int l_restart_all(lua_State* L) {
  FaultTarget& t = target(L);
  for (NodeId id : t.nodes())
    if (!t.world().alive(id)) t.world().restart(id);
  return 0;
}

int l_pause(lua_State* L) {
  FaultTarget& t = target(L);
  World& w = t.world();
  const NodeId id = t.resolve(L, 2, "pause(node)");
  if (!w.pause(id)) fail(fmt::format("pause({}): it is not running (it is {})", node_name(w, id), to_string(w.state(id))));
  if (!lua_isnoneornil(L, 3)) {
    const Duration d = to_duration(L, 3, "pause(node, duration): duration");
    const uint32_t inc = w.incarnation(id);
    w.scheduler().after(d, [&w, id, inc] {
      if (w.incarnation(id) == inc) w.resume(id);
    });
  }
  return 0;
}

int l_resume(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "resume(node)");
  if (!t.world().resume(id)) fail(fmt::format("resume({}): it is not paused", node_name(t.world(), id)));
  return 0;
}

std::string names_of(World& w, const std::vector<NodeId>& ids) {
  std::string s;
  for (NodeId id : ids) s += (s.empty() ? "" : ",") + node_name(w, id);
  return s;
}

int l_partition(lua_State* L) {
  FaultTarget& t = target(L);
  const int n = lua_gettop(L);
  if (n < 3) fail("partition(group, group, ...): give at least two groups, as in c:partition({1, 2}, {3})");
  std::vector<std::vector<NodeId>> groups;
  std::string desc;
  for (int i = 2; i <= n; ++i) {
    groups.push_back(node_list(L, t, i, fmt::format("partition group {}", i - 1)));
    desc += (desc.empty() ? "" : " | ") + names_of(t.world(), groups.back());
  }
  t.world().emit(event::FaultPartition{.groups = desc});
  t.world().network().partition(groups);
  return 0;
}

int l_block(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId from = t.resolve(L, 2, "block(from, to): from");
  const NodeId to = t.resolve(L, 3, "block(from, to): to");
  t.world().emit(event::FaultBlock{.from = t.world().name(from), .to = t.world().name(to)});
  t.world().network().block(from, to);
  return 0;
}

int l_isolate(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "isolate(node)");
  t.world().emit(event::FaultIsolate{.node = t.world().name(id)});
  t.world().network().isolate(id);
  return 0;
}

int l_heal(lua_State* L) {
  FaultTarget& t = target(L);
  t.world().emit(event::FaultHeal{});
  t.world().network().heal();
  return 0;
}

int l_slow_network(lua_State* L) {
  FaultTarget& t = target(L);
  World& w = t.world();
  TableReader r(L, 2, "slow_network", {"from", "to", "latency", "jitter", "loss", "bandwidth", "delay", "one_way"});
  std::vector<NodeId> from = t.nodes(), to = t.nodes();
  if (r.has("from")) from = node_list(L, t, r.push("from"), "slow_network.from");
  if (r.has("to")) to = node_list(L, t, r.push("to"), "slow_network.to");
  const bool one_way = r.boolean("one_way").value_or(false);
  auto apply = [&](NodeId a, NodeId b) {
    if (a == b) return;
    LinkParams p = w.topology().params(a, b);
    if (auto d = r.duration_dist("latency")) p.latency = *d;
    if (auto j = r.duration("jitter")) p.jitter = *j;
    if (auto d = r.duration("delay")) p.extra_delay = *d;
    if (auto l = r.number("loss")) {
      if (*l < 0 || *l > 1) fail("slow_network.loss: a probability between 0 and 1");
      p.loss = *l;
    }
    if (auto bw = r.number("bandwidth")) {
      if (*bw < 0) fail("slow_network.bandwidth: bytes per second, not negative");
      p.bandwidth = *bw;
    }
    w.topology().set_override(a, b, p);
  };
  for (NodeId a : from)
    for (NodeId b : to) {
      apply(a, b);
      if (!one_way) apply(b, a);
    }
  w.emit(event::FaultSlowNetwork{.from = names_of(w, from), .to = names_of(w, to)});
  return 0;
}

int l_slow_disk(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "slow_disk(node, latency)");
  const Duration d = to_duration(L, 3, "slow_disk(node, latency): latency");
  t.world().disk(id).set_op_latency(d);
  t.world().emit(event::FaultSlowDisk{.node = t.world().name(id), .latency = d});
  return 0;
}

int l_reachable(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId a = t.resolve(L, 2, "reachable(from, to): from");
  const NodeId b = t.resolve(L, 3, "reachable(from, to): to");
  lua_pushboolean(L, t.world().topology().reachable(a, b));
  return 1;
}

int l_components(lua_State* L) {
  FaultTarget& t = target(L);
  World& w = t.world();
  const auto mine = t.nodes();
  lua_newtable(L);
  lua_Integer gi = 0;
  for (const auto& group : w.topology().components()) {
    lua_newtable(L);
    lua_Integer ni = 0;
    for (NodeId id : group) {
      if (std::find(mine.begin(), mine.end(), id) == mine.end()) continue;
      lua_pushstring(L, node_name(w, id).c_str());
      lua_rawseti(L, -2, ++ni);
    }
    if (ni == 0) {
      lua_pop(L, 1);
      continue;
    }
    lua_rawseti(L, -2, ++gi);
  }
  return 1;
}

int l_state(lua_State* L) {
  FaultTarget& t = target(L);
  const NodeId id = t.resolve(L, 2, "state(node)");
  lua_pushstring(L, std::string(to_string(t.world().state(id))).c_str());
  return 1;
}

}  // namespace

void add_fault_methods(lua_State* L) {
  static const luaL_Reg fns[] = {
      {"crash", guarded<l_crash>},       {"shutdown", guarded<l_shutdown>},
      {"restart", guarded<l_restart>},   {"restart_all", guarded<l_restart_all>},
      {"pause", guarded<l_pause>},       {"resume", guarded<l_resume>},
      {"partition", guarded<l_partition>}, {"block", guarded<l_block>},
      {"isolate", guarded<l_isolate>},   {"heal", guarded<l_heal>},
      {"slow_network", guarded<l_slow_network>}, {"slow_disk", guarded<l_slow_disk>},
      {"reachable", guarded<l_reachable>}, {"components", guarded<l_components>},
      {"state", guarded<l_state>},       {nullptr, nullptr}};
  luaL_setfuncs(L, fns, 0);
}

void configure_network(World& world, lua_State* L, int idx, const std::string& what) {
  TableReader r(L, idx, what, {"latency", "jitter", "loss", "bandwidth", "between_racks", "detect"});
  LinkParams p = world.topology().default_params();
  if (auto d = r.duration_dist("latency")) p.latency = *d;
  if (auto j = r.duration("jitter")) p.jitter = *j;
  if (auto l = r.number("loss")) {
    if (*l < 0 || *l > 1) fail(r.name("loss") + ": a probability between 0 and 1");
    p.loss = *l;
  }
  if (auto b = r.number("bandwidth")) {
    if (*b < 0) fail(r.name("bandwidth") + ": bytes per second, not negative");
    p.bandwidth = *b;
  }
  world.topology().set_default(p);
  if (auto d = r.duration("detect")) world.network().options().detect = *d;
  if (auto between = r.duration_dist("between_racks")) {
    // Every pair of distinct racks gets the cross-rack latency; same-rack links keep the default.
    LinkParams cross = p;
    cross.latency = *between;
    std::vector<std::string> racks;
    for (NodeId id = 0; id < world.node_count(); ++id) {
      const std::string& rack = world.topology().rack(id);
      if (std::find(racks.begin(), racks.end(), rack) == racks.end()) racks.push_back(rack);
    }
    for (size_t i = 0; i < racks.size(); ++i)
      for (size_t j = i + 1; j < racks.size(); ++j) world.topology().set_rack_link(racks[i], racks[j], cross);
  }
}

}  // namespace sim::lua
