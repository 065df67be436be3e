#include "sim/check/history_sink.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sim/check/event_fields.hpp"
#include "sim/check/explain.hpp"

namespace check {

namespace ev = kafka::event;

namespace {
std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < list.size()) {
    size_t end = list.find(',', i);
    if (end == std::string_view::npos) end = list.size();
    if (end > i) out.emplace_back(list.substr(i, end - i));
    i = end + 1;
  }
  return out;
}
}  // namespace

class HistorySink::Reader {
 public:
  Reader(HistorySink& s, const sim::Event& e) : s_(s), e_(e) {}
  void operator()(const ev::ConsumerRevoked::View& v) { s_.rebalance(v.member, "revoked", v.partitions); }
  void operator()(const ev::ConsumerLost::View& v) { s_.rebalance(v.member, "revoked", v.partitions); }
  void operator()(const ev::ConsumerAssigned::View& v) { s_.rebalance(v.member, "assigned", v.added); }
  void operator()(const ev::OpInvoke::View& v) { s_.invoke(e_, v); }
  void operator()(const ev::OpPollRecord::View& v) {
    auto it = s_.pending_.find({std::string(v.process), v.op});
    if (it == s_.pending_.end()) return;
    it->second.polls[partition_key(v.topic, v.partition)].push_back({v.offset, std::string(v.value)});
  }
  void operator()(const ev::OpOk::View& v) { s_.complete(e_, OpType::ok, v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::OpFail::View& v) { s_.complete(e_, OpType::fail, v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::OpInfo::View& v) { s_.complete(e_, OpType::info, v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::ProducerTxnSend::View& v) { s_.txn_send(v); }
  void operator()(const ev::ProducerTxnEnd::View& v) { s_.txn_end(e_, v); }
  void operator()(const ev::TxnFence::View& v) { s_.txn_fence(e_, v); }

 private:
  HistorySink& s_;
  const sim::Event& e_;
};

void HistorySink::write(const sim::Event& e) { Reads::visit(e, Reader(*this, e)); }

void HistorySink::rebalance(std::string_view process, const char* what, std::string_view partitions) {
  auto keys = split_list(partitions);
  if (!keys.empty()) rebalances_[std::string(process)].push_back(Rebalance{what, std::move(keys)});
}

void HistorySink::invoke(const sim::Event& e, const ev::OpInvoke::View& v) {
  Op out;
  out.index = static_cast<int64_t>(history_.ops.size());
  out.process = std::string(v.process);
  out.f = std::string(v.f);
  out.time_ns = e.time.ns;
  out.type = OpType::invoke;
  out.id = next_id_++;
  Pending p{out.id, std::string(v.topic), std::string(v.value), {}, split_list(v.keys)};
  // A send's partition (and so its key) is only known when it completes.
  if (out.f == "send") out.sends.push_back(Send{p.topic, p.value, std::nullopt});
  out.keys = p.keys;
  pending_[{out.process, v.op}] = std::move(p);
  history_.ops.push_back(std::move(out));
}

void HistorySink::complete(const sim::Event& e, OpType type, std::string_view process, int64_t op, std::string_view f,
                           int64_t partition, int64_t offset) {
  auto it = pending_.find({std::string(process), op});
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  Op out;
  out.index = static_cast<int64_t>(history_.ops.size());
  out.process = std::string(process);
  out.f = std::string(f);
  out.time_ns = e.time.ns;
  out.id = p.id;
  out.type = type;
  if (out.f == "send") {
    Send s;
    s.key = partition >= 0 ? partition_key(p.topic, partition) : p.topic;
    s.value = p.value;
    if (offset >= 0) s.offset = offset;
    out.sends.push_back(std::move(s));
    // An acknowledged send of a transaction counts once the transaction's outcome is known.
    if (auto t = txn_of_send_.find({out.process, op}); t != txn_of_send_.end()) {
      Txn& txn = txns_[t->second];
      if (out.type == OpType::ok) {
        if (txn.outcome) {
          out.type = *txn.outcome;
          history_.txn_outcomes[static_cast<int64_t>(history_.ops.size())] = txn.how;
        } else {
          out.type = OpType::info;
          txn.acknowledged.push_back(history_.ops.size());
        }
      }
      txn_of_send_.erase(t);
    }
  } else if (out.f == "poll") {
    out.polls = std::move(p.polls);
    auto r = rebalances_.find(out.process);
    if (r != rebalances_.end()) {
      out.rebalance_log = std::move(r->second);
      rebalances_.erase(r);
    }
  } else {
    out.keys = std::move(p.keys);
  }
  history_.ops.push_back(std::move(out));
}

void HistorySink::txn_send(const ev::ProducerTxnSend::View& v) {
  TxnKey key{std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn};
  Txn& txn = txns_[key];
  // The send's op.invoke came just before: its value and history id.
  if (auto p = pending_.find({std::string(v.client_id), v.op}); p != pending_.end()) {
    txn.sends.emplace_back(p->second.value, p->second.id);
    if (txn.fenced) fenced_[*txn.fenced].sends.emplace_back(p->second.value, p->second.id);  // a zombie's late send
  }
  if (!txn.outcome) open_by_producer_id_[v.producer_id] = key;
  txn_of_send_[{std::string(v.client_id), v.op}] = std::move(key);
}

void HistorySink::settle(Txn& txn, OpType outcome, History::TxnOutcome how) {
  for (size_t index : txn.acknowledged) {
    history_.ops[index].type = outcome;
    history_.txn_outcomes[static_cast<int64_t>(index)] = how;
  }
  txn.acknowledged.clear();
  txn.outcome = outcome;
  txn.how = std::move(how);
}

void HistorySink::txn_end(const sim::Event& e, const ev::ProducerTxnEnd::View& v) {
  const TxnKey key{std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn};
  auto it = txns_.find(key);
  if (it == txns_.end()) return;  // nothing was sent in it
  if (auto open = open_by_producer_id_.find(v.producer_id); open != open_by_producer_id_.end() && open->second == key)
    open_by_producer_id_.erase(open);
  if (it->second.fenced) return;  // the coordinator aborted it, whatever the client saw
  // A fatal error with the transaction open (fenced, say) leaves the outcome to others: the
  // coordinator aborts it, unless its commit was already being written.
  const OpType outcome = v.outcome == "committed" ? OpType::ok : v.outcome == "aborted" ? OpType::fail : OpType::info;
  settle(it->second, outcome,
         {e.time.ns, fmt::format("{} ended its transaction ({}, number {}) at {}: {}", v.client_id, v.transactional_id, v.txn,
                                 format_time(e.time.ns), v.outcome)});
}

void HistorySink::txn_fence(const sim::Event& e, const ev::TxnFence::View& v) {
  // The coordinator found the id's transaction Ongoing and aborts it at the bumped epoch: the
  // client's open transaction of that producer id at an older epoch, if it sent anything.
  auto open = open_by_producer_id_.find(v.producer_id);
  if (open == open_by_producer_id_.end() || std::get<2>(open->second) >= v.producer_epoch) return;
  Txn& txn = txns_[open->second];
  const auto& [client, producer_id, epoch, number] = open->second;
  txn.fenced = fenced_.size();
  fenced_.push_back(FencedTxn{std::string(v.transactional_id), client, producer_id, epoch, number, v.producer_epoch, e.time.ns,
                              std::string(v.reason), txn.sends});
  History::TxnOutcome how{e.time.ns, fmt::format("The transaction coordinator on {} fenced {}'s open transaction ({}, number {}) at "
                                                  "{} ({}) and aborts it",
                                                  e.node_name, client, v.transactional_id, number, format_time(e.time.ns), v.reason)};
  open_by_producer_id_.erase(open);
  settle(txn, OpType::fail, std::move(how));
}

class GroupSink::Reader {
 public:
  Reader(GroupSink& s, const sim::Event& e) : s_(s), e_(e) {}
  void operator()(const ev::ConsumerStart::View& v) { member(v.member, v.group); }
  void operator()(const ev::ConsumerProcessed::View& v) {
    member(v.member, v.group);
    s_.processed_.push_back(ProcessedRecord{std::string(v.group), std::string(v.member), partition_key(v.topic, v.partition), v.offset,
                                            std::string(v.key), std::string(v.value), e_.time.ns});
  }
  void operator()(const ev::ConsumerReset::View& v) { jump(s_.jumps_, v.member, v.group, v.topic, v.partition, v.offset); }
  void operator()(const ev::ConsumerSeek::View& v) { jump(s_.jumps_, v.member, v.group, v.topic, v.partition, v.offset); }
  void operator()(const ev::ConsumerPosition::View& v) { jump(s_.resumes_, v.member, v.group, v.topic, v.partition, v.offset); }
  void operator()(const ev::ConsumerCommit::View& v) {
    member(v.member, v.group);
    CommitRecord c{std::string(v.group), std::string(v.member), e_.time.ns, {}, std::string(v.why), v.error == "NONE"};
    // "orders-0:57,orders-1:33" (topic names have no ':' in Kafka). A commit that failed before it
    // was sent carries only a count, no list.
    const std::string_view offsets = v.offsets.type() == sim::Value::Type::text ? v.offsets.text() : std::string_view();
    for (const std::string& item : split_list(offsets)) {
      const size_t colon = item.rfind(':');
      int64_t offset = -1;
      if (colon != std::string::npos &&
          std::from_chars(item.data() + colon + 1, item.data() + item.size(), offset).ec == std::errc())
        c.offsets.emplace_back(item.substr(0, colon), offset);
    }
    s_.commits_.push_back(std::move(c));
  }
  void operator()(const ev::ListenerRecovered::View& v) {
    member(v.member, v.group);
    s_.recovered_.push_back(RecoveredRecord{std::string(v.group), std::string(v.member), partition_key(v.topic, v.partition),
                                            v.offset, std::string(v.dead_letter), e_.time.ns});
  }

 private:
  void member(std::string_view name, std::string_view group) {
    if (!name.empty() && !group.empty()) s_.member_groups_.try_emplace(std::string(name), std::string(group));
  }
  void jump(std::vector<PositionJump>& to, std::string_view name, std::string_view group, std::string_view topic, int64_t partition,
            int64_t offset) {
    member(name, group);
    to.push_back(PositionJump{std::string(group), std::string(name), partition_key(topic, partition), offset, e_.time.ns});
  }
  GroupSink& s_;
  const sim::Event& e_;
};

void GroupSink::write(const sim::Event& e) { Reads::visit(e, Reader(*this, e)); }

}  // namespace check
