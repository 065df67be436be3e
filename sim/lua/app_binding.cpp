// on_record / on_batch handlers as coroutines, and the `app` object they get. A blocking call
// (a store round trip, commitSync, an acknowledgement that commits, a sync app:send) yields the coroutine; the
// consumer resumes it with the reply, which the call then returns (or raises, as the Java call
// would throw). A handler's error is a processing failure; a limit of the sandbox ends the run.
#include "sim/lua/app_binding.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "sim/lua/caps.hpp"
#include "sim/lua/cluster_handles.hpp"
#include "sim/lua/lua_util.hpp"
#include "sim/lua/object.hpp"
#include "sim/lua/record_headers.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::lua {

namespace {

constexpr const char* kAppMeta = "kafkasim.app";
constexpr const char* kStoreMeta = "kafkasim.app_store";
constexpr const char* kTxMeta = "kafkasim.app_tx";
constexpr int kYield = -1;  // a binding's answer: yield the coroutine for the reply

class LuaListener;
void push_send_result(lua_State* co, const kafka::SendResult& r);

// A transaction's `t` in s:tx(fn): each of its calls is a statement of the open transaction,
// a round trip whose result fn sees. One per store and task, reused by its next s:tx.
struct TxHandle final : LuaObject {
  const char* kind() const override { return "store transaction"; }
  struct AppStore* store = nullptr;
  uint64_t task = 0;
  int64_t txn = 0;      // the process's number for the open transaction; 0: none open
  uint64_t serial = 0;  // the `t` handed to fn: one kept from an earlier s:tx is not it
  int statements = 0;   // sent so far (none: the store never saw the transaction)
  bool failed = false;  // fn raised: the transaction ends with ROLLBACK
};

struct AppStore final : LuaObject {
  const char* kind() const override { return "store"; }
  struct AppHandle* app = nullptr;
  std::string name;
  std::map<uint64_t, TxHandle> txs;  // by task
};

// `app`: lives as long as the run (scripts may keep it); its listener only while the process does.
struct AppHandle final : LuaObject {
  const char* kind() const override { return "app"; }
  LuaListener* listener = nullptr;
  int state_ref = LUA_NOREF;
  std::map<std::string, std::unique_ptr<AppStore>> stores;
};

// What the current task waits for, so that the reply becomes the right Lua value.
struct Awaiting {
  enum class Kind { nothing, commit, store, crash, send } kind = Kind::nothing;
  kafka::StoreOpKind op = kafka::StoreOpKind::get;
  kafka::StoreTxnPhase phase = kafka::StoreTxnPhase::none;  // a store call's step in s:tx
};

class LuaListener final : public kafka::Listener {
 public:
  LuaListener(Runtime& rt, int handler_ref, bool batch, TopicCheck names_topic, int assigned_ref)
      : rt_(rt), handler_ref_(handler_ref), assigned_ref_(assigned_ref), batch_(batch), names_topic_(std::move(names_topic)) {
    // Built when the process starts, from the scheduler: what it allocates in Lua is under the
    // sandbox's limits like any call.
    rt_.sandbox().protected_call("on_record (the app of a starting process)", [this](lua_State* L) {
      app_ = &rt_.adopt(L, std::make_unique<AppHandle>(), kAppMeta);
      app_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
      lua_newtable(L);
      app_->state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
      app_->listener = this;
    });
  }
  ~LuaListener() override {
    lua_State* L = rt_.sandbox().state();
    if (!L || !app_) return;  // the run is over and its Lua state closed
    app_->listener = nullptr;
    for (const auto& [task, ref] : threads_) luaL_unref(L, LUA_REGISTRYINDEX, ref);
    for (const auto& [id, ref] : every_refs_) luaL_unref(L, LUA_REGISTRYINDEX, ref);
    luaL_unref(L, LUA_REGISTRYINDEX, app_ref_);
  }

  bool batch() const override { return batch_; }
  bool has_on_assigned() const override { return assigned_ref_ != LUA_NOREF; }

  // on_assigned(partitions, app): partitions a list of { topic =, partition = }.
  kafka::ListenerStep on_assigned(const std::vector<kafka::TopicPartition>& partitions, kafka::ListenerServices& s) override {
    return start(kafka::kAssignedTask, s, [&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, assigned_ref_);
      lua_createtable(L, static_cast<int>(partitions.size()), 0);
      for (size_t i = 0; i < partitions.size(); ++i) {
        lua_createtable(L, 0, 2);
        set_field(L, "topic", std::string_view(partitions[i].topic));
        set_field(L, "partition", static_cast<lua_Integer>(partitions[i].partition));
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      return 1;
    });
  }

  kafka::ListenerStep on_record(const kafka::ConsumerRecord& r, kafka::ListenerServices& s) override {
    return start(kafka::kHandlerTask, s, [&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref_);
      push_record(L, r);
      return 1;
    });
  }
  kafka::ListenerStep on_batch(const std::vector<kafka::ConsumerRecord>& records, kafka::ListenerServices& s) override {
    return start(kafka::kHandlerTask, s, [&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, handler_ref_);
      lua_createtable(L, static_cast<int>(records.size()), 0);
      for (size_t i = 0; i < records.size(); ++i) {
        push_record(L, records[i]);
        lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
      }
      return 1;
    });
  }
  kafka::ListenerStep on_every(uint64_t id, kafka::ListenerServices& s) override {
    if (threads_.count(id)) return kafka::ListenerStep::done();  // its last run still waits: skip this one
    return start(id, s, [&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, every_refs_.at(id));
      return 0;
    });
  }
  kafka::ListenerStep resume(uint64_t task, const kafka::ListenerReply& reply, kafka::ListenerServices& s) override {
    auto it = threads_.find(task);
    if (it == threads_.end()) return kafka::ListenerStep::done();
    lua_State* co = nullptr;
    rt_.sandbox().protected_call("a handler's reply", [&](lua_State* L) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, it->second);
      co = lua_tothread(L, -1);
      lua_pop(L, 1);
      // Built on the protected stack, then moved: co is not running and has no handler of its own.
      push_reply(L, reply, awaiting_[task]);
      if (!lua_checkstack(co, 2)) fail("a handler's reply: out of Lua stack");
      lua_xmove(L, co, 2);
    });
    return run(task, co, 2, s);
  }

  // ---- what the bindings use ----
  kafka::ListenerServices& services(lua_State* L) {
    if (!services_) fail("app: the process is not running this code now (keep app inside the handler)");
    (void)L;
    return *services_;
  }
  uint64_t task() const { return task_; }
  // The coroutine of the task running now: only it may wait (its yield is the simulator's).
  lua_State* running() const { return running_; }
  void await(Awaiting a) { awaiting_[task_] = a; }
  // app:send to `topic`: the cluster learns of a topic the send may create.
  void names_topic(const std::string& topic) const {
    if (names_topic_) names_topic_(topic);
  }
  // app:every(interval, fn) from the line `where`: one timer per line of code.
  std::optional<uint64_t> add_every(lua_State* L, int fn_idx, const std::string& where) {
    if (every_lines_.count(where)) return std::nullopt;
    const uint64_t id = every_lines_.size() + 1;
    every_lines_[where] = id;
    lua_pushvalue(L, fn_idx);
    every_refs_[id] = luaL_ref(L, LUA_REGISTRYINDEX);
    return id;
  }

 private:
  template <typename PushFn>
  kafka::ListenerStep start(uint64_t task, kafka::ListenerServices& s, PushFn&& push) {
    lua_State* co = nullptr;
    int nargs = 0;
    rt_.sandbox().protected_call("on_record", [&](lua_State* L) {
      co = lua_newthread(L);
      threads_[task] = luaL_ref(L, LUA_REGISTRYINDEX);
      nargs = push(L) + 1;
      lua_rawgeti(L, LUA_REGISTRYINDEX, app_ref_);
      if (!lua_checkstack(co, nargs + 1)) fail("on_record: out of Lua stack");
      lua_xmove(L, co, nargs + 1);
    });
    awaiting_[task] = {};
    // A run of this task that never ended (its wait was abandoned) left its transactions open
    // here; the store ends them (idle-in-transaction timeout).
    for (auto& [name, store] : app_->stores)
      if (auto it = store->txs.find(task); it != store->txs.end()) it->second.txn = 0;
    return run(task, co, nargs, s);
  }

  kafka::ListenerStep run(uint64_t task, lua_State* co, int nargs, kafka::ListenerServices& s) {
    services_ = &s;
    task_ = task;
    running_ = co;
    awaiting_[task] = {};
    const char* what = task == kafka::kHandlerTask ? "on_record" : task == kafka::kAssignedTask ? "on_assigned" : "app:every";
    const int status = rt_.sandbox().resume(co, nargs, what);
    services_ = nullptr;
    running_ = nullptr;
    if (status == LUA_YIELD && awaiting_[task].kind != Awaiting::Kind::nothing) return kafka::ListenerStep::waiting();
    std::string failure;
    if (status == LUA_YIELD) {
      failure = Sandbox::where(co) + "a handler cannot yield (coroutine.yield) to the simulator";
    } else if (status != LUA_OK) {
      const char* msg = lua_tostring(co, -1);
      failure = msg ? msg : "error raised with a non-string value";
      if (failure.find(".lua:") == std::string::npos) failure = Sandbox::where(co) + failure;
    }
    end(task);
    return failure.empty() ? kafka::ListenerStep::done() : kafka::ListenerStep::failed(failure);
  }

  void end(uint64_t task) {
    auto it = threads_.find(task);
    if (it == threads_.end()) return;
    luaL_unref(rt_.L(), LUA_REGISTRYINDEX, it->second);
    threads_.erase(it);
    awaiting_.erase(task);
  }

  void push_record(lua_State* co, const kafka::ConsumerRecord& r) {
    lua_createtable(co, 0, 7);
    set_field(co, "topic", std::string_view(r.tp.topic));
    set_field(co, "partition", static_cast<lua_Integer>(r.tp.partition));
    set_field(co, "offset", static_cast<lua_Integer>(r.offset));
    if (r.record.has_key) set_field(co, "key", std::string_view(r.record.key));
    set_field(co, "value", std::string_view(r.record.value));
    push_headers(co, r.record.headers.list());
    lua_setfield(co, -2, "headers");
    set_field(co, "timestamp", static_cast<lua_Integer>(r.record.timestamp_ms));
  }

  // Two values for the yielded call's continuation: ok, then the result or the error.
  static void push_reply(lua_State* co, const kafka::ListenerReply& reply, const Awaiting& a) {
    if (reply.kind == kafka::ListenerReply::Kind::send) {
      push_send_result(co, *reply.send);
      return;
    }
    if (reply.kind == kafka::ListenerReply::Kind::commit) {
      const bool ok = reply.commit_error == kafka::Error::NONE;
      lua_pushboolean(co, ok);
      if (ok) lua_pushboolean(co, 1);
      else lua_pushstring(co, fmt::format("CommitFailedException: {}", kafka::error_name(reply.commit_error)).c_str());
      return;
    }
    if (!reply.store || !reply.store->ok) {
      lua_pushboolean(co, 0);
      lua_pushstring(co, store_failure(reply, a).c_str());
      return;
    }
    lua_pushboolean(co, 1);
    const auto& results = reply.store->results;
    if (a.phase == kafka::StoreTxnPhase::commit || a.phase == kafka::StoreTxnPhase::rollback) lua_pushboolean(co, 1);
    else if (results.empty()) lua_pushnil(co);
    else push_result(co, results[0], a.op);
  }

  // What a store call that did not succeed raises.
  static std::string store_failure(const kafka::ListenerReply& reply, const Awaiting& a) {
    using kafka::StoreTxnPhase;
    if (reply.store) return "the store refused: " + reply.store->error;
    switch (a.phase) {
      case StoreTxnPhase::begin:
      case StoreTxnPhase::statement:
        return "the store's connection broke: the transaction was rolled back";
      case StoreTxnPhase::commit:
        return "the store's connection broke before it answered the commit: the outcome is unknown";
      case StoreTxnPhase::rollback:
        return "the store's connection broke: the transaction was rolled back";
      case StoreTxnPhase::none: break;
    }
    return "the store's connection broke before it answered: the outcome is unknown";
  }

  static void push_result(lua_State* co, const kafka::StoreResult& r, std::optional<kafka::StoreOpKind> op) {
    if (op == kafka::StoreOpKind::insert_if_absent) {
      lua_pushboolean(co, r.inserted);
    } else if (op == kafka::StoreOpKind::put) {
      lua_pushnil(co);
    } else if (!r.value) {
      lua_pushnil(co);
    } else if (op == kafka::StoreOpKind::increment) {
      lua_pushinteger(co, std::stoll(*r.value));
    } else {
      lua_pushlstring(co, r.value->data(), r.value->size());
    }
  }

  Runtime& rt_;
  int handler_ref_;
  int assigned_ref_;  // on_assigned, or LUA_NOREF
  bool batch_;
  TopicCheck names_topic_;
  AppHandle* app_ = nullptr;
  int app_ref_ = LUA_NOREF;
  std::map<uint64_t, int> threads_;  // task -> its coroutine (registry reference)
  std::map<uint64_t, Awaiting> awaiting_;
  std::map<std::string, uint64_t> every_lines_;
  std::map<uint64_t, int> every_refs_;
  kafka::ListenerServices* services_ = nullptr;
  uint64_t task_ = kafka::kHandlerTask;
  lua_State* running_ = nullptr;
};

// send().get() of a KafkaTemplate: ok and { partition, offset } (SendResult's RecordMetadata),
// or not ok and the ExecutionException's message.
void push_send_result(lua_State* co, const kafka::SendResult& r) {
  if (r.outcome == kafka::Outcome::ok) {
    lua_pushboolean(co, 1);
    lua_createtable(co, 0, 2);
    set_field(co, "partition", static_cast<lua_Integer>(r.partition));
    set_field(co, "offset", static_cast<lua_Integer>(r.offset));
    return;
  }
  lua_pushboolean(co, 0);
  lua_pushstring(co, fmt::format("ExecutionException: {}", kafka::error_name(r.error)).c_str());
}

// ---- the bindings ----

LuaListener& listener_of(lua_State* L) {
  AppHandle& app = check_object<AppHandle>(L, 1, "the app");
  if (!app.listener) fail("app: the process this app belonged to is gone (a crash, or the run ended)");
  return *app.listener;
}

// A call that waits must be able to suspend the handler: not from inside s:tx's function (a
// C call), nor from a coroutine of the script's own. Checked before anything is sent.
void require_yieldable(lua_State* L, const char* what, const LuaListener& l) {
  if (!lua_isyieldable(L) || L != l.running()) {
    fail(fmt::format("{} waits for a reply, which it cannot do here (inside s:tx's function use t; not from a "
                     "coroutine of the script's own)", what));
  }
}

// The continuation of a yielded call: returns the reply's value, or raises its error.
int after_reply(lua_State* L, int, lua_KContext) {
  if (!lua_toboolean(L, -2)) {
    lua_pushstring(L, (Sandbox::where(L) + luaL_tolstring(L, -1, nullptr)).c_str());
    return lua_error(L);
  }
  return 1;
}

// A binding that may block: F answers kYield to wait for the reply.
template <int (*F)(lua_State*)>
int blocking(lua_State* L) {
  const int n = guarded<F>(L);
  if (n != kYield) return n;
  return lua_yieldk(L, 0, 0, &after_reply);
}

int l_state_index(lua_State* L) {
  AppHandle& app = check_object<AppHandle>(L, 1, "the app");
  const char* key = lua_tostring(L, 2);
  if (key && std::string_view(key) == "state") {
    lua_rawgeti(L, LUA_REGISTRYINDEX, app.state_ref);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (lua_isnil(L, -1) && key) fail(fmt::format("app has no field '{}' (state, commit, commit_async, ack, every, crash, store, send, seek)", key));
  return 1;
}

int l_state_newindex(lua_State* L) {
  AppHandle& app = check_object<AppHandle>(L, 1, "the app");
  const char* key = lua_tostring(L, 2);
  if (!key || std::string_view(key) != "state" || !lua_istable(L, 3)) fail("app: only app.state can be set, to a table");
  luaL_unref(L, LUA_REGISTRYINDEX, app.state_ref);
  lua_pushvalue(L, 3);
  app.state_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int commit(lua_State* L, bool sync) {
  LuaListener& l = listener_of(L);
  const bool request = l.services(L).commit_is_request();  // exactly_once_v2: from app:every too
  if (l.task() != kafka::kHandlerTask && !request) {
    fail("app:commit: KafkaConsumer is not safe for multi-threaded access (commit from the handler, not from app:every)");
  }
  if (sync && !request) require_yieldable(L, "app:commit", l);
  if (!l.services(L).commit(sync)) return 0;
  l.await({Awaiting::Kind::commit});
  return kYield;
}
int l_commit(lua_State* L) { return commit(L, true); }
int l_commit_async(lua_State* L) { return commit(L, false); }

int l_ack(lua_State* L) {
  LuaListener& l = listener_of(L);
  if (l.task() != kafka::kHandlerTask) fail("app:ack: acknowledge from the handler, not from app:every");
  require_yieldable(L, "app:ack", l);
  if (!l.services(L).ack()) return 0;
  l.await({Awaiting::Kind::commit});
  return kYield;
}

int l_every(lua_State* L) {
  LuaListener& l = listener_of(L);
  const Duration interval = to_duration(L, 2, "app:every(interval, fn)");
  if (interval.ns <= 0) fail("app:every(interval, fn): the interval must be positive");
  luaL_checktype(L, 3, LUA_TFUNCTION);
  const std::string where = Sandbox::where(L);
  if (auto id = l.add_every(L, 3, where)) l.services(L).every(interval, *id);
  return 0;
}

// app:seek(topic, partition, offset): KafkaConsumer.seek from the rebalance listener, as the
// "offsets stored outside Kafka" pattern does in onPartitionsAssigned.
int l_seek(lua_State* L) {
  LuaListener& l = listener_of(L);
  if (l.task() != kafka::kAssignedTask) fail("app:seek: seek from on_assigned (the rebalance listener), not from the handler or app:every");
  const kafka::TopicPartition tp{luaL_checkstring(L, 2), static_cast<int32_t>(luaL_checkinteger(L, 3))};
  const lua_Integer offset = luaL_checkinteger(L, 4);
  if (offset < 0) fail(fmt::format("app:seek: the offset must be at least 0, got {}", offset));
  if (!l.services(L).seek(tp, offset)) fail(fmt::format("app:seek: {}-{} is not assigned to this member", tp.topic, tp.partition));
  return 0;
}

int l_crash(lua_State* L) {
  LuaListener& l = listener_of(L);
  require_yieldable(L, "app:crash", l);
  l.services(L).crash();
  l.await({Awaiting::Kind::crash});
  return kYield;  // never resumed: the process dies here
}

// app:send(topic, { key, value, headers, partition, sync }): KafkaTemplate.send. Without sync
// the handler goes on at once; with sync = true it waits for send().get() and returns
// { partition, offset }, or raises the send's error.
int l_send(lua_State* L) {
  LuaListener& l = listener_of(L);
  kafka::SendSpec spec;
  spec.topic = luaL_checkstring(L, 2);
  check_topic_name(spec.topic, "app:send(topic, record)");
  bool sync = false;
  if (!lua_isnoneornil(L, 3)) {
    TableReader r(L, 3, "app:send record", {"key", "value", "partition", "headers", "sync"});
    spec.key = r.string("key");
    spec.value = r.string("value");
    if (spec.value && spec.value->size() > static_cast<size_t>(caps::kValueBytes)) {
      fail(fmt::format("app:send record.value: at most {} bytes (kafkasim's cap)", caps::kValueBytes));
    }
    if (auto part = r.integer("partition")) {
      if (*part < 0 || *part > INT32_MAX) fail(fmt::format("app:send record.partition: Invalid partition: {}", *part));
      spec.partition = static_cast<int32_t>(*part);
    }
    if (r.has("headers")) spec.headers = read_headers(L, r.push("headers"), r.name("headers"));
    sync = r.boolean("sync").value_or(false);
  }
  if (sync) require_yieldable(L, "app:send with sync = true", l);
  // exactly_once (v1): each input partition (task) has its own producer, so a send goes with the
  // record it is for. Streams' punctuators belong to a task; app:every does not.
  if (l.services(L).sends_need_a_task() && l.task() != kafka::kHandlerTask) {
    fail("app:send from app:every or on_assigned has no task under processing_guarantee = \"exactly_once\" (v1): "
         "each input partition's producer sends for its own records; send from on_record");
  }
  if (l.services(L).sends_need_a_task() && l.batch()) {
    fail("app:send from on_batch has no task under processing_guarantee = \"exactly_once\" (v1): a batch spans "
         "input partitions, each with its own producer; use on_record");
  }
  l.names_topic(spec.topic);
  const kafka::ListenerServices::SendStart started = l.services(L).send(std::move(spec), sync);
  if (!sync) return 0;
  if (started.result) {  // known within send(): get() returns or throws at once
    if (started.result->outcome != kafka::Outcome::ok) {
      fail(fmt::format("ExecutionException: {}", kafka::error_name(started.result->error)));
    }
    lua_createtable(L, 0, 2);
    set_field(L, "partition", static_cast<lua_Integer>(started.result->partition));
    set_field(L, "offset", static_cast<lua_Integer>(started.result->offset));
    return 1;
  }
  l.await({Awaiting::Kind::send});
  return kYield;
}

int l_store(lua_State* L) {
  AppHandle& app = check_object<AppHandle>(L, 1, "the app");
  const std::string name = luaL_checkstring(L, 2);
  auto& s = app.stores[name];
  if (!s) {
    s = std::make_unique<AppStore>();
    s->app = &app;
    s->name = name;
  }
  push_object(L, s.get(), kStoreMeta);
  return 1;
}

std::string text_arg(lua_State* L, int idx, const char* what) {
  if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) {
    fail(fmt::format("{}: expected a string or a number, got {}", what, describe(L, idx)));
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  Sandbox::of(L).take_text(L, len);
  return std::string(s, len);
}

kafka::StoreOp op_of(lua_State* L, kafka::StoreOpKind kind, const char* what) {
  kafka::StoreOp op{kind, text_arg(L, 2, what), {}, 0};
  if (kind == kafka::StoreOpKind::put || kind == kafka::StoreOpKind::insert_if_absent) op.value = text_arg(L, 3, what);
  if (kind == kafka::StoreOpKind::increment) op.delta = lua_isnoneornil(L, 3) ? 1 : luaL_checkinteger(L, 3);
  return op;
}

int call_store(lua_State* L, const std::string& name, std::vector<kafka::StoreOp> ops, Awaiting a, LuaListener& l) {
  require_yieldable(L, "a store call", l);
  if (!l.services(L).store(name, std::move(ops))) fail(fmt::format("app:store: there is no store named '{}'", name));
  l.await(a);
  return kYield;
}

// t:<op>(...) inside s:tx's function: one statement of the open transaction, a round trip.
int tx_statement(lua_State* L, kafka::StoreOpKind kind, const char* what) {
  TxHandle& t = check_object<TxHandle>(L, 1, "a transaction");
  const auto* box = static_cast<const HandleBox*>(lua_touserdata(L, 1));
  LuaListener* l = t.store->app->listener;
  if (!t.txn || box->serial != t.serial || !l || l->task() != t.task) {
    fail(fmt::format("t:{}: the transaction is over (use t only inside its function)", what));
  }
  require_yieldable(L, what, *l);
  std::vector<kafka::StoreOp> ops = {op_of(L, kind, what)};
  if (!l->services(L).store_step(t.txn, kafka::StoreTxnPhase::statement, std::move(ops))) {
    t.txn = 0;  // the services ended it
    fail(fmt::format("t:{}: the store's connection broke: the transaction was rolled back", what));
  }
  ++t.statements;
  l->await({Awaiting::Kind::store, kind, kafka::StoreTxnPhase::statement});
  return kYield;
}

template <kafka::StoreOpKind K>
int l_store_op(lua_State* L) {
  static constexpr const char* names[] = {"get", "put", "insert_if_absent", "increment"};
  const char* what = names[static_cast<int>(K)];
  if (auto* box = static_cast<HandleBox*>(lua_touserdata(L, 1)); box && dynamic_cast<TxHandle*>(box->object)) {
    return tx_statement(L, K, what);
  }
  AppStore& s = check_object<AppStore>(L, 1, "a store");
  if (!s.app->listener) fail("store: the process this handle belonged to is gone");
  LuaListener& l = *s.app->listener;
  if (auto it = s.txs.find(l.task()); it != s.txs.end() && it->second.txn) {
    // It would wait for the store, which the transaction it is in holds.
    fail(fmt::format("s:{} waits for a reply, which it cannot do here: inside s:tx's function use t (the store runs "
                     "one transaction at a time)", what));
  }
  std::vector<kafka::StoreOp> ops = {op_of(L, K, what)};
  return call_store(L, s.name, std::move(ops), {Awaiting::Kind::store, K, kafka::StoreTxnPhase::none}, l);
}

// ---- s:tx(fn) ----
// BEGIN, fn(t) with each of t's calls a statement whose result fn sees, then COMMIT; or, when
// fn raises, ROLLBACK and fn's error raised again (the handler's failure). fn runs under
// lua_pcallk so that it can wait inside; a wait or an error unwinds l_store_tx and its
// continuations without running destructors, so they hold no C++ objects: the work that
// needs them is in guarded functions that return first. The stack: s, fn, t, then fn's
// results or its error.

TxHandle& tx_at(lua_State* L) { return *static_cast<TxHandle*>(static_cast<HandleBox*>(lua_touserdata(L, 3))->object); }

int tx_open(lua_State* L) {
  AppStore& s = check_object<AppStore>(L, 1, "a store");
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (!s.app->listener) fail("store: the process this handle belonged to is gone");
  LuaListener& l = *s.app->listener;
  require_yieldable(L, "s:tx", l);
  TxHandle& t = s.txs[l.task()];
  if (t.txn) fail("s:tx: transactions do not nest");
  const int64_t txn = l.services(L).store_begin(s.name);
  if (!txn) fail(fmt::format("app:store: there is no store named '{}'", s.name));
  t = TxHandle{};
  t.store = &s;
  t.task = l.task();
  t.txn = txn;
  lua_settop(L, 2);
  push_object(L, &t, kTxMeta);
  t.serial = static_cast<const HandleBox*>(lua_touserdata(L, 3))->serial;
  return 0;
}

// Ends the transaction: COMMIT, or ROLLBACK when fn failed. Pops fn's outcome (a boolean);
// kYield when it sent the end and waits, else 0 with the end's (ok, value) pushed.
int tx_close(lua_State* L) {
  TxHandle& t = tx_at(L);
  t.failed = !lua_toboolean(L, -1);
  lua_pop(L, 1);
  const int64_t txn = std::exchange(t.txn, 0);
  LuaListener* l = t.store->app->listener;
  const auto phase = t.failed ? kafka::StoreTxnPhase::rollback : kafka::StoreTxnPhase::commit;
  if (!l) fail("store: the process this handle belonged to is gone");
  if (t.statements > 0 && l->services(L).store_step(txn, phase, {})) {
    l->await({Awaiting::Kind::store, kafka::StoreOpKind::get, phase});
    return kYield;
  }
  // Nothing reached the store (nothing to end), or its connection broke since (it rolled back).
  const bool ok = t.statements == 0 || t.failed;
  lua_pushboolean(L, ok);
  lua_pushstring(L, ok ? "" : "the store's connection broke: the transaction was rolled back");
  return 0;
}

int tx_done(lua_State* L, int, lua_KContext) {
  if (tx_at(L).failed) {
    lua_settop(L, 4);
    return lua_error(L);  // fn's error, as it raised it
  }
  if (!lua_toboolean(L, -2)) return after_reply(L, 0, 0);  // raises the commit's failure
  lua_pop(L, 2);
  return lua_gettop(L) - 3;  // what fn returned
}

int tx_body_done(lua_State* L, int status, lua_KContext) {
  Sandbox& sb = Sandbox::of(L);
  if (sb.terminated()) sb.rethrow_termination(L);  // a limit: nothing of the script runs on
  // LUA_YIELD: fn returned after waiting.
  lua_pushboolean(L, status == LUA_OK || status == LUA_YIELD);
  if (guarded<tx_close>(L) != kYield) return tx_done(L, LUA_OK, 0);
  return lua_yieldk(L, 0, 0, &tx_done);
}

int l_store_tx(lua_State* L) {
  guarded<tx_open>(L);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  return tx_body_done(L, lua_pcallk(L, 1, LUA_MULTRET, 0, 0, &tx_body_done), 0);
}

}  // namespace

kafka::ListenerFactory lua_listener(Runtime& rt, int handler_ref, bool batch, TopicCheck names_topic, int assigned_ref) {
  return [&rt, handler_ref, batch, names_topic, assigned_ref] {
    return std::make_unique<LuaListener>(rt, handler_ref, batch, names_topic, assigned_ref);
  };
}

void register_app_metatables(lua_State* L) {
  luaL_newmetatable(L, kAppMeta);
  lua_newtable(L);
  static const luaL_Reg app_methods[] = {{"commit", blocking<l_commit>}, {"commit_async", blocking<l_commit_async>},
                                         {"ack", blocking<l_ack>},       {"every", guarded<l_every>},
                                         {"crash", blocking<l_crash>},   {"store", guarded<l_store>},
                                         {"send", blocking<l_send>},     {"seek", guarded<l_seek>},
                                         {nullptr, nullptr}};
  luaL_setfuncs(L, app_methods, 0);
  lua_pushcclosure(L, guarded<l_state_index>, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, guarded<l_state_newindex>);
  lua_setfield(L, -2, "__newindex");
  lua_pushstring(L, "app");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 1);

  static const luaL_Reg store_methods[] = {{"get", blocking<l_store_op<kafka::StoreOpKind::get>>},
                                           {"put", blocking<l_store_op<kafka::StoreOpKind::put>>},
                                           {"insert_if_absent", blocking<l_store_op<kafka::StoreOpKind::insert_if_absent>>},
                                           {"increment", blocking<l_store_op<kafka::StoreOpKind::increment>>},
                                           {"tx", l_store_tx},
                                           {nullptr, nullptr}};
  register_handle(L, kStoreMeta, "store", store_methods);
  static const luaL_Reg tx_methods[] = {{"get", blocking<l_store_op<kafka::StoreOpKind::get>>},
                                        {"put", blocking<l_store_op<kafka::StoreOpKind::put>>},
                                        {"insert_if_absent", blocking<l_store_op<kafka::StoreOpKind::insert_if_absent>>},
                                        {"increment", blocking<l_store_op<kafka::StoreOpKind::increment>>},
                                        {nullptr, nullptr}};
  register_handle(L, kTxMeta, "store transaction", tx_methods);
}

}  // namespace sim::lua
