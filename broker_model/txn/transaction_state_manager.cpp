#include "broker_model/txn/transaction_state_manager.hpp"

#include <fmt/format.h>

#include "broker_model/broker/broker_timer.hpp"
#include "broker_model/client/partitioner.hpp"
#include "broker_model/trace_schema.hpp"
#include "broker_model/txn/transaction_log.hpp"
#include "broker_model/txn/txn_text.hpp"
#include "sim/timer_tag.hpp"

namespace kafka {

namespace {
// TransactionStateManager writes with the broker's request.timeout.ms (30 s by default).
constexpr sim::Duration kAppendTimeout = sim::Duration::millis(30000);

// appendTransactionToLog's updateCacheCallback: the produce error as the coordinator reports it.
Error coordinator_error(Error e) {
  switch (e) {
    case Error::NONE:
    case Error::COORDINATOR_NOT_AVAILABLE:
    case Error::NOT_COORDINATOR: return e;
    case Error::UNKNOWN_TOPIC_OR_PARTITION:
    case Error::NOT_ENOUGH_REPLICAS:
    case Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case Error::REQUEST_TIMED_OUT: return Error::COORDINATOR_NOT_AVAILABLE;
    case Error::NOT_LEADER_OR_FOLLOWER: return Error::NOT_COORDINATOR;
    default: return Error::UNKNOWN_SERVER_ERROR;
  }
}
}  // namespace

TransactionStateManager::TransactionStateManager(const ConfigSet& config, const MetadataImage& image, PartitionWriter& log)
    : config_(config), image_(image), log_(log) {}

int32_t TransactionStateManager::partition_for(const std::string& transactional_id) const {
  auto it = image_.topics.find(kTransactionStateTopic);
  if (it == image_.topics.end() || it->second.partitions <= 0) return -1;
  return coordinator_partition(transactional_id, it->second.partitions);
}

TransactionStateManager::Lookup TransactionStateManager::get(const std::string& transactional_id) {
  const int32_t p = partition_for(transactional_id);
  if (p < 0) return {Error::COORDINATOR_NOT_AVAILABLE};
  auto owned = owned_.find(p);
  if (owned == owned_.end()) return {Error::NOT_COORDINATOR};
  if (owned->second.loading) return {Error::COORDINATOR_LOAD_IN_PROGRESS};
  auto it = metadata_.find(transactional_id);
  return {Error::NONE, it == metadata_.end() ? nullptr : &it->second, owned->second.coordinator_epoch};
}

TransactionMetadata& TransactionStateManager::put(const std::string& transactional_id, const TxnTransitMetadata& values) {
  return metadata_.try_emplace(transactional_id, transactional_id, values).first->second;
}

bool TransactionStateManager::valid_timeout(int32_t txn_timeout_ms) const {
  return txn_timeout_ms > 0 && txn_timeout_ms <= config_.integer("transaction.max.timeout.ms");
}

void TransactionStateManager::append(sim::Context& ctx, const std::string& transactional_id, int32_t coordinator_epoch,
                                     const TxnTransitMetadata& t, AppendDone done, bool retry_on_unavailable) {
  const int32_t p = partition_for(transactional_id);
  auto written = [this, transactional_id, coordinator_epoch, t, done = std::move(done), retry_on_unavailable](sim::Context& c,
                                                                                                            Error e) {
    Error error = coordinator_error(e);
    const Lookup now = get(transactional_id);
    // A write that outlived this broker's term as coordinator changes nothing here.
    const bool same_term = now.error == Error::NONE && now.metadata && now.coordinator_epoch == coordinator_epoch;
    if (!same_term) {
      if (error == Error::NONE) error = Error::NOT_COORDINATOR;
    } else if (error == Error::NONE) {
      const TransactionState from = now.metadata->state();
      now.metadata->complete_transition(t);
      const TxnTransitMetadata& v = now.metadata->current();
      c.trace(event::TxnStateChange{.transactional_id = transactional_id,
                                    .producer_id = v.producer_id,
                                    .producer_epoch = v.producer_epoch,
                                    .from = to_string(from),
                                    .to = to_string(v.state),
                                    .partitions = partitions_text(t.partitions)});
    } else if (!(retry_on_unavailable && error == Error::COORDINATOR_NOT_AVAILABLE)) {
      now.metadata->abort_pending_transition();
    }
    done(c, error);
  };
  log_.append(ctx, {kTransactionStateTopic, p}, {transaction_record(transactional_id, t)}, kAppendTimeout, std::move(written));
}

void TransactionStateManager::start_load(sim::Context& ctx, int32_t partition, int32_t coordinator_epoch) {
  unload(partition);
  owned_[partition] = Partition{coordinator_epoch, true};
  // Kafka reads the partition on its scheduler thread; here the read takes 1 ms and 1 µs a record.
  size_t records = 0;
  for (const BatchPtr& b : log_.read_all({kTransactionStateTopic, partition})) records += b->records->size();
  ctx.set_timer(sim::Duration::millis(1) + sim::Duration::micros(static_cast<int64_t>(records)),
                sim::timer_tag(BrokerTimer::txn_load, static_cast<uint64_t>(partition)));
}

void TransactionStateManager::finish_load(sim::Context& ctx, int32_t partition, const ResumeMarkers& resume) {
  auto owned = owned_.find(partition);
  if (owned == owned_.end() || !owned->second.loading) return;  // resigned meanwhile
  // The last record of an id is its state (the topic is compacted).
  std::map<std::string, TxnTransitMetadata> loaded;
  for (const BatchPtr& b : log_.read_all({kTransactionStateTopic, partition}))
    for (const Record& r : *b->records)
      if (auto txn = read_transaction_record(r)) loaded[txn->first] = txn->second;
  owned->second.loading = false;
  const int32_t epoch = owned->second.coordinator_epoch;
  for (const auto& [id, t] : loaded) {
    TransactionMetadata& m = put(id, t);
    ctx.trace(event::TxnLoaded{.transactional_id = id,
                               .producer_id = t.producer_id,
                               .producer_epoch = t.producer_epoch,
                               .state = to_string(t.state),
                               .partitions = partitions_text(t.partitions)});
    if (t.state == TransactionState::prepare_commit || t.state == TransactionState::prepare_abort) resume(ctx, m, epoch);
  }
}

void TransactionStateManager::unload(int32_t partition) {
  owned_.erase(partition);
  for (auto it = metadata_.begin(); it != metadata_.end();) {
    if (partition_for(it->first) == partition) it = metadata_.erase(it);
    else ++it;
  }
}

std::vector<std::string> TransactionStateManager::timed_out(int64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& [id, m] : metadata_) {
    const TxnTransitMetadata& v = m.current();
    if (v.state == TransactionState::ongoing && !m.pending_transition_in_progress() && v.txn_start_ms + v.txn_timeout_ms < now_ms)
      out.push_back(id);
  }
  return out;
}

std::string TransactionStateManager::invariants() const {
  for (const auto& [p, part] : owned_)
    if (!log_.leads({kTransactionStateTopic, p})) return fmt::format("__transaction_state-{}: coordinating without leading it", p);
  for (const auto& [id, m] : metadata_) {
    auto owned = owned_.find(partition_for(id));
    if (owned == owned_.end() || owned->second.loading) return fmt::format("transactional id {}: cached but not loaded here", id);
    if (m.state() == TransactionState::prepare_epoch_fence || m.state() == TransactionState::dead)
      return fmt::format("transactional id {}: in {}, which is never a current state", id, to_string(m.state()));
    if (!has_open_transaction(m.state()) && !m.partitions().empty())
      return fmt::format("transactional id {}: {} with partitions", id, to_string(m.state()));
  }
  return {};
}

}  // namespace kafka
