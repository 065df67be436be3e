#include "broker_model/txn/transaction_marker_channel.hpp"

#include <fmt/format.h>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/trace_schema.hpp"
#include "broker_model/txn/txn_text.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
enum class MarkerOutcome { done, retry, abandon };

// TransactionMarkerRequestCompletionHandler: what a leader's answer for one partition means.
MarkerOutcome outcome_of(Error e) {
  switch (e) {
    case Error::NONE: return MarkerOutcome::done;
    // The coordinator was fenced by a newer one: that one sends the markers.
    case Error::INVALID_PRODUCER_EPOCH:
    case Error::TRANSACTION_COORDINATOR_FENCED: return MarkerOutcome::abandon;
    // UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS(_AFTER_APPEND),
    // REQUEST_TIMED_OUT and the rest: the leader moved or could not write yet.
    default: return MarkerOutcome::retry;
  }
}
}  // namespace

TransactionMarkerChannelManager::TransactionMarkerChannelManager(const MetadataImage& image, const ClusterLayout& layout,
                                                                 TransactionStateManager& state)
    : image_(image), layout_(layout), state_(state) {}

void TransactionMarkerChannelManager::add_markers(sim::Context& ctx, int32_t coordinator_epoch, const TransactionMetadata& txn,
                                                  const TxnTransitMetadata& complete) {
  PendingTxn p;
  p.coordinator_epoch = coordinator_epoch;
  p.txn_partition = state_.partition_for(txn.transactional_id());
  p.producer_id = txn.producer_id();
  p.producer_epoch = txn.producer_epoch();
  p.committed = txn.state() == TransactionState::prepare_commit;
  p.unsent = txn.partitions();
  p.complete = complete;
  pending_[txn.transactional_id()] = std::move(p);
  drain(ctx);
  maybe_complete(ctx, txn.transactional_id());  // a transaction with no partitions left
}

void TransactionMarkerChannelManager::drain(sim::Context& ctx) {
  // Group the unsent markers by leader: markers to one broker go in one request.
  std::map<BrokerId, std::shared_ptr<WriteTxnMarkersRequest>> out;
  std::map<BrokerId, Request> carried;
  bool waiting = false;
  for (auto& [id, p] : pending_) {
    std::map<BrokerId, std::vector<TopicPartition>> by_leader;
    for (auto it = p.unsent.begin(); it != p.unsent.end();) {
      const PartitionState* s = image_.partition(it->topic, it->partition);
      if (!s && !image_.topics.count(it->topic)) {
        it = p.unsent.erase(it);  // the topic is gone: nothing to mark
        continue;
      }
      if (!s || s->leader == kNoLeader) {
        waiting = true;  // markersQueueForUnknownBroker: tried again after the backoff
        ++it;
        continue;
      }
      by_leader[s->leader].push_back(*it);
      it = p.unsent.erase(it);
    }
    for (auto& [leader, tps] : by_leader) {
      auto& req = out[leader];
      if (!req) {
        req = std::make_shared<WriteTxnMarkersRequest>();
        req->correlation_id = next_correlation_id_++;
        carried[leader].broker = leader;
      }
      for (const TopicPartition& tp : tps) p.in_flight[tp] = req->correlation_id;
      carried[leader].txns[p.producer_id] = id;
      ctx.trace(event::TxnMarkersSent{.transactional_id = id,
                                      .producer_id = p.producer_id,
                                      .producer_epoch = p.producer_epoch,
                                      .result = p.committed ? "COMMIT" : "ABORT",
                                      .broker = leader,
                                      .partitions = partitions_text({tps.begin(), tps.end()})});
      req->markers.push_back({p.producer_id, p.producer_epoch, p.committed, std::move(tps), p.coordinator_epoch});
    }
  }
  for (auto& [leader, req] : out) {
    requests_[req->correlation_id] = std::move(carried[leader]);
    ctx.send(layout_.node_of(leader), req);
  }
  if (waiting) arm_retry(ctx);
}

void TransactionMarkerChannelManager::handle_response(sim::Context& ctx, const WriteTxnMarkersResponse& resp) {
  auto req = requests_.find(resp.correlation_id);
  if (req == requests_.end()) return;  // its transaction was dropped meanwhile
  const Request r = std::move(req->second);
  requests_.erase(req);
  bool retry = false;
  std::set<std::string> touched;
  std::set<std::string> abandoned;
  for (const auto& marker : resp.markers) {
    auto id = r.txns.find(marker.producer_id);
    if (id == r.txns.end()) continue;
    auto p = pending_.find(id->second);
    if (p == pending_.end()) continue;
    touched.insert(id->second);
    for (const auto& part : marker.partitions) {
      ctx.trace(event::TxnMarkerAnswered{.transactional_id = id->second,
                                         .producer_id = marker.producer_id,
                                         .broker = r.broker,
                                         .topic = part.tp.topic,
                                         .partition = part.tp.partition,
                                         .error = error_name(part.error)});
      auto in_flight = p->second.in_flight.find(part.tp);
      if (in_flight == p->second.in_flight.end() || in_flight->second != resp.correlation_id) continue;
      p->second.in_flight.erase(in_flight);
      switch (outcome_of(part.error)) {
        case MarkerOutcome::done: break;
        case MarkerOutcome::retry:
          p->second.unsent.insert(part.tp);
          retry = true;
          break;
        case MarkerOutcome::abandon: abandoned.insert(id->second); break;
      }
    }
  }
  for (const std::string& id : abandoned) pending_.erase(id);
  retry |= requeue(r, resp.correlation_id);  // what the answer left out
  if (retry) arm_retry(ctx);
  for (const std::string& id : touched) maybe_complete(ctx, id);
}

bool TransactionMarkerChannelManager::requeue(const Request& r, int32_t correlation_id) {
  bool any = false;
  for (const auto& [pid, id] : r.txns) {
    auto p = pending_.find(id);
    if (p == pending_.end()) continue;
    for (auto it = p->second.in_flight.begin(); it != p->second.in_flight.end();) {
      if (it->second != correlation_id) {
        ++it;
        continue;
      }
      p->second.unsent.insert(it->first);
      it = p->second.in_flight.erase(it);
      any = true;
    }
  }
  return any;
}

void TransactionMarkerChannelManager::on_disconnect(sim::Context& ctx, BrokerId broker) {
  bool lost = false;
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->second.broker != broker) {
      ++it;
      continue;
    }
    lost |= requeue(it->second, it->first);
    it = requests_.erase(it);
  }
  if (lost) arm_retry(ctx);
}

void TransactionMarkerChannelManager::arm_retry(sim::Context& ctx) {
  if (retry_armed_) return;
  retry_armed_ = true;
  ctx.set_timer(kRetryBackoff, sim::timer_tag(BrokerTimer::txn_markers));
}

void TransactionMarkerChannelManager::retry(sim::Context& ctx) {
  retry_armed_ = false;
  drain(ctx);
  std::vector<std::string> ids;
  for (const auto& [id, p] : pending_) ids.push_back(id);
  for (const std::string& id : ids) maybe_complete(ctx, id);
}

void TransactionMarkerChannelManager::maybe_complete(sim::Context& ctx, const std::string& transactional_id) {
  auto it = pending_.find(transactional_id);
  if (it == pending_.end()) return;
  PendingTxn& p = it->second;
  if (p.completing || !p.unsent.empty() || !p.in_flight.empty()) return;
  p.completing = true;
  // The write of the Complete state (TransactionMarkerChannelManager.tryAppendToLog): written,
  // or dropped when this broker stopped coordinating the id, or written again when the log
  // could not take it yet.
  state_.append(
      ctx, transactional_id, p.coordinator_epoch, p.complete,
      [this, transactional_id](sim::Context& c, Error e) {
        auto again = pending_.find(transactional_id);
        if (again == pending_.end()) return;
        if (e == Error::COORDINATOR_NOT_AVAILABLE) {
          again->second.completing = false;
          arm_retry(c);
          return;
        }
        pending_.erase(again);
      },
      true);
}

void TransactionMarkerChannelManager::remove_for_partition(int32_t txn_partition) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.txn_partition == txn_partition) it = pending_.erase(it);
    else ++it;
  }
}

std::string TransactionMarkerChannelManager::invariants() const {
  for (const auto& [id, p] : pending_) {
    for (const auto& [tp, correlation_id] : p.in_flight)
      if (!requests_.count(correlation_id)) return fmt::format("{}: marker for {} in flight in no request", id, tp.to_string());
  }
  return {};
}

}  // namespace kafka
