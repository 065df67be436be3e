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
  switch (route(m)) {
    case route_of<StoreRequest>: return handle_request(ctx, from, message_as<StoreRequest>(m));
    default: unexpected_message("store", m);
  }
}

void Store::handle_request(sim::Context& ctx, sim::NodeId from, const StoreRequest& req) {
  const StoreTxnOutcome txn = state_.apply(req.ops);
  auto response = std::make_shared<StoreResponse>();
  response->correlation_id = req.correlation_id;
  if (!txn.error.empty()) {
    response->ok = false;
    response->error = txn.error;
    ctx.trace(event::StoreRefused{.store = name_, .client = ctx.name_of(from), .error = txn.error});
  } else {
    commit(ctx, from, req, txn);
    response->results = txn.results;
  }
  const uint64_t id = next_reply_++;
  replies_.emplace(id, PendingReply{from, std::move(response)});
  ctx.set_timer(config_.latency.sample(ctx.rng()), sim::timer_tag(StoreTimer::reply, id));
}

// Makes the transaction durable (fsync at commit) and traces its writes.
void Store::commit(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, const StoreTxnOutcome& txn) {
  // A read-only transaction, or writes that left every value as it was, has nothing to write.
  if (txn.changed()) {
    auto entry = std::make_shared<StoreTxnEntry>();
    for (const StoreWrite& w : txn.writes)
      if (w.changed) entry->changes.emplace_back(w.key, w.value);
    ctx.disk().append(file_, std::move(entry));
    ctx.disk().flush(file_);
  }
  const int64_t number = committed_;
  if (txn.changed()) ++committed_;
  const StoreOrigin& o = req.origin;
  const bool from_handler = !o.member.empty();
  for (const StoreWrite& w : txn.writes) {
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
  SIM_ASSERT(sim::timer_kind<StoreTimer>(tag) == StoreTimer::reply, "a store's only timers are its replies");
  auto it = replies_.find(sim::timer_id(tag));
  SIM_ASSERT(it != replies_.end(), "a reply timer fires once, for a reply still pending");
  ctx.send(it->second.to, std::move(it->second.response));
  replies_.erase(it);
}

void Store::on_shutdown(sim::Context& ctx) {
  for (auto& [id, reply] : replies_) ctx.send(reply.to, std::move(reply.response));
  replies_.clear();
  ctx.exit();
}

std::string Store::invariants() const {
  if (!replies_.empty() && replies_.rbegin()->first >= next_reply_) return "a pending reply has an id not yet given out";
  return {};
}

}  // namespace kafka
