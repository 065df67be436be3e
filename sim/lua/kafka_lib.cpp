// The `kafka` table: Kafka's own functions, for scenarios and for checking expectations.
#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "broker_model/client/partitioner.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/assignors.hpp"
#include "sim/lua/caps.hpp"
#include "sim/lua/cluster.hpp"
#include "sim/lua/lua_util.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::lua {

namespace {

int l_murmur2(lua_State* L) {
  size_t len = 0;
  const char* bytes = luaL_checklstring(L, 1, &len);
  lua_pushinteger(L, kafka::murmur2(std::string_view(bytes, len)));
  return 1;
}

int l_coordinator_partition(lua_State* L) {
  size_t len = 0;
  const char* id = luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 1 || n > INT32_MAX) fail("kafka.coordinator_partition(group_id, n): n must be a positive number of partitions");
  lua_pushinteger(L, kafka::coordinator_partition(std::string_view(id, len), static_cast<int32_t>(n)));
  return 1;
}

int l_partition_for(lua_State* L) {
  size_t len = 0;
  const char* key = luaL_checklstring(L, 1, &len);
  const lua_Integer n = luaL_checkinteger(L, 2);
  if (n < 1 || n > INT32_MAX) fail("kafka.partition_for(key, n): n must be a positive number of partitions");
  lua_pushinteger(L, kafka::partition_for_key(std::string_view(key, len), static_cast<int32_t>(n)));
  return 1;
}

// spec.topics of kafka.assign at idx: topic name = partition count, checked in name order (so
// that the first error never depends on Lua's hash order) and capped in all.
std::map<std::string, int32_t> assign_topics(lua_State* L, int idx) {
  constexpr const char* kShape = "kafka.assign spec.topics: topic name = partition count";
  if (lua_type(L, idx) != LUA_TTABLE) fail("kafka.assign spec.topics: a table of topic name = partition count");
  std::map<std::string, std::optional<int64_t>> counts;
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING) fail(kShape);
    counts[lua_tostring(L, -2)] = to_whole(L, -1);
    lua_pop(L, 1);
  }
  std::map<std::string, int32_t> topics;
  int64_t total = 0;
  for (const auto& [name, count] : counts) {
    if (!count) fail(kShape);
    if (*count < 0 || *count > caps::kPartitionsPerTopic) {
      fail(fmt::format("kafka.assign spec.topics.{}: a partition count between 0 and kafkasim's cap of {}", name,
                       caps::kPartitionsPerTopic));
    }
    total += *count;
    if (total > caps::kAssignPartitions) {
      fail(fmt::format("kafka.assign spec.topics: at most {} partitions in all (kafkasim's cap)", caps::kAssignPartitions));
    }
    topics[name] = static_cast<int32_t>(*count);
  }
  return topics;
}

// A list of strings at `key` of the member `mr` reads (nil: empty), each charged to the sandbox's
// text budget: a list may name one long string a million times.
std::vector<std::string> member_strings(lua_State* L, TableReader& mr, const std::string& what, const char* key, Sandbox& sb) {
  std::vector<std::string> out;
  const int idx = mr.push(key);
  if (lua_type(L, idx) == LUA_TTABLE) {
    for (lua_Integer k = 1; k <= static_cast<lua_Integer>(lua_rawlen(L, idx)); ++k) {
      lua_rawgeti(L, idx, k);
      if (lua_type(L, -1) != LUA_TSTRING) fail(fmt::format("{}.{}[{}]: expected a string", what, key, k));
      size_t len = 0;
      const char* text = lua_tolstring(L, -1, &len);
      sb.take_text(L, sizeof(std::string) + len);
      out.emplace_back(text, len);
      lua_pop(L, 1);
    }
  } else if (!lua_isnil(L, idx)) {
    fail(fmt::format("{}.{}: expected a list", what, key));
  }
  lua_pop(L, 1);
  return out;
}

// "orders-3" -> {"orders", 3}: an owned partition as the member lists it.
kafka::TopicPartition owned_partition(const std::string& what, const std::string& tp) {
  const size_t dash = tp.rfind('-');
  const std::string digits = dash == std::string::npos ? std::string() : tp.substr(dash + 1);
  if (dash == 0 || digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) {
    fail(fmt::format("{}.owned: \"{}\" is not \"topic-partition\"", what, tp));
  }
  return {tp.substr(0, dash), static_cast<int32_t>(std::stol(digits))};
}

// spec.members[i], the table at the top of the stack: { id =, instance_id =, topics =, owned =, generation = }.
kafka::MemberSubscription assign_member(lua_State* L, lua_Integer i, Sandbox& sb) {
  const std::string what = fmt::format("kafka.assign spec.members[{}]", i);
  TableReader mr(L, -1, what, {"id", "instance_id", "topics", "owned", "generation"});
  kafka::MemberSubscription s;
  auto id = mr.string("id");
  if (!id) fail(what + ": id is required");
  s.member_id = *id;
  s.group_instance_id = mr.string("instance_id");
  s.generation = static_cast<int32_t>(mr.integer("generation").value_or(-1));
  s.topics = member_strings(L, mr, what, "topics", sb);
  for (const std::string& tp : member_strings(L, mr, what, "owned", sb)) s.owned.push_back(owned_partition(what, tp));
  return s;
}

// spec.members of kafka.assign at idx, capped in number; the assignors' work, which grows with
// partitions times members, is charged before any of it starts.
std::vector<kafka::MemberSubscription> assign_members(lua_State* L, int m, const std::map<std::string, int32_t>& topics) {
  if (lua_type(L, m) != LUA_TTABLE) fail("kafka.assign spec.members: a list of members");
  const auto member_count = static_cast<int64_t>(lua_rawlen(L, m));
  if (member_count > caps::kAssignMembers) {
    fail(fmt::format("kafka.assign spec.members: at most {} members (kafkasim's cap)", caps::kAssignMembers));
  }
  int64_t partitions = 0;
  for (const auto& [name, n] : topics) partitions += n;
  Sandbox& sb = Runtime::of(L).sandbox();
  sb.charge(L, static_cast<uint64_t>(partitions) * static_cast<uint64_t>(std::max<int64_t>(member_count, 1)));
  std::vector<kafka::MemberSubscription> members;
  for (lua_Integer i = 1; i <= static_cast<lua_Integer>(lua_rawlen(L, m)); ++i) {
    lua_rawgeti(L, m, i);
    members.push_back(assign_member(L, i, sb));
    lua_pop(L, 1);
  }
  return members;
}

// kafka.assign(strategy, { topics = { name = partitions }, members = { { id =, instance_id =,
// topics = {...}, owned = { "t-0" }, generation = } } }) -> { member_id = { "t-0", ... } }
int l_assign(lua_State* L) {
  const std::string strategy = luaL_checkstring(L, 1);
  const std::vector<std::string> strategies = {"range", "roundrobin", "sticky", "cooperative-sticky"};
  if (std::find(strategies.begin(), strategies.end(), strategy) == strategies.end()) {
    fail(fmt::format("kafka.assign: unknown strategy \"{}\"{}", strategy, suggestion(strategy, strategies)));
  }
  TableReader r(L, 2, "kafka.assign spec", {"topics", "members"});
  const std::map<std::string, int32_t> topics = assign_topics(L, r.push("topics"));
  lua_pop(L, 1);
  const std::vector<kafka::MemberSubscription> members = assign_members(L, r.push("members"), topics);
  lua_pop(L, 1);
  kafka::Assignment result;
  try {
    result = kafka::assign(strategy, topics, members);
  } catch (const kafka::AssignorFailure& e) {
    fail(std::string("kafka.assign: Kafka's assignor fails on this input: ") + e.what());
  } catch (const std::invalid_argument& e) {
    fail(std::string("kafka.assign: ") + e.what());
  }
  lua_newtable(L);
  for (const auto& [member, tps] : result) {
    lua_newtable(L);
    for (size_t k = 0; k < tps.size(); ++k) {
      lua_pushstring(L, tps[k].to_string().c_str());
      lua_rawseti(L, -2, static_cast<lua_Integer>(k + 1));
    }
    lua_setfield(L, -2, member.c_str());
  }
  return 1;
}

void push_configs(lua_State* L, const kafka::ConfigSet& cfg) {
  lua_newtable(L);
  for (const auto& [k, v] : cfg.describe()) {
    lua_pushstring(L, v.c_str());
    lua_setfield(L, -2, k.c_str());
  }
}

int l_defaults(lua_State* L) {
  const std::string text = lua_isnoneornil(L, 1) ? Runtime::of(L).info().kafka_version : luaL_checkstring(L, 1);
  const auto& known = kafka_versions();
  if (std::find(known.begin(), known.end(), text) == known.end()) {
    fail(fmt::format("kafka.defaults: unknown version \"{}\"{}", text, suggestion(text, known)));
  }
  const auto v = *kafka::KafkaVersion::parse(text);
  lua_newtable(L);
  push_configs(L, kafka::ConfigSet(kafka::ConfigScope::broker, v));
  lua_setfield(L, -2, "broker");
  kafka::ConfigSet producer(kafka::ConfigScope::producer, v);
  kafka::finalize_producer(producer);
  push_configs(L, producer);
  lua_setfield(L, -2, "producer");
  kafka::ConfigSet consumer(kafka::ConfigScope::consumer, v);
  kafka::finalize_consumer(consumer);
  push_configs(L, consumer);
  lua_setfield(L, -2, "consumer");
  return 1;
}

}  // namespace

void register_kafka_library(lua_State* L) {
  static const luaL_Reg fns[] = {{"murmur2", guarded<l_murmur2>},
                                 {"partition_for", guarded<l_partition_for>},
                                 {"coordinator_partition", guarded<l_coordinator_partition>},
                                 {"defaults", guarded<l_defaults>},
                                 {"assign", guarded<l_assign>},
                                 {nullptr, nullptr}};
  luaL_newlib(L, fns);
  lua_setglobal(L, "kafka");
}

}  // namespace sim::lua
