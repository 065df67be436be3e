#include "broker_model/app/store.hpp"

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
const char* op_name(StoreOpKind k) {
  switch (k) {
    case StoreOpKind::get: return "get";
    case StoreOpKind::put: return "put";
    case StoreOpKind::insert_if_absent: return "insert_if_absent";
    case StoreOpKind::increment: return "increment";
  }
  return "?";
}
}  // namespace

std::span<const sim::DiskEntryPtr> durable_store_log(sim::Disk& disk) {
  const sim::FileId f = disk.open(StoreState::kFile);
  std::span<const sim::DiskEntryPtr> entries = disk.read(f);
  if (disk.last_entry_torn(f)) entries = entries.first(entries.size() - 1);
  return entries;
}

void Store::on_start(sim::Context& ctx) {
  sim::Disk& disk = ctx.disk();
  file_ = disk.open(StoreState::kFile);
  // Recovery, as a database replays its write-ahead log: a torn last record is cut away.
  if (disk.last_entry_torn(file_)) disk.truncate(file_, disk.size(file_) - 1);
  state_.replay(disk.read(file_));
  committed_ = static_cast<int64_t>(disk.size(file_));
  ctx.trace(event::StoreStart{.store = name_, .transactions = committed_, .keys = static_cast<int64_t>(state_.data().size())});
}

void Store::on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) {
  const KafkaMessage& m = kafka_message(msg);
  if (route(m) != route_of<StoreRequest>) unexpected_message("store", m);
  const StoreRequest& req = message_as<StoreRequest>(m);
  // While a transaction holds the store, a request that would start another waits for it.
  const bool starts = req.phase == StoreTxnPhase::none || req.phase == StoreTxnPhase::begin;
  if (open_ && starts) {
    ctx.trace(event::StoreWait{.store = name_, .client = std::string(ctx.name_of(from)),
                               .holder = std::string(ctx.name_of(open_->client)), .txn = open_->id});
    waiting_.emplace_back(from, msg);
    return;
  }
  serve(ctx, from, req);
  serve_waiting(ctx);
}

void Store::serve(sim::Context& ctx, sim::NodeId from, const StoreRequest& req) {
  auto resp = std::make_shared<StoreResponse>();
  resp->correlation_id = req.correlation_id;
  // A request of the open transaction ends its idleness.
  if (req.phase != StoreTxnPhase::none && holds(from, req.txn)) ctx.cancel_timer(open_->idle_timer);
  switch (req.phase) {
    case StoreTxnPhase::none:
      serve_one_shot(ctx, from, req, *resp);
      break;
    case StoreTxnPhase::begin:
      open_ = OpenTxn{.client = from, .id = req.txn, .origin = req.origin, .work = {}, .aborted = {}, .idle_id = 0, .idle_timer = {}};
      [[fallthrough]];
    case StoreTxnPhase::statement:
      serve_statement(ctx, from, req, *resp);
      break;
    case StoreTxnPhase::commit:
      if (holds(from, req.txn)) serve_commit(ctx, *resp);
      else refuse(ctx, from, *resp, fmt::format("COMMIT: transaction {} is not open (it was rolled back)", req.txn));
      break;
    case StoreTxnPhase::rollback:
      // A ROLLBACK of a transaction that is not open succeeds: PostgreSQL only warns.
      if (holds(from, req.txn)) roll_back(ctx, "rollback");
      break;
  }
  const bool idle_after = req.phase != StoreTxnPhase::none && holds(from, req.txn);
  reply(ctx, from, std::move(resp), idle_after);
}

void Store::serve_one_shot(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, StoreResponse& resp) {
  const StoreTxnOutcome txn = state_.apply(req.ops);
  if (!txn.error.empty()) return refuse(ctx, from, resp, txn.error);
  commit(ctx, from, req.origin, txn.writes);
  resp.results = txn.results;
}

void Store::serve_statement(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, StoreResponse& resp) {
  if (!holds(from, req.txn)) {
    return refuse(ctx, from, resp, fmt::format("transaction {} is not open (it was rolled back)", req.txn));
  }
  if (!open_->aborted.empty()) {
    // PostgreSQL: after an error, the transaction only takes its end.
    return refuse(ctx, from, resp, "current transaction is aborted, commands ignored until end of transaction block");
  }
  const StoreTxnOutcome out = state_.execute(open_->work, req.ops);
  if (!out.error.empty()) {
    open_->aborted = out.error;
    return refuse(ctx, from, resp, out.error);
  }
  resp.results = out.results;
}

void Store::serve_commit(sim::Context& ctx, StoreResponse& resp) {
  if (!open_->aborted.empty()) {
    // COMMIT of a failed transaction is a ROLLBACK; the client is told it did not commit.
    const std::string why = open_->aborted;
    const sim::NodeId client = open_->client;
    roll_back(ctx, "commit of an aborted transaction");
    return refuse(ctx, client, resp, fmt::format("the transaction was rolled back: an earlier statement failed ({})", why));
  }
  OpenTxn txn = std::move(*open_);
  open_.reset();
  state_.commit(txn.work);
  commit(ctx, txn.client, txn.origin, txn.work.writes);
}

void Store::serve_waiting(sim::Context& ctx) {
  while (!open_ && !waiting_.empty()) {
    auto [from, msg] = std::move(waiting_.front());
    waiting_.pop_front();
    serve(ctx, from, message_as<StoreRequest>(kafka_message(msg)));
  }
}

void Store::roll_back(sim::Context& ctx, const std::string& why) {
  ctx.trace(event::StoreRollback{.store = name_, .client = std::string(ctx.name_of(open_->client)), .txn = open_->id,
                                 .reason = why, .writes = static_cast<int64_t>(open_->work.writes.size())});
  ctx.cancel_timer(open_->idle_timer);
  open_.reset();
}

void Store::refuse(sim::Context& ctx, sim::NodeId from, StoreResponse& resp, std::string error) {
  ctx.trace(event::StoreRefused{.store = name_, .client = std::string(ctx.name_of(from)), .error = error});
  resp.ok = false;
  resp.error = std::move(error);
}

void Store::reply(sim::Context& ctx, sim::NodeId to, std::shared_ptr<StoreResponse> resp, bool arms_idle) {
  const uint64_t id = next_reply_++;
  replies_.emplace(id, PendingReply{to, std::move(resp), arms_idle});
  ctx.set_timer(config_.latency.sample(ctx.rng()), sim::timer_tag(StoreTimer::reply, id));
}

// The transaction is idle from its last reply until its client's next request.
void Store::arm_idle_timer(sim::Context& ctx) {
  if (config_.idle_in_transaction_timeout.ns <= 0) return;
  ctx.cancel_timer(open_->idle_timer);
  open_->idle_id = next_idle_id_++;
  open_->idle_timer = ctx.set_timer(config_.idle_in_transaction_timeout, sim::timer_tag(StoreTimer::idle, open_->idle_id));
}

// Makes a committed transaction durable (fsync at commit) and traces its writes.
void Store::commit(sim::Context& ctx, sim::NodeId from, const StoreOrigin& o, const std::vector<StoreWrite>& writes) {
  // A read-only transaction, or writes that left every value as it was, has nothing to write.
  auto entry = std::make_shared<StoreTxnEntry>();
  for (const StoreWrite& w : writes)
    if (w.changed) entry->changes.emplace_back(w.key, w.value);
  const bool changed = !entry->changes.empty();
  if (changed) {
    ctx.disk().append(file_, std::move(entry));
    ctx.disk().flush(file_);
  }
  const int64_t number = committed_;
  if (changed) ++committed_;
  const bool from_handler = !o.member.empty();
  for (const StoreWrite& w : writes) {
    ctx.trace(event::StoreWrite{.store = name_,
                                .txn = number,
                                .client = ctx.name_of(from),
                                .op = op_name(w.kind),
                                .key = w.key,
                                .value = w.value,
                                .changed = w.changed,
                                .member = o.member,
                                .topic = o.tp.topic,
                                .partition = from_handler ? o.tp.partition : -1,
                                .offset = from_handler ? o.offset : -1,
                                .invocation = static_cast<int64_t>(o.invocation)});
  }
}

void Store::on_timer(sim::Context& ctx, uint64_t tag) {
  if (sim::timer_kind<StoreTimer>(tag) == StoreTimer::idle) {
    // PostgreSQL: "terminating connection due to idle-in-transaction timeout".
    if (!open_ || open_->idle_id != sim::timer_id(tag)) return;
    open_->idle_timer = {};  // it has fired
    const sim::NodeId client = open_->client;
    roll_back(ctx, "idle-in-transaction timeout");
    ctx.close_connection(client);
    serve_waiting(ctx);
    return;
  }
  SIM_ASSERT(sim::timer_kind<StoreTimer>(tag) == StoreTimer::reply, "a store's timers are its replies and idle timeouts");
  auto it = replies_.find(sim::timer_id(tag));
  SIM_ASSERT(it != replies_.end(), "a reply timer fires once, for a reply still pending");
  const PendingReply reply = std::move(it->second);
  replies_.erase(it);
  ctx.send(reply.to, reply.response);
  if (reply.arms_idle && open_ && open_->client == reply.to) arm_idle_timer(ctx);
}

void Store::on_disconnect(sim::Context& ctx, sim::NodeId peer) {
  // The client's session is gone: its transaction is rolled back, and a transaction it asked
  // to begin would be too (the server fails to answer it), so it is dropped. A request of its
  // own still runs when its turn comes, as an autocommit statement whose client left does.
  if (open_ && open_->client == peer) roll_back(ctx, "disconnected");
  std::erase_if(waiting_, [&](const auto& w) {
    return w.first == peer && message_as<StoreRequest>(kafka_message(w.second)).phase == StoreTxnPhase::begin;
  });
  serve_waiting(ctx);
}

void Store::on_shutdown(sim::Context& ctx) {
  for (auto& [id, reply] : replies_) ctx.send(reply.to, std::move(reply.response));
  replies_.clear();
  if (open_) roll_back(ctx, "shutdown");
  for (const auto& [from, msg] : waiting_) {
    auto resp = std::make_shared<StoreResponse>();
    resp->correlation_id = message_as<StoreRequest>(kafka_message(msg)).correlation_id;
    refuse(ctx, from, *resp, "the store is shutting down");
    ctx.send(from, std::move(resp));
  }
  waiting_.clear();
  ctx.exit();
}

std::optional<std::pair<sim::NodeId, int64_t>> Store::open_transaction() const {
  if (!open_) return std::nullopt;
  return std::make_pair(open_->client, open_->id);
}

std::string Store::invariants() const {
  if (!replies_.empty() && replies_.rbegin()->first >= next_reply_) return "a pending reply has an id not yet given out";
  if (!waiting_.empty() && !open_) return "requests wait while no transaction holds the store";
  return {};
}

}  // namespace kafka
