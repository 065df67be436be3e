#pragma once
// Record headers between Lua and the model (Kafka's Headers), one format for every place a
// scenario writes or reads them (p:send, a handler's app:send and rec.headers):
//
//   headers = { trace = "abc", source = "web" }          a map: sent sorted by key
//   headers = { { "retry", "1" }, { "retry", "2" } }     a list of pairs: sent in that order,
//                                                        a key may repeat (as Kafka allows)
//
// A Lua table has no order, so the map form is sorted to keep a run the same on every machine.
// Values are strings (numbers are written as Lua's tostring writes them).
#include <lua5.4/lua.hpp>

#include <string>
#include <vector>

#include "broker_model/log/record_batch.hpp"

namespace sim::lua {

// The headers table at idx (absolute or relative); throws a ScenarioError naming `what`.
std::vector<kafka::Header> read_headers(lua_State* L, int idx, const std::string& what);
// Pushes a list of pairs { {key, value}, ... } in the record's order, which keeps repeated
// keys; rec.headers[i][1] is the key, [2] the value.
void push_headers(lua_State* L, const std::vector<kafka::Header>& headers);

}  // namespace sim::lua
