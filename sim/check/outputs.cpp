#include "sim/check/outputs.hpp"

#include <charconv>

#include <fmt/format.h>

#include "sim/check/event_fields.hpp"

namespace check {

namespace ev = kafka::event;

std::string TxnOutcome::label() const {
  return fmt::format("{} #{} (producer {}, epoch {})", transactional_id.empty() ? client_id : transactional_id, txn, producer_id,
                     producer_epoch);
}

class OutputSink::Reader {
 public:
  Reader(OutputSink& s, const sim::Event& e) : s_(s), e_(e) {}
  void operator()(const ev::ListenerSend::View& v) {
    const auto it = s_.out_.sends.find({std::string(v.producer), v.op});
    if (it == s_.out_.sends.end()) return;  // its op.invoke comes first; a trace cut between them
    const std::string member(v.member);
    s_.out_.handler_sends.push_back(
        HandlerSend{member, s_.lives_.of(member), v.invocation, partition_key(v.topic, v.partition), v.offset, e_.time.ns, &it->second});
  }
  void operator()(const ev::ConsumerStart::View& v) { s_.lives_.started(v.member); }
  void operator()(const ev::OpInvoke::View& v) {
    if (v.f != "send") return;
    // Operation numbers are unique within a process name, across its restarts.
    auto [it, fresh] = s_.out_.sends.try_emplace({std::string(v.process), v.op});
    if (!fresh) return;
    SendOutcome& s = it->second;
    s.process = std::string(v.process);
    s.op = v.op;
    s.topic = std::string(v.topic);
    s.value = std::string(v.value);
    s.invoked_ns = e_.time.ns;
  }
  void operator()(const ev::OpOk::View& v) { s_.complete(e_, "ok", v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::OpFail::View& v) { s_.complete(e_, "fail", v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::OpInfo::View& v) { s_.complete(e_, "info", v.process, v.op, v.f, v.partition, v.offset); }
  void operator()(const ev::ProducerTxnSend::View& v) {
    TxnOutcome& t = s_.out_.txns[{std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn}];
    if (t.txn == 0) {
      t = TxnOutcome{std::string(v.client_id), std::string(v.transactional_id), v.producer_id, v.producer_epoch, v.txn, {}, -1, {}, -1};
      s_.undecided_[{t.transactional_id, t.producer_id}].push_back(&t);
    }
    const auto it = s_.out_.sends.find({std::string(v.client_id), v.op});
    if (it != s_.out_.sends.end()) it->second.txn = &t;
  }
  void operator()(const ev::ProducerTxnEnd::View& v) {
    const auto it = s_.out_.txns.find({std::string(v.client_id), v.producer_id, v.producer_epoch, v.txn});
    if (it == s_.out_.txns.end()) return;  // nothing was sent in it
    it->second.outcome = std::string(v.outcome);
    it->second.end_ns = e_.time.ns;
  }
  void operator()(const ev::TxnStateChange::View& v) {
    if (v.to != "PrepareCommit" && v.to != "PrepareAbort") return;
    const auto it = s_.undecided_.find({std::string(v.transactional_id), v.producer_id});
    if (it == s_.undecided_.end()) return;
    for (TxnOutcome* t : it->second) {
      t->decided = v.to == "PrepareCommit" ? "committed" : "aborted";
      t->decided_ns = e_.time.ns;
    }
    s_.undecided_.erase(it);
  }
  void operator()(const ev::ListenerRecovered::View& v) {
    s_.out_.recovered.push_back(RecoveredInput{std::string(v.group), partition_key(v.topic, v.partition), v.offset});
  }
  void operator()(const ev::GroupTxnOffsets::View& v) {
    if (v.state != "committed") return;
    TxnOffsetCommit c{std::string(v.group), v.producer_id, e_.time.ns, {}};
    // "orders-0=42,orders-1=7"
    std::string_view list = v.offsets;
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      const size_t eq = item.rfind('=');
      int64_t offset = -1;
      if (eq != std::string_view::npos && std::from_chars(item.data() + eq + 1, item.data() + item.size(), offset).ec == std::errc())
        c.offsets.emplace_back(std::string(item.substr(0, eq)), offset);
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
    s_.out_.txn_offsets.push_back(std::move(c));
  }

 private:
  OutputSink& s_;
  const sim::Event& e_;
};

void OutputSink::write(const sim::Event& e) { Reads::visit(e, Reader(*this, e)); }

void OutputSink::complete(const sim::Event& e, const char* result, std::string_view process, int64_t op, std::string_view f,
                          int64_t partition, int64_t offset) {
  if (f != "send") return;
  const auto it = out_.sends.find({std::string(process), op});
  if (it == out_.sends.end()) return;
  SendOutcome& s = it->second;
  s.result = result;
  s.completed_ns = e.time.ns;
  if (partition >= 0) s.partition = partition_key(s.topic, partition);
  s.offset = offset;
}

}  // namespace check
