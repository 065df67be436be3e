#pragma once
// The application's database on the wire: a handler's store calls become one StoreRequest to
// the store node and wait for its StoreResponse (a JDBC round trip). A request without a
// transaction is one atomic transaction of its own, whatever its operations. An interactive
// transaction (s:tx) is several requests, as a JDBC client with autocommit off runs one:
// statements (the first opens it: the driver sends BEGIN with it), then COMMIT or ROLLBACK.
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

// Where a request stands in a transaction.
enum class StoreTxnPhase : uint8_t {
  none,       // its own transaction: ops applied atomically and committed at once
  begin,      // opens transaction `txn` and runs ops in it (BEGIN and the first statement)
  statement,  // runs ops in the open transaction `txn`
  commit,     // COMMIT of `txn` (no ops)
  rollback,   // ROLLBACK of `txn` (no ops)
};

struct StoreRequest final : Request<ApiKey::store> {
  int32_t correlation_id = 0;
  std::vector<StoreOp> ops;  // applied atomically, in order
  StoreOrigin origin;
  // The client's number for its interactive transaction (unique per client process), and this
  // request's step in it. Phase none: no transaction (txn unused).
  int64_t txn = 0;
  StoreTxnPhase phase = StoreTxnPhase::none;
};

struct StoreResponse final : Response<ApiKey::store> {
  int32_t correlation_id = 0;
  // false: not applied. Phase none: nothing of the transaction. A statement: nothing of it, and
  // the transaction is aborted (later statements are refused; its commit rolls it back). A
  // commit: the transaction was rolled back, not committed.
  bool ok = true;
  std::string error;  // why, when !ok (an increment of a non-integer, a transaction that ended)
  std::vector<StoreResult> results;  // one per op
};

}  // namespace kafka
