#pragma once
// The application's database on the wire: a handler's store calls become one StoreRequest to
// the store node and wait for its StoreResponse (a JDBC round trip). Several operations in one
// request are one atomic transaction (s:tx); one operation alone is its own transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/protocol/api.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

enum class StoreOpKind : uint8_t { get, put, insert_if_absent, increment };

struct StoreOp {
  StoreOpKind kind = StoreOpKind::get;
  std::string key;
  std::string value;   // put, insert_if_absent
  int64_t delta = 0;   // increment
};

// What the store answers for one operation.
struct StoreResult {
  std::optional<std::string> value;  // get: the value (none: absent); increment: the new value
  bool inserted = false;             // insert_if_absent: whether it inserted
};

// The input record whose handler issued the request, so the trace can tie each effect in the
// store to the record that caused it (the effects check). Empty member: not from a handler.
struct StoreOrigin {
  std::string member;
  TopicPartition tp;
  int64_t offset = -1;
  // Which run of the handler: unique within the member's process name, so a record handled
  // twice (redelivered after a crash, or retried by the error handler) is told apart.
  uint64_t invocation = 0;
};

struct StoreRequest final : Request<ApiKey::store> {
  int32_t correlation_id = 0;
  std::vector<StoreOp> ops;  // applied atomically, in order
  StoreOrigin origin;
};

struct StoreResponse final : Response<ApiKey::store> {
  int32_t correlation_id = 0;
  bool ok = true;  // false: the transaction was not applied (the store is shutting down)
  std::string error;  // why it was not applied, when !ok (e.g. an increment of a non-integer)
  std::vector<StoreResult> results;  // one per op
};

}  // namespace kafka
