#include "sim/check/history_sink.hpp"

#include "sim/check/event_fields.hpp"

namespace check {

void HistorySink::write(const sim::Event& e) {
  if (e.kind.size() < 3 || e.kind.compare(0, 3, "op.") != 0) return;
  const EventFields f(e);
  const std::string process(f.text("process"));
  const int64_t op = f.integer("op");
  if (e.kind == "op.poll_record") {
    auto it = pending_.find({process, op});
    if (it == pending_.end()) return;
    it->second.polls[partition_key(f.text("topic"), f.integer("partition"))].push_back({f.integer("offset"), std::string(f.text("value"))});
    return;
  }
  Op out;
  out.index = static_cast<int64_t>(history_.ops.size());
  out.process = process;
  out.f = std::string(f.text("f"));
  out.time_ns = e.time.ns;
  if (e.kind == "op.invoke") {
    out.type = OpType::invoke;
    out.id = next_id_++;
    Pending p{out.id, std::string(f.text("topic")), std::string(f.text("value")), {}};
    // A send's partition (and so its key) is only known when it completes.
    if (out.f == "send") out.sends.push_back(Send{p.topic, p.value, std::nullopt});
    pending_[{process, op}] = std::move(p);
    history_.ops.push_back(std::move(out));
    return;
  }
  auto it = pending_.find({process, op});
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  out.id = p.id;
  out.type = e.kind == "op.ok" ? OpType::ok : e.kind == "op.fail" ? OpType::fail : OpType::info;
  if (out.f == "send") {
    const int64_t partition = f.integer("partition");
    const int64_t offset = f.integer("offset");
    Send s;
    s.key = partition >= 0 ? partition_key(p.topic, partition) : p.topic;
    s.value = p.value;
    if (offset >= 0) s.offset = offset;
    out.sends.push_back(std::move(s));
  } else {
    out.polls = std::move(p.polls);
  }
  history_.ops.push_back(std::move(out));
}

void ProcessedSink::write(const sim::Event& e) {
  if (e.kind != "consumer.processed") return;
  const EventFields f(e);
  processed_.push_back(ProcessedRecord{std::string(f.text("group")), std::string(f.text("member")),
                                       partition_key(f.text("topic"), f.integer("partition")), f.integer("offset"),
                                       std::string(f.text("key")), std::string(f.text("value"))});
}

}  // namespace check
