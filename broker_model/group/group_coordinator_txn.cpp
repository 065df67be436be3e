// Offsets committed inside a transaction (KIP-98, KIP-447): TxnOffsetCommit validated as
// GroupCoordinator.handleTxnCommitOffsets does, written to the group's __consumer_offsets
// partition as a transactional batch of the producer (GroupMetadataManager.storeOffsets), and
// kept pending (GroupMetadata.prepareTxnOffsetCommit / onTxnOffsetCommitAppend) until the
// transaction's marker reaches that partition (handleTxnCompletion). Loading a partition
// replays the same from the log (doLoadGroupsAndOffsets).
#include <memory>

#include "broker_model/group/group_coordinator.hpp"
#include "broker_model/trace_schema.hpp"

namespace kafka {

namespace {
constexpr sim::Duration kOffsetCommitTimeout = sim::Duration::millis(5000);  // offsets.commit.timeout.ms

// GroupCoordinator.validateOffsetCommit with isTransactional = true: a request without group
// metadata (before KIP-447, or from outside a group) is taken whatever the group's state.
Error validate_txn_offset_commit(const Group& g, const TxnOffsetCommitRequest& req) {
  if (g.phase == GroupPhase::dead) return Error::COORDINATOR_NOT_AVAILABLE;
  if (req.generation_id < 0 && g.phase == GroupPhase::empty) return Error::NONE;
  if (req.generation_id >= 0 || !req.member_id.empty() || req.group_instance_id) {
    if (const Error e = g.validate_member(req.member_id, req.group_instance_id); e != Error::NONE) return e;
    if (req.generation_id != g.generation) return Error::ILLEGAL_GENERATION;
  }
  return Error::NONE;
}
}  // namespace

void GroupCoordinator::trace_txn_offsets(sim::Context& ctx, const std::string& group, int64_t producer_id,
                                         const std::map<TopicPartition, PendingTxnOffset>& offsets, const char* state) {
  std::string text;
  for (const auto& [tp, p] : offsets) text += (text.empty() ? "" : ",") + tp.to_string() + "=" + std::to_string(p.offset.offset);
  ctx.trace(event::GroupTxnOffsets{.group = group, .producer_id = producer_id, .offsets = text, .state = state});
}

void GroupCoordinator::handle_txn_offset_commit(sim::Context& ctx, sim::NodeId from, const TxnOffsetCommitRequest& req) {
  // The reply may be sent once the offsets are written, long after `req` is gone: it keeps
  // what it needs.
  std::vector<TopicPartition> partitions;
  for (const auto& o : req.offsets) partitions.push_back(o.tp);
  auto reply = [correlation_id = req.correlation_id, partitions = std::move(partitions), from](sim::Context& c, Error e) {
    auto resp = std::make_shared<TxnOffsetCommitResponse>();
    resp->correlation_id = correlation_id;
    for (const TopicPartition& tp : partitions) resp->results.push_back({tp, e});
    c.send(from, resp);
  };
  Group* gp = coordinated(req.group_id, true);
  if (!gp) return reply(ctx, not_coordinating(req.group_id));
  Group& g = *gp;
  if (const Error e = validate_txn_offset_commit(g, req); e != Error::NONE) return reply(ctx, e);

  // prepareTxnOffsetCommit: pending (not yet appended) from now on.
  std::vector<Record> records;
  auto& pending = g.pending_txn_offsets[req.producer_id];
  for (const auto& o : req.offsets) {
    const CommittedOffset offset{o.offset, o.leader_epoch};
    records.push_back(offset_record(g.id, o.tp, offset));
    pending[o.tp] = PendingTxnOffset{offset, false};
  }
  auto respond = [this, group_id = g.id, pid = req.producer_id, offsets = req.offsets, reply](sim::Context& c, Error e) {
    auto it = groups_.find(group_id);
    if (it != groups_.end()) {
      auto p = it->second.pending_txn_offsets.find(pid);
      if (p != it->second.pending_txn_offsets.end()) {
        // onTxnOffsetCommitAppend, or failPendingTxnOffsetCommit.
        for (const auto& o : offsets) {
          auto entry = p->second.find(o.tp);
          if (entry == p->second.end()) continue;
          if (e == Error::NONE) entry->second.appended = true;
          else p->second.erase(entry);
        }
        if (e == Error::NONE) trace_txn_offsets(c, group_id, pid, p->second, "pending");
        if (p->second.empty()) it->second.pending_txn_offsets.erase(p);
      }
    }
    reply(c, e);
  };
  log_.append_transactional(ctx, {kOffsetsTopic, g.offsets_partition}, req.producer_id, req.producer_epoch, std::move(records),
                            kOffsetCommitTimeout, std::move(respond));
}

void GroupCoordinator::on_txn_completed(sim::Context& ctx, const TopicPartition& tp, int64_t producer_id, bool committed) {
  for (auto& [id, g] : groups_) {
    if (g.offsets_partition != tp.partition) continue;
    auto it = g.pending_txn_offsets.find(producer_id);
    if (it == g.pending_txn_offsets.end()) continue;
    trace_txn_offsets(ctx, id, producer_id, it->second, committed ? "committed" : "aborted");
    g.complete_pending_txn_offsets(producer_id, committed);
  }
}

void GroupCoordinator::load_batch(const RecordBatch& b, std::map<std::string, Group>& loaded, int32_t partition, sim::Time now) {
  if (b.is_txn_marker()) {
    for (auto& [id, g] : loaded) g.complete_pending_txn_offsets(b.producer_id, b.control_type == ControlType::commit);
    return;
  }
  if (!b.transactional) {
    for (const Record& rec : *b.records) apply_offsets_record(rec, loaded, partition, now);
    return;
  }
  // A transactional batch's offsets wait for their marker, later in the log or not yet written.
  std::map<std::string, Group> scratch;
  for (const Record& rec : *b.records) apply_offsets_record(rec, scratch, partition, now);
  for (auto& [id, s] : scratch) {
    Group& g = loaded[id];
    g.id = id;
    g.offsets_partition = partition;
    for (const auto& [tp, o] : s.offsets) g.pending_txn_offsets[b.producer_id][tp] = PendingTxnOffset{o, true};
  }
}

}  // namespace kafka
