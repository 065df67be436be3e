#include "broker_model/broker/purgatory.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/broker/replica_manager.hpp"
#include "sim/assert.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
// A delayed timer's id: the kind of request above the request's id.
constexpr uint64_t kIdBits = 40;
constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;
}  // namespace

uint64_t Purgatory::tag(Kind kind, uint64_t id) {
  SIM_ASSERT(id <= kIdMask);
  return sim::timer_tag(BrokerTimer::delayed, (static_cast<uint64_t>(kind) << kIdBits) | id);
}

void Purgatory::watch(Kind kind, uint64_t id, const std::vector<TopicPartition>& tps) {
  for (const auto& tp : tps) watchers_[{kind, tp}].insert(id);
}

void Purgatory::unwatch(Kind kind, uint64_t id, const std::vector<TopicPartition>& tps) {
  for (const auto& tp : tps) {
    auto it = watchers_.find({kind, tp});
    if (it == watchers_.end()) continue;
    it->second.erase(id);
    if (it->second.empty()) watchers_.erase(it);
  }
}

template <typename Op>
uint64_t Purgatory::put_waiting(sim::Context& ctx, std::map<uint64_t, Waiting<Op>>& waiting, Kind kind, Op op,
                                std::vector<TopicPartition> watched, sim::Duration timeout) {
  const uint64_t id = next_id_++;
  const sim::TimerId timer = ctx.set_timer(timeout, tag(kind, id));
  watch(kind, id, watched);
  waiting.emplace(id, Waiting<Op>{std::move(op), timer, std::move(watched)});
  return id;
}

template <typename Op>
std::optional<Purgatory::Waiting<Op>> Purgatory::take(sim::Context& ctx, std::map<uint64_t, Waiting<Op>>& waiting, Kind kind,
                                                      uint64_t id, bool expired) {
  auto it = waiting.find(id);
  if (it == waiting.end()) return std::nullopt;
  Waiting<Op> w = std::move(it->second);
  waiting.erase(it);
  unwatch(kind, id, w.watched);
  if (!expired) ctx.cancel_timer(w.timer);
  return w;
}

std::vector<uint64_t> Purgatory::waiting_on(Kind kind, const TopicPartition& tp) const {
  auto it = watchers_.find({kind, tp});
  if (it == watchers_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

// ---- produces ----

void Purgatory::add(sim::Context& ctx, DelayedProduce p, sim::Duration timeout) {
  std::vector<TopicPartition> watched;
  for (size_t i = 0; i < p.results.size(); ++i)
    if (p.required[i] >= 0) watched.push_back({p.results[i].topic, p.results[i].partition});
  const uint64_t id = put_waiting(ctx, produces_, Kind::produce, std::move(p), std::move(watched), timeout);
  if (try_complete(ctx, id)) finish_produce(ctx, id, false);
}

bool Purgatory::try_complete(sim::Context&, uint64_t id) {
  DelayedProduce& d = produces_.at(id).op;
  bool all = true;
  for (size_t i = 0; i < d.results.size(); ++i) {
    if (d.required[i] < 0) continue;
    auto& res = d.results[i];
    const Partition* p = replicas_.partition(res.topic, res.partition);
    if (!p || !p->is_leader()) {
      res.error = Error::NOT_LEADER_OR_FOLLOWER;
      d.required[i] = -1;
      continue;
    }
    if (p->log->high_watermark() >= d.required[i]) {
      // Partition.checkEnoughReplicasReachOffset: written everywhere the ISR says, but the
      // ISR may have shrunk below min.insync.replicas meanwhile. It counts the maximal ISR:
      // a shrink in flight does not count yet, an expansion in flight already does.
      if (!p->enough_in_maximal_isr(replicas_.min_isr(res.topic))) res.error = Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND;
      d.required[i] = -1;
      continue;
    }
    all = false;
  }
  return all;
}

void Purgatory::finish_produce(sim::Context& ctx, uint64_t id, bool expired) {
  auto w = take(ctx, produces_, Kind::produce, id, expired);
  if (!w) return;
  auto resp = std::make_shared<ProduceResponse>();
  resp->correlation_id = w->op.correlation_id;
  for (size_t i = 0; i < w->op.results.size(); ++i) {
    if (w->op.required[i] >= 0) w->op.results[i].error = Error::REQUEST_TIMED_OUT;  // appended, not yet replicated
    resp->partitions.push_back(w->op.results[i]);
  }
  ctx.send(w->op.from, resp);
}

// ---- fetches ----

void Purgatory::add(sim::Context& ctx, DelayedFetch f, sim::Duration wait) {
  std::vector<TopicPartition> watched;
  for (const auto& pd : f.request->partitions) watched.push_back({pd.topic, pd.partition});
  put_waiting(ctx, fetches_, Kind::fetch, std::move(f), std::move(watched), wait);
}

void Purgatory::answer_fetch(sim::Context& ctx, uint64_t id, bool expired) {
  if (auto w = take(ctx, fetches_, Kind::fetch, id, expired)) replicas_.respond_fetch(ctx, w->op.from, *w->op.request);
}

// ---- coordinator writes ----

void Purgatory::add(sim::Context& ctx, DelayedWrite w, sim::Duration timeout) {
  std::vector<TopicPartition> watched = {w.tp};
  put_waiting(ctx, writes_, Kind::write, std::move(w), std::move(watched), timeout);
}

void Purgatory::finish_write(sim::Context& ctx, uint64_t id, Error error, bool expired) {
  if (auto w = take(ctx, writes_, Kind::write, id, expired)) w->op.done(ctx, error);
}

// ---- when partitions move ----

void Purgatory::check(sim::Context& ctx, const TopicPartition& tp) {
  for (uint64_t id : waiting_on(Kind::produce, tp))
    if (produces_.count(id) && try_complete(ctx, id)) finish_produce(ctx, id, false);
  const Partition* p = replicas_.partition(tp.topic, tp.partition);
  for (uint64_t id : waiting_on(Kind::write, tp)) {
    auto it = writes_.find(id);
    if (it == writes_.end()) continue;
    if (!p || !p->is_leader()) finish_write(ctx, id, Error::NOT_COORDINATOR, false);
    else if (p->log->high_watermark() >= it->second.op.required) finish_write(ctx, id, Error::NONE, false);
  }
}

void Purgatory::hw_moved(sim::Context& ctx, const TopicPartition& tp) {
  check(ctx, tp);
  for (uint64_t id : waiting_on(Kind::fetch, tp)) {
    auto it = fetches_.find(id);
    // A follower's fetch waits for new records, not for the HW.
    if (it != fetches_.end() && it->second.op.request->replica_id < 0) answer_fetch(ctx, id, false);
  }
}

void Purgatory::appended(sim::Context& ctx, const TopicPartition& tp) {
  for (uint64_t id : waiting_on(Kind::fetch, tp)) answer_fetch(ctx, id, false);
}

void Purgatory::expire(sim::Context& ctx, uint64_t timer_id) {
  const uint64_t id = timer_id & kIdMask;
  switch (static_cast<Kind>(timer_id >> kIdBits)) {
    case Kind::produce: finish_produce(ctx, id, true); break;
    case Kind::fetch: answer_fetch(ctx, id, true); break;
    case Kind::write: finish_write(ctx, id, Error::REQUEST_TIMED_OUT, true); break;
  }
}

std::string Purgatory::invariants() const {
  size_t watches = 0;
  for (const auto& [key, ids] : watchers_) {
    for (uint64_t id : ids) {
      const bool waiting = key.first == Kind::produce ? produces_.count(id) > 0
                           : key.first == Kind::fetch ? fetches_.count(id) > 0
                                                      : writes_.count(id) > 0;
      if (!waiting) return "the purgatory watches a request that no longer waits";
    }
    watches += ids.size();
  }
  size_t expected = 0;
  for (const auto& [id, w] : produces_) expected += std::set<TopicPartition>(w.watched.begin(), w.watched.end()).size();
  for (const auto& [id, w] : fetches_) expected += std::set<TopicPartition>(w.watched.begin(), w.watched.end()).size();
  for (const auto& [id, w] : writes_) expected += w.watched.size();
  if (watches != expected) return fmt::format("the purgatory has {} watches for {} watched partitions", watches, expected);
  for (const auto& [id, w] : produces_) {
    for (size_t i = 0; i < w.op.results.size(); ++i)
      if (w.op.required[i] >= 0 && w.op.results[i].error != Error::NONE) return "a produce waits on a partition that failed";
  }
  return {};
}

}  // namespace kafka
