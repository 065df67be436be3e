#include "sim/check/history_sink.hpp"

#include <charconv>

#include "sim/check/event_fields.hpp"

namespace check {

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

void HistorySink::write(const sim::Event& e) {
  if (e.kind == "consumer.revoked" || e.kind == "consumer.lost" || e.kind == "consumer.assigned") {
    const EventFields f(e);
    const bool assigned = e.kind == "consumer.assigned";
    auto keys = split_list(f.text(assigned ? "added" : "partitions"));
    if (!keys.empty()) rebalances_[std::string(f.text("member"))].push_back(Rebalance{assigned ? "assigned" : "revoked", std::move(keys)});
    return;
  }
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
    Pending p{out.id, std::string(f.text("topic")), std::string(f.text("value")), {}, split_list(f.text("keys"))};
    // A send's partition (and so its key) is only known when it completes.
    if (out.f == "send") out.sends.push_back(Send{p.topic, p.value, std::nullopt});
    out.keys = p.keys;
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
  } else if (out.f == "poll") {
    out.polls = std::move(p.polls);
    auto r = rebalances_.find(process);
    if (r != rebalances_.end()) {
      out.rebalance_log = std::move(r->second);
      rebalances_.erase(r);
    }
  } else {
    out.keys = std::move(p.keys);
  }
  history_.ops.push_back(std::move(out));
}

void GroupSink::write(const sim::Event& e) {
  if (e.kind.substr(0, 9) != "consumer.") return;
  const EventFields f(e);
  const std::string member(f.text("member"));
  const std::string group(f.text("group"));
  if (!member.empty() && !group.empty()) member_groups_.try_emplace(member, group);
  if (e.kind == "consumer.processed") {
    processed_.push_back(ProcessedRecord{group, member, partition_key(f.text("topic"), f.integer("partition")), f.integer("offset"),
                                         std::string(f.text("key")), std::string(f.text("value")), e.time.ns});
  } else if (e.kind == "consumer.reset" || e.kind == "consumer.seek" || e.kind == "consumer.position") {
    (e.kind == "consumer.position" ? resumes_ : jumps_)
        .push_back(PositionJump{group, member, partition_key(f.text("topic"), f.integer("partition")), f.integer("offset"), e.time.ns});
  } else if (e.kind == "consumer.commit") {
    CommitRecord c{group, member, e.time.ns, {}, std::string(f.text("why")), f.text("error") == "NONE"};
    // "orders-0:57,orders-1:33" (topic names have no ':' in Kafka). A commit that failed before it
    // was sent carries only a count, no list.
    for (const std::string& item : split_list(f.text("offsets"))) {
      const size_t colon = item.rfind(':');
      int64_t offset = -1;
      if (colon != std::string::npos &&
          std::from_chars(item.data() + colon + 1, item.data() + item.size(), offset).ec == std::errc())
        c.offsets.emplace_back(item.substr(0, colon), offset);
    }
    commits_.push_back(std::move(c));
  }
}

}  // namespace check
