// c:group(...) and its handles: consumer groups of application members, their faults, scaling
// and queries.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "broker_model/cluster_builder.hpp"
#include "broker_model/trace_schema.hpp"
#include "sim/lua/app_binding.hpp"
#include "sim/lua/caps.hpp"
#include "sim/lua/cluster.hpp"
#include "sim/lua/cluster_handles.hpp"
#include "sim/lua/group_app_options.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::lua {

namespace {

constexpr const char* kGroupMeta = "kafkasim.group";
constexpr const char* kMemberMeta = "kafkasim.member";

GroupHandle& group(lua_State* L) { return check_object<GroupHandle>(L, 1, "a group"); }
MemberHandle& member(lua_State* L) { return check_object<MemberHandle>(L, 1, "a group member"); }

void ensure_offsets_topic(Cluster& c) {
  ensure_internal_topic(c, {"__consumer_offsets", "offsets.topic.num.partitions", "offsets.topic.replication.factor", nullptr,
                            "group", &Cluster::offsets_topic_requested});
}

// Starts a process in slot `slot` (a new slot when it is the number of slots): the slot's
// first process is named <group>-<n>, its later ones <group>-<n>#<k>. A static member's
// group.instance.id is the slot's name, whichever process holds it. `what` names the call for
// the cap on client processes.
NodeId start_member(GroupHandle& g, size_t slot, const char* what) {
  World& w = g.cluster->world();
  g.cluster->reserve_clients(1, what);
  const std::string base = fmt::format("{}-{}", g.id, slot + 1);
  const int instance = slot < g.instances.size() ? g.instances[slot] + 1 : 1;
  const std::string name = instance == 1 ? base : fmt::format("{}#{}", base, instance);
  if (w.find(name)) fail(fmt::format("group: the node name '{}' is taken", name));
  kafka::ConfigSet cfg = g.config;
  if (g.static_members) cfg.put("group.instance.id", base);
  const check::ClientOutcomes* outcomes = g.outcomes;
  // The member's code finds the stores declared so far by name (a JDBC URL in its config).
  kafka::ConsumerApp app = g.app;
  if (app.producer_per_task()) {
    app.producer->put("transactional.id", task_transactional_id_prefix(app.producer->string("transactional.id"), g.id, slot,
                                                                       g.cluster->bugs.eos_v1_transactional_id_per_member));
  } else if (app.exactly_once()) {
    app.producer->put("transactional.id", member_transactional_id(app.producer->string("transactional.id"), g.id, slot));
  }
  app.stores.insert(g.cluster->layout.stores.begin(), g.cluster->layout.stores.end());
  const NodeId node = kafka::start_consumer(
      w, g.cluster->layout, name, cfg, std::move(app), [outcomes](const std::string& process) { return outcomes->next_op(process); },
      g.cluster->bugs);
  if (slot == g.members.size()) {
    g.members.push_back(node);
    g.retired.push_back(false);
    g.instances.push_back(1);
  } else {
    g.members[slot] = node;
    g.instances[slot] = instance;
  }
  g.cluster->clients.push_back(node);
  return node;
}

// on_assigned = function(partitions, app): ConsumerRebalanceListener.onPartitionsAssigned. A
// registry reference, or LUA_NOREF when the group has none.
int read_on_assigned(lua_State* L, int idx) {
  lua_getfield(L, idx, "on_assigned");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return LUA_NOREF;
  }
  if (!lua_isfunction(L, -1)) fail(fmt::format("group.on_assigned: a function(partitions, app), got {}", describe(L, -1)));
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

// on_record = function(rec, app) or on_batch = function(records, app): the application's code.
// Returns whether the handler is a batch listener (on_batch).
bool read_handler(lua_State* L, int idx, GroupHandle& g) {
  bool batch = false;
  for (const char* key : {"on_record", "on_batch"}) {
    lua_getfield(L, idx, key);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      continue;
    }
    if (!lua_isfunction(L, -1)) fail(fmt::format("group.{}: a function(rec, app), got {}", key, describe(L, -1)));
    if (g.app.listener) fail("group: on_record and on_batch exclude each other (a listener is a record or a batch listener)");
    batch = std::string_view(key) == "on_batch";
    const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    Cluster* cluster = g.cluster;
    g.app.listener = lua_listener(Runtime::of(L), ref, batch,
                                  [cluster](const std::string& topic) { cluster->client_names_topic(topic, true, "app:send"); },
                                  read_on_assigned(L, idx));
  }
  if (!g.app.listener) {
    lua_getfield(L, idx, "on_assigned");
    const bool given = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (given) fail("group.on_assigned: goes with on_record or on_batch (the listener it belongs to)");
  }
  return batch;
}

// The group's own keys of the options table at idx (members, topics, commit, the application's
// timings, static), then Kafka's consumer configs. Returns the number of members to start.
int64_t read_group_options(lua_State* L, int idx, GroupHandle& g, std::optional<std::string>& commit) {
  int64_t members = 1;
  if (lua_type(L, idx) != LUA_TTABLE) {
    fail(fmt::format("group(group_id, options): options is a table such as {{ members = 2, topics = {{ \"orders\" }} }}, got {}",
                     describe(L, idx)));
  }
  lua_getfield(L, idx, "members");
  if (!lua_isnil(L, -1)) {
    const auto n = to_whole(L, -1);
    if (!n || *n < 0) fail(fmt::format("group.members: a number of members, got {}", describe(L, -1)));
    members = *n;
    if (members > caps::kMembersPerGroup) {
      fail(fmt::format("group.members: {} is more than kafkasim's cap of {} members per group", members, caps::kMembersPerGroup));
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "topics");
  if (lua_type(L, -1) == LUA_TSTRING) {
    g.app.topics.emplace_back(lua_tostring(L, -1));
  } else if (lua_type(L, -1) == LUA_TTABLE) {
    for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, -1)); ++i) {
      lua_rawgeti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("group.topics[{}]: expected a topic name", i));
      g.app.topics.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "commit");
  if (lua_type(L, -1) == LUA_TSTRING) commit = lua_tostring(L, -1);
  else if (!lua_isnil(L, -1)) fail("group.commit: a commit policy name");
  lua_pop(L, 1);
  lua_getfield(L, idx, "processing_time");
  if (!lua_isnil(L, -1)) g.app.processing_time = to_duration_dist(L, -1, "group.processing_time");
  lua_pop(L, 1);
  lua_getfield(L, idx, "ack_count");
  if (!lua_isnil(L, -1)) {
    const auto n = to_whole(L, -1);
    if (!n || *n < 1) fail(fmt::format("group.ack_count: a positive number of records, got {}", describe(L, -1)));
    g.app.ack_count = *n;
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "ack_time");
  if (!lua_isnil(L, -1)) g.app.ack_time = to_duration(L, -1, "group.ack_time");
  lua_pop(L, 1);
  lua_getfield(L, idx, "static");
  g.static_members = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  const bool batch_listener = read_handler(L, idx, g);
  const std::vector<std::string> own = {"members", "topics",  "commit",    "processing_time", "ack_count",
                                        "ack_time", "static", "on_record", "on_batch",
                                        "on_assigned"};
  read_group_app_options(L, idx, g.app, g.cluster->version);
  if (batch_listener && g.app.error_handler.dead_letter) {
    fail("group.error_handler.dead_letter: not modelled for a batch listener (on_batch); use on_record");
  }
  std::vector<std::string> own_and_app = own;
  own_and_app.insert(own_and_app.end(), kGroupAppOptionKeys.begin(), kGroupAppOptionKeys.end());
  read_config(L, idx, g.config, "group", own_and_app);
  return members;
}

// The commit policy (by default Kafka's auto-commit when enable.auto.commit is on, else
// after-process), and enable.auto.commit made to agree with it.
void resolve_commit_policy(GroupHandle& g, std::optional<std::string> commit) {
  const std::vector<std::string> policies = {"auto", "after-process", "async", "before-process", "RECORD", "BATCH",
                                             "TIME", "COUNT", "COUNT_TIME", "MANUAL", "MANUAL_IMMEDIATE"};
  if (g.app.exactly_once()) {
    // Offsets go with the transactions only; Kafka Streams turns auto-commit off and reads
    // read_committed under exactly-once (StreamsConfig's consumer overrides).
    if (commit) fail("group.commit: processing_guarantee = \"exactly_once_v2\" commits offsets in its transactions; give no commit policy");
    if (g.config.is_explicit("enable.auto.commit") && g.config.boolean("enable.auto.commit"))
      fail("group: processing_guarantee = \"exactly_once_v2\" cannot be combined with enable.auto.commit = true");
    if (!g.config.is_explicit("isolation.level")) g.config.resolve("isolation.level", std::string("read_committed"));
    commit = "after-process";
  }
  if (!commit) commit = g.config.boolean("enable.auto.commit") ? "auto" : "after-process";
  auto policy = kafka::parse_commit_policy(*commit);
  if (!policy) {
    std::string list;
    for (const auto& name : policies) list += (list.empty() ? "" : ", ") + name;
    fail(fmt::format("group.commit: unknown policy \"{}\"{}; the policies are {}", *commit, suggestion(*commit, policies), list));
  }
  g.app.policy = *policy;
  if (*policy == kafka::CommitPolicy::kafka_auto) {
    if (g.config.is_explicit("enable.auto.commit") && !g.config.boolean("enable.auto.commit")) {
      fail("group: commit = \"auto\" needs enable.auto.commit = true");
    }
    g.config.resolve("enable.auto.commit", true);
  } else {
    // Applications that commit themselves (and Spring's container) run without auto-commit;
    // Spring rejects its manual modes with auto-commit on.
    if (g.config.is_explicit("enable.auto.commit") && g.config.boolean("enable.auto.commit")) {
      fail(fmt::format("group: commit = \"{}\" cannot be combined with enable.auto.commit = true", *commit));
    }
    g.config.resolve("enable.auto.commit", false);
  }
}

int l_group(lua_State* L) {
  Cluster& c = check_object<Cluster>(L, 1, "a cluster");
  Runtime& rt = Runtime::of(L);
  if (lua_type(L, 2) != LUA_TSTRING) fail("group(group_id, options): the first argument is the group.id");
  auto g = std::make_unique<GroupHandle>();
  g->cluster = &c;
  g->outcomes = &rt.client_outcomes();
  g->id = lua_tostring(L, 2);
  g->config = kafka::ConfigSet(kafka::ConfigScope::consumer, c.version);
  std::optional<std::string> commit;
  const int64_t members = lua_isnoneornil(L, 3) ? 1 : read_group_options(L, 3, *g, commit);
  if (g->app.topics.empty()) fail("group.topics: name the topics the group subscribes to");
  for (const std::string& t : g->app.topics) {
    check_topic_name(t, "group.topics");
    c.client_names_topic(t, g->config.boolean("allow.auto.create.topics"), "group");
  }
  if (g->app.error_handler.dead_letter) {
    // The dead-letter topics the hosted producer will write to (auto-created if the brokers allow).
    for (const std::string& t : g->app.topics) c.client_names_topic(g->app.error_handler.destination(t), true, "group");
  }
  g->config.put("group.id", g->id);
  resolve_commit_policy(*g, std::move(commit));
  if (const std::string error = kafka::finalize_consumer(g->config); !error.empty()) fail("group: " + error);
  trace_config_changes(c.world(), "group " + g->id, g->config, kafka::default_config(kafka::ConfigScope::consumer, c.version).describe());
  if (g->app.producer)
    trace_config_changes(c.world(), "group " + g->id + " producer", *g->app.producer,
                         kafka::default_config(kafka::ConfigScope::producer, c.version).describe());
  ensure_offsets_topic(c);
  if (g->app.exactly_once()) ensure_transaction_state_topic(c, "group");
  rt.register_group(g->id, std::set<std::string>(g->app.topics.begin(), g->app.topics.end()),
                    g->app.policy != kafka::CommitPolicy::before_process,
                    g->config.string("isolation.level") == "read_committed");
  c.reserve_clients(members, "group");  // before any starts: a caught error leaves no half-started group
  GroupHandle& ref = rt.adopt(L, std::move(g), kGroupMeta);
  for (int64_t i = 0; i < members; ++i) start_member(ref, ref.members.size(), "group");
  return 1;
}

// ---- members ----

const kafka::Consumer* consumer(World& w, NodeId n) { return dynamic_cast<const kafka::Consumer*>(w.node(n)); }

int l_member(lua_State* L) {
  GroupHandle& g = group(L);
  const lua_Integer i = luaL_checkinteger(L, 2);
  if (i < 1 || static_cast<size_t>(i) > g.members.size()) {
    fail(fmt::format("member({}): the group has members 1..{}", i, g.members.size()));
  }
  auto m = std::make_unique<MemberHandle>();
  m->group = &g;
  m->node = g.members[static_cast<size_t>(i - 1)];
  Runtime::of(L).adopt(L, std::move(m), kMemberMeta);
  return 1;
}

int l_member_crash(lua_State* L) {
  MemberHandle& m = member(L);
  World& w = m.group->cluster->world();
  if (!w.crash(m.node)) fail(fmt::format("crash: {} is not running", w.name(m.node)));
  return 0;
}

int l_member_restart(lua_State* L) {
  MemberHandle& m = member(L);
  World& w = m.group->cluster->world();
  if (!w.restart(m.node)) fail(fmt::format("restart: {} is running", w.name(m.node)));
  return 0;
}

int l_member_pause(lua_State* L) {
  MemberHandle& m = member(L);
  World& w = m.group->cluster->world();
  if (!w.pause(m.node)) fail(fmt::format("pause: {} is not running", w.name(m.node)));
  if (!lua_isnoneornil(L, 2)) {
    const Duration d = to_duration(L, 2, "pause(duration)");
    const NodeId node = m.node;
    const uint32_t inc = w.incarnation(node);
    w.scheduler().after(d, [&w, node, inc] {
      if (w.incarnation(node) == inc) w.resume(node);
    });
  }
  return 0;
}

int l_member_resume(lua_State* L) {
  MemberHandle& m = member(L);
  World& w = m.group->cluster->world();
  if (!w.resume(m.node)) fail(fmt::format("resume: {} is not paused", w.name(m.node)));
  return 0;
}

int l_member_slow(lua_State* L) {
  MemberHandle& m = member(L);
  const DurationDist d = to_duration_dist(L, 2, "slow(processing_time)");
  World& w = m.group->cluster->world();
  if (!w.invoke(m.node, [d](Node& n, Context&) { static_cast<kafka::Consumer&>(n).set_processing_time(d); })) {
    fail(fmt::format("slow: {} is not running", w.name(m.node)));
  }
  return 0;
}

// m:crash_at("after-process") at a point of the poll loop, or m:crash_at({ point = ...,
// record = n }) at a point of the n-th record the process handles from now on.
int l_member_crash_at(lua_State* L) {
  MemberHandle& m = member(L);
  kafka::CrashPoint at;
  std::vector<std::string> points = {"before-process", "after-process", "after-commit"};
  if (lua_istable(L, 2)) {
    points.insert(points.begin() + 2, "before-commit");
    lua_getfield(L, 2, "point");
    if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("crash_at.point: a point name, got {}", describe(L, -1)));
    at.point = lua_tostring(L, -1);
    lua_getfield(L, 2, "record");
    const auto n = to_whole(L, -1);
    if (!n || *n < 1) fail(fmt::format("crash_at.record: the record's number, 1 or more, got {}", describe(L, -1)));
    at.record = *n;
    lua_pop(L, 2);
  } else {
    at.point = luaL_checkstring(L, 2);
  }
  const std::string& point = at.point;
  if (std::find(points.begin(), points.end(), point) == points.end()) {
    std::string list;
    for (const auto& p : points) list += (list.empty() ? "" : ", ") + p;
    fail(fmt::format("crash_at: unknown point \"{}\"{}; points: {}", point, suggestion(point, points), list));
  }
  World& w = m.group->cluster->world();
  if (!w.invoke(m.node, [at](Node& n, Context&) { static_cast<kafka::Consumer&>(n).arm_crash(at); })) {
    fail(fmt::format("crash_at: {} is not running", w.name(m.node)));
  }
  return 0;
}

int l_member_seek(lua_State* L) {
  MemberHandle& m = member(L);
  const kafka::TopicPartition tp{luaL_checkstring(L, 2), partition_arg(L, 3, "seek(topic, partition, offset)")};
  const int64_t offset = luaL_checkinteger(L, 4);
  if (offset < 0) fail("seek(topic, partition, offset): offset must not be negative");
  World& w = m.group->cluster->world();
  const std::string name(w.name(m.node));
  const bool sent = w.invoke(m.node, [tp, offset, name](Node& n, Context& ctx) {
    if (!static_cast<kafka::Consumer&>(n).seek(ctx, tp, offset)) {
      ctx.trace(kafka::event::ConsumerError{.member = name, .detail = "seek: partition not assigned (IllegalStateException)"});
    }
  });
  if (!sent) fail(fmt::format("seek: {} is not running", name));
  return 0;
}

int l_member_leave(lua_State* L) {
  MemberHandle& m = member(L);
  World& w = m.group->cluster->world();
  if (!w.shutdown(m.node)) fail(fmt::format("leave: {} is not running", w.name(m.node)));
  return 0;
}

// m:replace(): a new process takes the member's identity (its group.instance.id) in its slot,
// while the old process runs on: a zombie if it is still alive (paused, cut off). m now names
// the new process; the handle returned names the old one.
int l_member_replace(lua_State* L) {
  MemberHandle& m = member(L);
  GroupHandle& g = *m.group;
  World& w = g.cluster->world();
  auto slot = std::find(g.members.begin(), g.members.end(), m.node);
  if (slot == g.members.end()) {
    fail(fmt::format("replace: {} was itself replaced; replace the handle of the member's current process", w.name(m.node)));
  }
  const auto index = static_cast<size_t>(slot - g.members.begin());
  if (g.retired[index]) fail(fmt::format("replace: {} was scaled away", w.name(m.node)));
  auto old = std::make_unique<MemberHandle>();
  old->group = &g;
  old->node = m.node;
  m.node = start_member(g, index, "replace");
  Runtime::of(L).adopt(L, std::move(old), kMemberMeta);
  return 1;
}

int l_member_name(lua_State* L) {
  MemberHandle& m = member(L);
  lua_pushstring(L, std::string(m.group->cluster->world().name(m.node)).c_str());
  return 1;
}

int l_member_state(lua_State* L) {
  MemberHandle& m = member(L);
  lua_pushstring(L, std::string(to_string(m.group->cluster->world().state(m.node))).c_str());
  return 1;
}

// ---- group ----

int l_scale(lua_State* L) {
  GroupHandle& g = group(L);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 0 || n > caps::kMembersPerGroup) fail(fmt::format("scale(n): between 0 and {} members", caps::kMembersPerGroup));
  World& w = g.cluster->world();
  size_t active = 0;
  for (size_t i = 0; i < g.members.size(); ++i) active += g.retired[i] ? 0 : 1;
  if (n > static_cast<lua_Integer>(active)) g.cluster->reserve_clients(n - static_cast<lua_Integer>(active), "scale(n)");
  w.emit(kafka::event::GroupScale{.group = g.id, .from = active, .to = n});
  while (active < static_cast<size_t>(n)) {
    start_member(g, g.members.size(), "scale(n)");
    ++active;
  }
  // An autoscaler removes the newest members first; they close cleanly.
  for (size_t i = g.members.size(); i-- > 0 && active > static_cast<size_t>(n);) {
    if (g.retired[i]) continue;
    g.retired[i] = true;
    --active;
    if (w.alive(g.members[i])) w.shutdown(g.members[i]);
  }
  return 0;
}

const kafka::Group* coordinator_state(GroupHandle& g) {
  for (const auto& [b, node] : g.cluster->layout.brokers) {
    const kafka::Broker* br = g.cluster->broker(b);
    if (!br) continue;
    auto it = br->groups().find(g.id);
    if (it != br->groups().end()) return &it->second;
  }
  return nullptr;
}

int l_assignment(lua_State* L) {
  GroupHandle& g = group(L);
  World& w = g.cluster->world();
  lua_newtable(L);
  for (NodeId n : g.members) {
    const kafka::Consumer* cons = consumer(w, n);
    if (!cons || !cons->stable()) continue;
    lua_newtable(L);
    lua_Integer i = 0;
    for (const auto& tp : cons->assignment()) {
      lua_pushstring(L, tp.to_string().c_str());
      lua_rawseti(L, -2, ++i);
    }
    lua_setfield(L, -2, std::string(w.name(n)).c_str());
  }
  return 1;
}

int l_committed(lua_State* L) {
  GroupHandle& g = group(L);
  const std::string topic = luaL_checkstring(L, 2);
  const int32_t p = partition_arg(L, 3, "committed(topic, partition)");
  const kafka::Group* state = coordinator_state(g);
  if (!state) {
    lua_pushnil(L);
    return 1;
  }
  auto it = state->offsets.find({topic, p});
  if (it == state->offsets.end()) lua_pushnil(L);
  else lua_pushinteger(L, it->second.offset);
  return 1;
}

int l_generation(lua_State* L) {
  GroupHandle& g = group(L);
  const kafka::Group* state = coordinator_state(g);
  if (!state) lua_pushnil(L);
  else lua_pushinteger(L, state->generation);
  return 1;
}

int l_group_state(lua_State* L) {
  GroupHandle& g = group(L);
  const kafka::Group* state = coordinator_state(g);
  lua_pushstring(L, state ? std::string(kafka::to_string(state->phase)).c_str() : "unknown");
  return 1;
}

int l_lag(lua_State* L) {
  GroupHandle& g = group(L);
  const kafka::Group* state = coordinator_state(g);
  lua_newtable(L);
  for (const std::string& topic : g.app.topics) {
    const kafka::Controller* ctl = g.cluster->controller();
    const int32_t n = ctl ? ctl->partition_count(topic) : 0;
    for (int32_t p = 0; p < n; ++p) {
      const kafka::PartitionState* s = g.cluster->partition(topic, p);
      const kafka::Broker* b = s && s->leader != kafka::kNoLeader ? g.cluster->broker(s->leader) : nullptr;
      const kafka::Partition* r = b ? b->partition(topic, p) : nullptr;
      if (!r) continue;
      int64_t committed = 0;
      if (state) {
        auto it = state->offsets.find({topic, p});
        if (it != state->offsets.end()) committed = it->second.offset;
      }
      lua_pushinteger(L, std::max<int64_t>(0, r->log->high_watermark() - committed));
      lua_setfield(L, -2, kafka::partition_name(topic, p).c_str());
    }
  }
  return 1;
}

int l_processed(lua_State* L) {
  GroupHandle& g = group(L);
  const check::ClientOutcomes& seen = Runtime::of(L).client_outcomes();
  lua_newtable(L);
  lua_Integer i = 0;
  for (const auto& p : seen.group(g.id).processed) {
    lua_newtable(L);
    set_field(L, "member", std::string_view(seen.member(p.member)));
    set_field(L, "topic", std::string_view(seen.topic(p.topic)));
    set_field(L, "partition", static_cast<lua_Integer>(p.partition));
    set_field(L, "offset", static_cast<lua_Integer>(p.offset));
    set_field(L, "key", seen.text(p.key));
    set_field(L, "value", seen.text(p.value));
    set_field(L, "time", static_cast<double>(Time{p.time_ns}.as_millis()));
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

int l_group_stats(lua_State* L) {
  GroupHandle& g = group(L);
  const check::GroupOutcomes& o = Runtime::of(L).client_outcomes().group(g.id);
  lua_newtable(L);
  set_field(L, "processed", static_cast<lua_Integer>(o.processed.size()));
  set_field(L, "assignments", static_cast<lua_Integer>(o.assignments));
  size_t active = 0;
  for (size_t i = 0; i < g.members.size(); ++i) active += g.retired[i] ? 0 : 1;
  set_field(L, "members", static_cast<lua_Integer>(static_cast<lua_Integer>(active)));
  set_field(L, "blocked_ms", static_cast<double>(o.blocked_ns) / 1e6);
  set_field(L, "truncations", static_cast<lua_Integer>(o.truncations));
  set_field(L, "commits", static_cast<lua_Integer>(o.commits));
  set_field(L, "commits_failed", static_cast<lua_Integer>(o.commits_failed));
  lua_newtable(L);
  for (const auto& [name, n] : o.commit_errors) {
    lua_pushinteger(L, static_cast<lua_Integer>(n));
    lua_setfield(L, -2, name.c_str());
  }
  lua_setfield(L, -2, "commit_errors");
  lua_newtable(L);
  for (const auto& [name, n] : o.fatal_errors) {
    lua_pushinteger(L, static_cast<lua_Integer>(n));
    lua_setfield(L, -2, name.c_str());
  }
  lua_setfield(L, -2, "fatal_errors");
  return 1;
}

}  // namespace

int cluster_group(lua_State* L) { return guarded<l_group>(L); }

void register_group_metatables(lua_State* L) {
  static const luaL_Reg methods[] = {{"member", guarded<l_member>},         {"scale", guarded<l_scale>},
                                     {"assignment", guarded<l_assignment>}, {"committed", guarded<l_committed>},
                                     {"generation", guarded<l_generation>}, {"state", guarded<l_group_state>},
                                     {"lag", guarded<l_lag>},               {"processed", guarded<l_processed>},
                                     {"stats", guarded<l_group_stats>},     {nullptr, nullptr}};
  register_handle(L, kGroupMeta, "group", methods);

  static const luaL_Reg mmethods[] = {{"crash", guarded<l_member_crash>},   {"restart", guarded<l_member_restart>},
                                      {"pause", guarded<l_member_pause>},   {"resume", guarded<l_member_resume>},
                                      {"slow", guarded<l_member_slow>},     {"crash_at", guarded<l_member_crash_at>},
                                      {"leave", guarded<l_member_leave>},   {"state", guarded<l_member_state>},
                                      {"seek", guarded<l_member_seek>},     {"replace", guarded<l_member_replace>},
                                      {"name", guarded<l_member_name>},
                                      {nullptr, nullptr}};
  register_handle(L, kMemberMeta, "group member", mmethods);
}

}  // namespace sim::lua
