// The transactional producer's Lua methods: p:begin(), p:send_offsets(group, offsets),
// p:commit(), p:abort(). Each runs on the producer's application thread, queued behind the
// script's earlier sends as p:send is. Calls Kafka would refuse with an IllegalStateException
// (no transactional.id, begin twice, offsets or commit outside a transaction) are the script's
// error, raised at the call with its file:line.
#include <fmt/format.h>

#include "sim/lua/cluster.hpp"
#include "sim/lua/cluster_handles.hpp"
#include "sim/lua/lua_util.hpp"
#include "sim/lua/object.hpp"

namespace sim::lua {

namespace {

ProducerHandle& transactional_producer(lua_State* L, const char* call) {
  ProducerHandle& p = check_object<ProducerHandle>(L, 1, "a producer");
  if (!p.transactional) {
    fail(fmt::format("{}: the producer '{}' has no transactional.id (Kafka: \"Transactional method invoked on a "
                     "non-transactional producer.\"); give it one: c:producer(\"{}\", {{ [\"transactional.id\"] = \"...\" }})",
                     call, p.id, p.id));
  }
  return p;
}

void require_open(ProducerHandle& p, const char* call) {
  if (!p.in_transaction) {
    fail(fmt::format("{}: no transaction is open on '{}' (call p:begin() first)", call, p.id));
  }
}

void run_on_app_thread(ProducerHandle& p, const char* call, kafka::Producer::TxnCall what,
                       std::vector<kafka::TxnOffset> offsets = {}, kafka::ConsumerGroupMetadata group = {}) {
  if (!p.cluster->world().invoke(p.node, [what, offsets, group](Node& n, Context& ctx) {
        static_cast<kafka::Producer&>(n).app_txn(ctx, what, offsets, group);
      })) {
    fail(fmt::format("{}: the producer '{}' is not running", call, p.id));
  }
}

// offsets: a list of { topic =, partition =, offset = } (the next offset to consume, as
// Kafka commits it).
std::vector<kafka::TxnOffset> read_offsets(lua_State* L, int idx) {
  const char* shape = "send_offsets(group, offsets): offsets is a list of { topic = , partition = , offset = }";
  if (lua_type(L, idx) != LUA_TTABLE) fail(fmt::format("{}, got {}", shape, describe(L, idx)));
  std::vector<kafka::TxnOffset> out;
  const auto n = static_cast<lua_Integer>(lua_rawlen(L, idx));
  if (n == 0) fail(fmt::format("{}; got an empty list (or a table with keys)", shape));
  for (lua_Integer i = 1; i <= n; ++i) {
    lua_rawgeti(L, idx, i);
    const int item = lua_gettop(L);
    if (lua_type(L, item) != LUA_TTABLE) fail(fmt::format("{}; item {} is {}", shape, i, describe(L, item)));
    TableReader r(L, item, fmt::format("send_offsets offsets[{}]", i), {"topic", "partition", "offset"});
    kafka::TxnOffset o;
    const auto topic = r.string("topic");
    const auto partition = r.integer("partition");
    const auto offset = r.integer("offset");
    if (!topic || !partition || !offset) fail(fmt::format("{}; item {} lacks one of them", shape, i));
    check_topic_name(*topic, fmt::format("send_offsets offsets[{}].topic", i));
    if (*partition < 0 || *partition > INT32_MAX) fail(fmt::format("send_offsets offsets[{}].partition: a partition number", i));
    if (*offset < 0) fail(fmt::format("send_offsets offsets[{}].offset: an offset, 0 or more", i));
    o.tp = {*topic, static_cast<int32_t>(*partition)};
    o.offset = *offset;
    out.push_back(std::move(o));
    lua_settop(L, item - 1);
  }
  return out;
}

}  // namespace

int l_producer_begin(lua_State* L) {
  ProducerHandle& p = transactional_producer(L, "begin");
  if (p.in_transaction) {
    fail(fmt::format("begin: a transaction is already open on '{}' (Kafka: IllegalStateException, \"Invalid transition "
                     "attempted from state IN_TRANSACTION to state IN_TRANSACTION\"); p:commit() or p:abort() it first",
                     p.id));
  }
  run_on_app_thread(p, "begin", kafka::Producer::TxnCall::begin);
  p.in_transaction = true;
  return 0;
}

int l_producer_send_offsets(lua_State* L) {
  ProducerHandle& p = transactional_producer(L, "send_offsets");
  require_open(p, "send_offsets");
  if (lua_type(L, 2) != LUA_TSTRING) {
    fail(fmt::format("send_offsets(group, offsets): group is a group id (a string), got {}", describe(L, 2)));
  }
  // new ConsumerGroupMetadata(groupId): a script is not a group member, so the offsets carry
  // no generation or member id and the group coordinator cannot fence them (KIP-447).
  kafka::ConsumerGroupMetadata group;
  group.group_id = lua_tostring(L, 2);
  if (group.group_id.empty()) fail("send_offsets(group, offsets): the group id is empty");
  auto offsets = read_offsets(L, 3);
  run_on_app_thread(p, "send_offsets", kafka::Producer::TxnCall::send_offsets, std::move(offsets), std::move(group));
  return 0;
}

int l_producer_commit(lua_State* L) {
  ProducerHandle& p = transactional_producer(L, "commit");
  require_open(p, "commit");
  run_on_app_thread(p, "commit", kafka::Producer::TxnCall::commit);
  p.in_transaction = false;
  return 0;
}

int l_producer_abort(lua_State* L) {
  ProducerHandle& p = transactional_producer(L, "abort");
  require_open(p, "abort");
  run_on_app_thread(p, "abort", kafka::Producer::TxnCall::abort);
  p.in_transaction = false;
  return 0;
}

}  // namespace sim::lua
