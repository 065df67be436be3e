#include "broker_model/app/store_client.hpp"

#include "sim/assert.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
enum class ClientTimerKind : uint16_t {};
}  // namespace

int32_t StoreClient::call(sim::Context& ctx, sim::NodeId store, std::vector<StoreOp> ops, StoreOrigin origin, Callback done) {
  return step(ctx, store, 0, StoreTxnPhase::none, std::move(ops), std::move(origin), std::move(done));
}

int32_t StoreClient::step(sim::Context& ctx, sim::NodeId store, int64_t txn, StoreTxnPhase phase, std::vector<StoreOp> ops,
                          StoreOrigin origin, Callback done) {
  const int32_t id = next_correlation_id_++;
  auto req = std::make_shared<StoreRequest>();
  req->correlation_id = id;
  req->ops = std::move(ops);
  req->origin = std::move(origin);
  req->txn = txn;
  req->phase = phase;
  ctx.send(store, std::move(req));
  const uint64_t tag = sim::timer_tag(static_cast<ClientTimerKind>(timer_kind_), static_cast<uint64_t>(id));
  pending_.emplace(id, Pending{store, ctx.set_timer(timeout_, tag), std::move(done), phase});
  return id;
}

bool StoreClient::on_response(sim::Context& ctx, const StoreResponse& response) {
  if (!pending_.count(response.correlation_id)) return false;
  StoreReply reply;
  reply.outcome = response.ok ? StoreCallOutcome::ok : StoreCallOutcome::refused;
  reply.results = response.results;
  reply.error = response.error;
  finish(ctx, response.correlation_id, std::move(reply));
  return true;
}

void StoreClient::on_timer(sim::Context& ctx, uint64_t tag) {
  SIM_ASSERT(static_cast<uint16_t>(sim::timer_kind<ClientTimerKind>(tag)) == timer_kind_, "the owner hands the client only its own timers");
  const auto id = static_cast<int32_t>(sim::timer_id(tag));
  auto it = pending_.find(id);
  if (it == pending_.end()) return;  // answered as the timer fired
  it->second.timer = {};            // it has fired: nothing to cancel
  finish(ctx, id, StoreReply{StoreCallOutcome::unknown, {}, "timeout"});
}

void StoreClient::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  std::vector<int32_t> lost;
  for (const auto& [id, p] : pending_)
    if (p.store == peer) lost.push_back(id);
  for (int32_t id : lost) {
    // A broken session's transaction is rolled back: a statement in it surely failed. Only a
    // commit, or a transaction of its own, may have happened.
    const StoreTxnPhase phase = pending_.at(id).phase;
    const bool in_txn = phase == StoreTxnPhase::begin || phase == StoreTxnPhase::statement;
    finish(ctx, id, StoreReply{in_txn ? StoreCallOutcome::refused : StoreCallOutcome::unknown, {}, "disconnected"});
  }
}

void StoreClient::finish(sim::Context& ctx, int32_t correlation_id, StoreReply reply) {
  auto it = pending_.find(correlation_id);
  SIM_ASSERT(it != pending_.end(), "a call completes once");
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.timer.valid()) ctx.cancel_timer(p.timer);
  // After the erase: the callback may call again, or the owner may be torn down from it.
  p.done(ctx, reply);
}

}  // namespace kafka
