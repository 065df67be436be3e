#include "sim/check/history_sink.hpp"

namespace check {

namespace {
struct Fields {
  explicit Fields(const sim::Event& e) : e_(e) {}
  std::string_view text(std::string_view key) const {
    for (const auto& f : e_.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::text) return f.value.text();
    return {};
  }
  int64_t integer(std::string_view key, int64_t fallback = -1) const {
    for (const auto& f : e_.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::integer) return f.value.integer();
    return fallback;
  }

 private:
  const sim::Event& e_;
};

std::string key_of(std::string_view topic, int64_t partition) { return std::string(topic) + "-" + std::to_string(partition); }
}  // namespace

void HistorySink::write(const sim::Event& e) {
  if (e.kind.size() < 3 || e.kind.compare(0, 3, "op.") != 0) return;
  const Fields f(e);
  const std::string process(f.text("process"));
  const int64_t op = f.integer("op");
  if (e.kind == "op.poll_record") {
    auto it = pending_.find({process, op});
    if (it == pending_.end()) return;
    it->second.polls[key_of(f.text("topic"), f.integer("partition"))].push_back({f.integer("offset"), std::string(f.text("value"))});
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
    s.key = partition >= 0 ? key_of(p.topic, partition) : p.topic;
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
  const Fields f(e);
  processed_.push_back(ProcessedRecord{std::string(f.text("group")), std::string(f.text("member")),
                                       key_of(f.text("topic"), f.integer("partition")), f.integer("offset"),
                                       std::string(f.text("key")), std::string(f.text("value"))});
}

}  // namespace check
