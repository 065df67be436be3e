#pragma once
// The application's code in Lua: a group's on_record / on_batch handler becomes the consumer's
// kafka::Listener (broker_model/app/listener.hpp), each run a coroutine inside the sandbox's
// limits, and `app` (app.state, app:commit, app:commit_async, app:ack, app:every, app:crash,
// app:store, app:send, and app:seek in on_assigned, the rebalance listener) the services of the
// member's process.
#include <lua5.4/lua.hpp>

#include <functional>
#include <string>

#include "broker_model/app/listener.hpp"

namespace sim::lua {

class Runtime;

// Told of each topic app:send names (it may create it); raises a ScenarioError to refuse it.
using TopicCheck = std::function<void(const std::string& topic)>;
// A factory of listeners that call the Lua function `handler_ref` (a registry reference) per
// record, or per poll's records when `batch`; and `assigned_ref` (LUA_NOREF: none) with the
// partitions each rebalance adds (on_assigned).
kafka::ListenerFactory lua_listener(Runtime& rt, int handler_ref, bool batch, TopicCheck names_topic = {},
                                    int assigned_ref = LUA_NOREF);
void register_app_metatables(lua_State* L);

}  // namespace sim::lua
