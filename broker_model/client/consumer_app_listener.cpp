// The application's code in the loop (broker_model/app/listener.hpp): running the handler for
// each record or batch, the services it calls (commits, acknowledgements, timers, stores, a
// crash at a point of its own), and the per-record crash points.
#include <fmt/format.h>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/client/consumer_timers.hpp"

namespace kafka {

namespace {
std::string record_text(const ConsumerRecord& r) { return fmt::format("{}-{}@{}", r.tp.topic, r.tp.partition, r.offset); }
}  // namespace

// What the listener's code may do, bound to the event it runs in.
class ApplicationLoop::Services final : public ListenerServices {
 public:
  Services(ApplicationLoop& loop, sim::Context& ctx) : loop_(loop), ctx_(ctx) {}

  sim::Time now() const override { return ctx_.now(); }
  uint64_t invocation() const override { return loop_.invocation_; }

  bool commit_is_request() const override { return loop_.app_.exactly_once(); }
  bool sends_need_a_task() const override { return loop_.app_.producer_per_task(); }

  bool commit(bool sync) override {
    if (loop_.app_.exactly_once()) {
      // ProcessorContext.commit(): the transaction commits at the loop's next chance (after
      // this poll's records, or at once when the loop waits for records).
      loop_.txn_commit_requested_ = true;
      if (loop_.state_ == AppState::idle) ctx_.set_timer(sim::Duration{0}, sim::timer_tag(ConsumerTimer::poll_tick));
      return false;
    }
    ConsumerCoordinator::Offsets offsets = loop_.subscriptions_.uncommitted_processed();
    if (offsets.empty()) return false;
    if (loop_.record_crash_point(ctx_, "before-commit", 0, 0)) return true;  // dead where it stands
    loop_.commit_started();
    if (!sync) {
      loop_.coordinator_.commit(ctx_, std::move(offsets), false, "commitAsync");
      return false;
    }
    // The handler's thread is the consumer's: only the handler calls commitSync (the binding
    // refuses it elsewhere, as KafkaConsumer refuses a second thread).
    SIM_ASSERT(loop_.current_task_ == kHandlerTask, "commitSync from the handler only");
    if (!loop_.coordinator_.commit(ctx_, std::move(offsets), true, "commitSync")) return false;
    loop_.handler_commit_ = true;
    return true;
  }

  bool ack() override {
    // Acknowledgment.acknowledge(): the current record, or the whole batch of a batch listener.
    ConsumerCoordinator::Offsets offsets;
    const size_t n = loop_.listener_->batch() ? loop_.batch_.size() : 1;
    for (size_t i = 0; i < n && i < loop_.batch_.size(); ++i) {
      const ConsumerRecord& r = loop_.batch_[i];
      offsets.push_back({r.tp, r.offset + 1, r.leader_epoch});
    }
    if (loop_.app_.policy != CommitPolicy::manual_immediate) {
      // Spring commits the highest acknowledged offset of each partition.
      for (const auto& o : offsets) {
        auto [it, fresh] = loop_.acked_.try_emplace(o.tp, o);
        if (!fresh && it->second.offset < o.offset) it->second = o;
      }
      return false;
    }
    // MANUAL_IMMEDIATE: the container commits it at once, synchronously (syncCommits).
    if (loop_.record_crash_point(ctx_, "before-commit", 0, 0)) return true;
    loop_.commit_started();
    if (!loop_.coordinator_.commit(ctx_, std::move(offsets), true, policy())) return false;
    loop_.handler_commit_ = true;
    return true;
  }

  void every(sim::Duration interval, uint64_t id) override {
    loop_.every_[id] = interval;
    ctx_.set_timer(interval, sim::timer_tag(ConsumerTimer::app_every, id));
  }

  void crash() override {
    loop_.coordinator_.trace().emit<event::ConsumerCrashPoint>(ctx_, "app:crash()");
    ctx_.crash();
  }

  SendStart send(SendSpec spec, bool sync) override {
    // Under exactly_once_v1 the record's task's producer (the binding refuses a send from no record).
    const bool from_record = !loop_.batch_.empty() && loop_.current_task_ == kHandlerTask;
    Producer* producer = loop_.hosted_producer(ctx_, from_record ? &loop_.batch_.front().tp : nullptr);
    if (loop_.app_.exactly_once() && !loop_.app_.producer_per_task()) loop_.maybe_begin_transaction(ctx_);  // StreamsProducer.send
    if (!sync) {
      trace_send(*producer, producer->send(ctx_, std::move(spec), {}));
      return {};
    }
    // send().get(): the outcome resumes the task, unless the producer knew it within send().
    auto within_send = std::make_shared<std::optional<SendResult>>();
    auto sending = std::make_shared<bool>(true);
    ApplicationLoop* loop = &loop_;  // the producer lives and dies with the loop's process
    const uint64_t task = loop_.current_task_;
    const uint64_t op = producer->send(ctx_, std::move(spec), [loop, task, within_send, sending](sim::Context& c, const SendResult& r) {
      if (*sending) {
        *within_send = r;
        return;
      }
      loop->resume_task(c, task, ListenerReply{.kind = ListenerReply::Kind::send, .commit_error = Error::NONE, .store = {}, .send = r});
    });
    trace_send(*producer, op);
    *sending = false;
    if (*within_send) return {.wait = false, .result = **within_send};
    return {.wait = true, .result = std::nullopt};
  }

  bool seek(const TopicPartition& tp, int64_t offset) override { return loop_.seek(ctx_, tp, offset); }

  bool store(const std::string& name, std::vector<StoreOp> ops) override {
    auto it = loop_.app_.stores.find(name);
    if (it == loop_.app_.stores.end()) return false;
    auto req = std::make_shared<StoreRequest>();
    req->ops = std::move(ops);
    send_store(it->second, std::move(req));
    return true;
  }

  int64_t store_begin(const std::string& name) override {
    auto it = loop_.app_.stores.find(name);
    if (it == loop_.app_.stores.end()) return 0;
    const int64_t txn = ++loop_.next_store_txn_;
    loop_.store_txns_[txn] = StoreTxn{.node = it->second};
    return txn;
  }

  bool store_step(int64_t txn, StoreTxnPhase phase, std::vector<StoreOp> ops) override {
    auto it = loop_.store_txns_.find(txn);
    SIM_ASSERT(it != loop_.store_txns_.end(), "a step of a transaction that began and has not ended");
    const StoreTxn t = it->second;
    const bool ends = phase == StoreTxnPhase::commit || phase == StoreTxnPhase::rollback;
    if (ends) loop_.store_txns_.erase(it);
    else it->second.begun = true;
    if (t.broken) return false;
    auto req = std::make_shared<StoreRequest>();
    req->ops = std::move(ops);
    req->txn = txn;
    req->phase = phase == StoreTxnPhase::statement && !t.begun ? StoreTxnPhase::begin : phase;
    send_store(t.node, std::move(req));
    return true;
  }

 private:
  const char* policy() const { return loop_.policy_name(); }

  // Links a handler's send to the input record its run processes (listener.send), as a store
  // write carries its origin: the end-to-end exactly-once check counts each input's outputs.
  // A timer's send (app:every) comes from no record.
  void trace_send(const Producer& producer, uint64_t op) {
    if (loop_.batch_.empty() || loop_.current_task_ != kHandlerTask) return;
    const ConsumerRecord& r = loop_.batch_.front();
    ctx_.trace(event::ListenerSend{.member = loop_.coordinator_.trace().member(),
                                   .invocation = static_cast<int64_t>(loop_.invocation_),
                                   .topic = r.tp.topic,
                                   .partition = r.tp.partition,
                                   .offset = r.offset,
                                   .producer = producer.client_id(),
                                   .op = static_cast<int64_t>(op)});
  }

  // Sends a store request for the running task, tied to the record its handler runs for.
  void send_store(sim::NodeId node, std::shared_ptr<StoreRequest> req) {
    req->correlation_id = ++loop_.next_store_correlation_;
    // A timer's write comes from no record.
    if (!loop_.batch_.empty() && loop_.current_task_ == kHandlerTask) {
      const ConsumerRecord& r = loop_.batch_.front();
      req->origin = StoreOrigin{.member = loop_.coordinator_.trace().member(), .tp = r.tp, .offset = r.offset,
                                .invocation = loop_.invocation_};
    }
    loop_.store_calls_[req->correlation_id] = StoreCall{loop_.current_task_, node};
    ctx_.send(node, std::move(req));
  }

  ApplicationLoop& loop_;
  sim::Context& ctx_;
};

ListenerStep ApplicationLoop::call_listener(sim::Context& ctx, uint64_t task,
                                            const std::function<ListenerStep(ListenerServices&)>& call) {
  Services services(*this, ctx);
  current_task_ = task;
  ListenerStep step = call(services);
  current_task_ = kHandlerTask;
  return step;
}

// ---- the handler ----

ListenerStep ApplicationLoop::run_handler(sim::Context& ctx) {
  if (!listener_) return ListenerStep::done();
  ++invocation_;
  if (listener_->batch()) {
    const std::vector<ConsumerRecord> records(batch_.begin(), batch_.end());
    return call_listener(ctx, kHandlerTask, [&](ListenerServices& s) { return listener_->on_batch(records, s); });
  }
  const ConsumerRecord record = batch_.front();
  return call_listener(ctx, kHandlerTask, [&](ListenerServices& s) { return listener_->on_record(record, s); });
}

void ApplicationLoop::handler_step(sim::Context& ctx, const ListenerStep& step) {
  handler_ran_ = step.status == ListenerStatus::waiting;
  switch (step.status) {
    case ListenerStatus::waiting: return;  // still PROCESSING: resumed by the reply
    case ListenerStatus::failed: {
      const ConsumerRecord failed = std::move(batch_.front());
      batch_.pop_front();
      handle_record_failure(ctx, failed, step.failure);
      return;
    }
    case ListenerStatus::done:
      if (listener_ && listener_->batch()) finish_batch_listener(ctx);
      else finish_record(ctx);
      return;
  }
}

void ApplicationLoop::resume_task(sim::Context& ctx, uint64_t task, const ListenerReply& reply) {
  if (task == kAssignedTask) {
    if (!in_assigned_listener_) return;
    assigned_step(ctx, call_listener(ctx, task, [&](ListenerServices& s) { return listener_->resume(task, reply, s); }));
    return;
  }
  if (task != kHandlerTask) {
    const ListenerStep step = call_listener(ctx, task, [&](ListenerServices& s) { return listener_->resume(task, reply, s); });
    if (step.status == ListenerStatus::failed) coordinator_.trace().emit<event::ConsumerError>(ctx, step.failure);
    return;
  }
  // close() or a crash point may have ended the processing the reply belongs to.
  if (state_ != AppState::processing || !handler_ran_) return;
  handler_step(ctx, call_listener(ctx, kHandlerTask, [&](ListenerServices& s) { return listener_->resume(task, reply, s); }));
}

void ApplicationLoop::finish_batch_listener(sim::Context& ctx) {
  const int64_t first = records_begun_ - static_cast<int64_t>(batch_.size()) + 1;
  const int64_t count = static_cast<int64_t>(batch_.size());
  while (!batch_.empty()) {
    record_processed(ctx, batch_.front());
    batch_.pop_front();
  }
  if (record_crash_point(ctx, "after-process", first, count)) return;
  // A batch listener's records are one unit: RECORD commits them as BATCH would (Spring treats
  // AckMode.RECORD with a batch listener so).
  if (app_.policy == CommitPolicy::record &&
      commit_sync(ctx, subscriptions_.uncommitted_processed(), policy_name(), AppState::committing_after_batch)) {
    return;
  }
  after_batch(ctx);
}

ConsumerCoordinator::Offsets ApplicationLoop::acked_offsets() const {
  ConsumerCoordinator::Offsets out;
  for (const auto& [tp, o] : acked_) out.push_back(o);
  return out;
}

// ---- timers and stores ----

void ApplicationLoop::on_listener_timer(sim::Context& ctx, uint64_t id) {
  auto it = every_.find(id);
  if (!listener_ || it == every_.end() || state_ == AppState::closed) return;
  ctx.set_timer(it->second, sim::timer_tag(ConsumerTimer::app_every, id));
  const ListenerStep step = call_listener(ctx, id, [&](ListenerServices& s) { return listener_->on_every(id, s); });
  if (step.status == ListenerStatus::failed) coordinator_.trace().emit<event::ConsumerError>(ctx, step.failure);
}

bool ApplicationLoop::is_store(sim::NodeId node) const {
  for (const auto& [name, n] : app_.stores)
    if (n == node) return true;
  return false;
}

void ApplicationLoop::on_store_response(sim::Context& ctx, const StoreResponse& resp) {
  auto it = store_calls_.find(resp.correlation_id);
  if (it == store_calls_.end()) return;  // its caller gave up on it
  const uint64_t task = it->second.task;
  store_calls_.erase(it);
  resume_task(ctx, task, ListenerReply{.kind = ListenerReply::Kind::store, .commit_error = Error::NONE, .store = resp, .send = {}});
}

void ApplicationLoop::store_connection_lost(sim::Context& ctx, sim::NodeId node) {
  // The store rolled back every transaction of the session that broke.
  for (auto& [txn, t] : store_txns_)
    if (t.node == node && t.begun) t.broken = true;
  // The calls in flight on the connection end without an answer: the outcome is unknown.
  std::vector<std::pair<int32_t, uint64_t>> lost;
  for (const auto& [corr, call] : store_calls_)
    if (call.node == node) lost.emplace_back(corr, call.task);
  for (const auto& [corr, task] : lost) {
    store_calls_.erase(corr);
    resume_task(ctx, task, ListenerReply{.kind = ListenerReply::Kind::store, .commit_error = Error::NONE, .store = {}, .send = {}});
  }
}

// ---- per-record crash points ----

void ApplicationLoop::commit_started() {
  if (armed_record_processed_) commit_after_armed_ = true;
}

bool ApplicationLoop::record_crash_point(sim::Context& ctx, const char* point, int64_t first, int64_t count) {
  const CrashPoint& at = app_.crash_at;
  if (at.record == 0) return false;
  const std::string_view p = point;
  if (p == "before-process" || p == "after-process") {
    if (at.record < first || at.record >= first + count) return false;
    if (p == "before-process") armed_record_ = record_text(batch_[static_cast<size_t>(at.record - first)]);
    else armed_record_processed_ = true;
  } else if (p == "before-commit" ? !armed_record_processed_ : !commit_after_armed_) {
    return false;
  }
  if (at.point != p) return false;
  coordinator_.trace().emit<event::ConsumerCrashPoint>(ctx, fmt::format("{} of record {} ({})", point, at.record, armed_record_));
  app_.crash_at = {};
  ctx.crash();
  return true;
}

// ---- seeking ----

bool ApplicationLoop::seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset) {
  if (!subscriptions_.is_assigned(tp)) return false;
  subscriptions_.seek(tp, offset);
  buffer_.drop(tp);
  coordinator_.trace().position<event::ConsumerSeek>(ctx, tp, offset, fmt::format("{}-{} to {}", tp.topic, tp.partition, offset));
  fetcher_.send_fetches(ctx);
  return true;
}

}  // namespace kafka
