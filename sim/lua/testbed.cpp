// testbed { ... }: a set of kernel test nodes (sim/testbed/ping_node) that ping each other,
// with every fault method. It lets scenarios and tests exercise the kernel without Kafka.
#include <algorithm>

#include <fmt/format.h>

#include "sim/lua/bindings.hpp"
#include "sim/lua/faults.hpp"
#include "sim/lua/runtime.hpp"
#include "sim/testbed/ping_node.hpp"

namespace sim::lua {

namespace {

constexpr const char* kMeta = "kafkasim.testbed";

class Testbed final : public FaultTarget {
 public:
  explicit Testbed(World& w) : world_(w) {}
  const char* kind() const override { return "testbed"; }
  World& world() override { return world_; }
  std::vector<NodeId> nodes() override { return ids_; }

  NodeId resolve(lua_State* L, int idx, const std::string& what) override {
    if (const auto whole = to_whole(L, idx)) {
      const int64_t i = *whole;
      if (i >= 1 && static_cast<size_t>(i) <= ids_.size()) return ids_[static_cast<size_t>(i - 1)];
      fail(fmt::format("{}: there is no node {} (the testbed has nodes 1..{})", what, i, ids_.size()));
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
      const std::string name = lua_tostring(L, idx);
      for (NodeId id : ids_)
        if (world_.name(id) == name) return id;
      std::vector<std::string> names;
      for (NodeId id : ids_) names.emplace_back(world_.name(id));
      fail(fmt::format("{}: there is no node named '{}'{}", what, name, suggestion(name, names)));
    }
    fail(fmt::format("{}: expected a node name or number, got {}", what, describe(L, idx)));
  }

  std::vector<NodeId> ids_;
  std::vector<std::unique_ptr<testbed::PingStats>> stats_;

 private:
  World& world_;
};

int l_testbed(lua_State* L) {
  Runtime& rt = Runtime::of(L);
  World& w = rt.world();
  TableReader r(L, 1, "testbed", {"nodes", "racks", "network", "interval", "flush"});
  std::vector<std::string> names;
  const int nodes_idx = r.push("nodes");
  if (const auto whole = to_whole(L, nodes_idx)) {
    const int64_t n = *whole;
    if (n < 1 || n > 1000) fail("testbed.nodes: between 1 and 1000 nodes");
    for (lua_Integer i = 1; i <= n; ++i) names.push_back(fmt::format("node-{}", i));
  } else if (lua_type(L, nodes_idx) == LUA_TTABLE) {
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, nodes_idx));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, nodes_idx, i);
      if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("testbed.nodes[{}]: expected a name, got {}", i, describe(L, -1)));
      names.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    if (names.empty()) fail("testbed.nodes: give at least one node");
  } else {
    fail(fmt::format("testbed.nodes: expected a count or a list of names, got {}", describe(L, nodes_idx)));
  }
  lua_pop(L, 1);

  std::vector<std::string> racks;
  if (r.has("racks")) {
    const int idx = r.push("racks");
    if (lua_type(L, idx) != LUA_TTABLE) fail("testbed.racks: expected a list of rack names");
    const lua_Integer n = static_cast<lua_Integer>(lua_rawlen(L, idx));
    for (lua_Integer i = 1; i <= n; ++i) {
      lua_rawgeti(L, idx, i);
      if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("testbed.racks[{}]: expected a name", i));
      racks.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }

  testbed::PingConfig config;
  config.interval = r.duration("interval").value_or(Duration::millis(100));
  config.flush_every = r.duration("flush").value_or(Duration::seconds(1));
  if (config.interval.ns <= 0 || config.flush_every.ns <= 0) fail("testbed: interval and flush must be positive");

  for (size_t i = 0; i < names.size(); ++i) {
    if (w.find(names[i]) || std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) != names.begin() + static_cast<std::ptrdiff_t>(i)) {
      fail(fmt::format("testbed.nodes: a node of the scenario is already named '{}'", names[i]));
    }
  }
  auto tb = std::make_unique<Testbed>(w);
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string rack = racks.empty() ? "" : racks[i % racks.size()];
    tb->stats_.push_back(std::make_unique<testbed::PingStats>());
    tb->ids_.push_back(w.add_node(names[i], nullptr, rack));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    testbed::PingConfig c = config;
    for (NodeId peer : tb->ids_)
      if (peer != tb->ids_[i]) c.peers.push_back(peer);
    testbed::PingStats* stats = tb->stats_[i].get();
    w.set_factory(tb->ids_[i], [c, stats] { return std::make_unique<testbed::PingNode>(c, *stats); });
  }
  if (r.has("network")) {
    const int idx = r.push("network");
    configure_network(w, L, idx, "testbed.network");
    lua_pop(L, 1);
  }
  for (NodeId id : tb->ids_) w.start(id);
  rt.adopt(L, std::move(tb), kMeta);
  return 1;
}

int l_stats(lua_State* L) {
  auto& tb = check_object<Testbed>(L, 1, "a testbed");
  const NodeId id = tb.resolve(L, 2, "stats(node)");
  size_t i = 0;
  while (tb.ids_[i] != id) ++i;
  const testbed::PingStats& s = *tb.stats_[i];
  lua_newtable(L);
  auto set = [&](const char* k, uint64_t v) {
    lua_pushinteger(L, static_cast<lua_Integer>(v));
    lua_setfield(L, -2, k);
  };
  set("pings_sent", s.pings_sent);
  set("pongs", s.pongs_received);
  set("disconnects", s.disconnects);
  set("recovered", s.recovered);
  set("starts", s.starts);
  Disk& disk = tb.world().disk(id);
  const FileId f = disk.open("pongs.log");
  set("logged", disk.size(f));
  set("durable", disk.durable_size(f));
  return 1;
}

int l_nodes(lua_State* L) {
  auto& tb = check_object<Testbed>(L, 1, "a testbed");
  lua_newtable(L);
  lua_Integer i = 0;
  for (NodeId id : tb.ids_) {
    lua_pushstring(L, std::string(tb.world().name(id)).c_str());
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

}  // namespace

void register_testbed(lua_State* L) {
  static const luaL_Reg own[] = {{"stats", guarded<l_stats>}, {"nodes", guarded<l_nodes>}, {nullptr, nullptr}};
  register_handle(L, kMeta, "testbed", own, /*with_faults=*/true);
  lua_register(L, "testbed", guarded<l_testbed>);
}

}  // namespace sim::lua
