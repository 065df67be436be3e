#pragma once
// What a process uses to call a store (broker_model/app/store.hpp), as an application calls its
// database through a JDBC driver: each call is one StoreRequest with a correlation id, pending
// until its StoreResponse, a request timeout, or the connection's loss. The last two leave the
// outcome unknown: the store may have committed the transaction and lost only the reply (JDBC's
// socketTimeout and a broken connection both throw without saying which).
//
// The owning node hands the client what concerns it: StoreResponses (on_response), its timers
// of `timer_kind` (on_timer) and disconnects (on_disconnect). Every call gets exactly one reply.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker_model/app/store_messages.hpp"
#include "sim/node.hpp"

namespace kafka {

enum class StoreCallOutcome : uint8_t {
  ok,       // committed (or read); results hold one StoreResult per op
  refused,  // the store applied nothing and said why (error)
  unknown,  // timed out or disconnected: it may or may not have been applied
};

struct StoreReply {
  StoreCallOutcome outcome = StoreCallOutcome::ok;
  std::vector<StoreResult> results;
  std::string error;  // refused: the store's reason; unknown: "timeout" or "disconnected"
};

class StoreClient {
 public:
  using Callback = std::function<void(sim::Context&, const StoreReply&)>;
  // JDBC drivers' socketTimeout is often set to about this; a database call has no Kafka default.
  static constexpr sim::Duration kDefaultTimeout = sim::Duration::seconds(30);

  // `timer_kind`: the owner's timer kind for the client's timeouts (the top 16 bits of the tag).
  explicit StoreClient(uint16_t timer_kind, sim::Duration request_timeout = kDefaultTimeout)
      : timer_kind_(timer_kind), timeout_(request_timeout) {}

  // Sends `ops` (one transaction) to the store node `store`; `done` runs once, with the reply.
  // Returns the call's correlation id.
  int32_t call(sim::Context& ctx, sim::NodeId store, std::vector<StoreOp> ops, StoreOrigin origin, Callback done);
  // One step of the interactive transaction `txn` (the caller's number for it): `phase` begin
  // (its first statement), statement, commit or rollback. A statement whose connection breaks
  // before its reply is refused ("disconnected"): the store rolled the transaction back. A
  // commit's is unknown, as any call's.
  int32_t step(sim::Context& ctx, sim::NodeId store, int64_t txn, StoreTxnPhase phase, std::vector<StoreOp> ops,
               StoreOrigin origin, Callback done);

  // A StoreResponse reached the owner: completes its call. A reply to a call that timed out
  // already is dropped (false), as a driver drops what arrives on an abandoned socket.
  bool on_response(sim::Context& ctx, const StoreResponse& response);
  // One of the client's timers fired (its kind is `timer_kind`): the call's timeout.
  void on_timer(sim::Context& ctx, uint64_t tag);
  // The connection to `peer` broke: every call pending on it completes with outcome unknown.
  void on_disconnect(sim::Context& ctx, sim::NodeId peer);

  size_t pending() const { return pending_.size(); }
  uint16_t timer_kind() const { return timer_kind_; }

 private:
  struct Pending {
    sim::NodeId store;
    sim::TimerId timer;
    Callback done;
    StoreTxnPhase phase = StoreTxnPhase::none;
  };
  void finish(sim::Context& ctx, int32_t correlation_id, StoreReply reply);

  uint16_t timer_kind_;
  sim::Duration timeout_;
  int32_t next_correlation_id_ = 0;
  std::map<int32_t, Pending> pending_;  // by correlation id, in call order
};

}  // namespace kafka
