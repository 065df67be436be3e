#include "sim/check/history_sink.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sim/assert.hpp"
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
  void operator()(const ev::ProducerTxnSend::View& v) { s_.txn_send(e_, v); }
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
  std::optional<History::TxnOutcome> late;  // a fenced transaction's send made after the fence
  if (auto t = txn_of_send_.find({std::string(process), op}); t != txn_of_send_.end()) {
    const TxnSend s = std::move(t->second);
    txn_of_send_.erase(t);
    if (!s.late) return txn_send_completed(e, s, p, type, partition, offset);
    // It never commits: the coordinator aborted its transaction, whatever a leader acknowledged.
    const Txn& txn = txns_[s.txn];
    late = history_.txn_outcomes[*txn.completion];
    late->acknowledged_ns.clear();
    if (type == OpType::ok) late->acknowledged_ns[p.value] = e.time.ns;
    if (type == OpType::ok) type = OpType::fail;
  }
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
    if (late) history_.txn_outcomes[out.index] = std::move(*late);
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

void HistorySink::txn_send(const sim::Event& e, const ev::ProducerTxnSend::View& v) {
  const auto p = pending_.find({std::string(v.client_id), v.op});
  if (p == pending_.end()) return;
  TxnKey key{std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn};
  auto [it, fresh] = txns_.try_emplace(key);
  Txn& txn = it->second;
  if (txn.completion) {  // fenced: a zombie's late send stays an operation of its own
    if (txn.fenced) fenced_[*txn.fenced].sends.emplace_back(p->second.value, p->second.id);
    txn_of_send_[{std::string(v.client_id), v.op}] = TxnSend{std::move(key), 0, true};
    return;
  }
  // The send's op.invoke came just before: the send becomes a micro-operation of its
  // transaction's operation, invoked with its first send.
  SIM_ASSERT(!history_.ops.empty() && history_.ops.back().id == p->second.id && history_.ops.back().type == OpType::invoke,
             "producer.txn_send follows its send's op.invoke");
  history_.ops.pop_back();
  if (fresh) {
    Op invoke;
    invoke.index = static_cast<int64_t>(history_.ops.size());
    invoke.id = p->second.id;
    invoke.process = std::string(v.client_id);
    invoke.f = "txn";
    invoke.time_ns = e.time.ns;
    txn.id = invoke.id;
    txn.invoke = history_.ops.size();
    history_.ops.push_back(std::move(invoke));
    open_by_producer_id_[v.producer_id] = key;
  } else {
    --next_id_;  // the send's own id goes unused
  }
  const Send send{p->second.topic, p->second.value, std::nullopt};
  history_.ops[txn.invoke].sends.push_back(send);
  txn.sends.push_back(send);
  txn_of_send_[{std::string(v.client_id), v.op}] = TxnSend{std::move(key), txn.sends.size() - 1, false};
}

void HistorySink::txn_send_completed(const sim::Event& e, const TxnSend& s, const Pending& p, OpType type, int64_t partition,
                                     int64_t offset) {
  Txn& txn = txns_[s.txn];
  // A send may complete after its transaction did (a zombie's, acknowledged after the fence):
  // where it landed still goes into the completion, for the checks that find its record.
  Send* completed = txn.completion ? &history_.ops[*txn.completion].sends[s.position] : nullptr;
  for (Send* send : {&txn.sends[s.position], completed}) {
    if (!send) continue;
    if (partition >= 0) send->key = partition_key(p.topic, partition);
    if (type == OpType::ok && offset >= 0) send->offset = offset;
  }
  if (type == OpType::ok && !txn.completion) txn.acknowledged_ns[p.value] = e.time.ns;
}

void HistorySink::complete_txn(Txn& txn, const std::string& process, OpType outcome, History::TxnOutcome how) {
  Op out;
  out.index = static_cast<int64_t>(history_.ops.size());
  out.id = txn.id;
  out.process = process;
  out.f = "txn";
  out.type = outcome;
  out.time_ns = how.time_ns;
  out.sends = txn.sends;
  how.acknowledged_ns = txn.acknowledged_ns;
  history_.txn_outcomes[out.index] = std::move(how);
  txn.completion = history_.ops.size();
  history_.ops.push_back(std::move(out));
}

void HistorySink::txn_end(const sim::Event& e, const ev::ProducerTxnEnd::View& v) {
  const TxnKey key{std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn};
  auto it = txns_.find(key);
  if (it == txns_.end()) return;  // nothing was sent in it
  if (auto open = open_by_producer_id_.find(v.producer_id); open != open_by_producer_id_.end() && open->second == key)
    open_by_producer_id_.erase(open);
  if (it->second.completion) return;  // fenced: the coordinator aborted it, whatever the client saw
  // A fatal error with the transaction open (fenced, say) leaves the outcome to others: the
  // coordinator aborts it, unless its commit was already being written.
  const OpType outcome = v.outcome == "committed" ? OpType::ok : v.outcome == "aborted" ? OpType::fail : OpType::info;
  complete_txn(it->second, std::string(v.client_id), outcome,
               {e.time.ns,
                fmt::format("{} ended its transaction ({}, number {}) at {}: {}", v.client_id, v.transactional_id, v.txn,
                            format_time(e.time.ns), v.outcome),
                {}});
}

void HistorySink::txn_fence(const sim::Event& e, const ev::TxnFence::View& v) {
  // The coordinator found the id's transaction Ongoing and aborts it at the bumped epoch: the
  // client's open transaction of that producer id at an older epoch, if it sent anything.
  auto open = open_by_producer_id_.find(v.producer_id);
  if (open == open_by_producer_id_.end() || std::get<2>(open->second) >= v.producer_epoch) return;
  Txn& txn = txns_[open->second];
  const auto& [client, producer_id, epoch, number] = open->second;
  txn.fenced = fenced_.size();
  FencedTxn fenced{std::string(v.transactional_id), client, producer_id, epoch, number, v.producer_epoch, e.time.ns,
                   std::string(v.reason), {}};
  for (const Send& s : txn.sends) fenced.sends.emplace_back(s.value, txn.id);
  fenced_.push_back(std::move(fenced));
  History::TxnOutcome how{e.time.ns,
                          fmt::format("The transaction coordinator on {} fenced {}'s open transaction ({}, number {}) at {} ({}) and aborts it",
                                      e.node_name, client, v.transactional_id, number, format_time(e.time.ns), v.reason),
                          {}};
  const std::string process = client;
  open_by_producer_id_.erase(open);
  complete_txn(txn, process, OpType::fail, std::move(how));
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
