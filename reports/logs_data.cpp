#include "reports/logs_data.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace report {

namespace {

using namespace sim::event;
using namespace kafka::event;

// The kinds the view reads about a replica: their node is the broker.
using ReplicaReads = sim::schema::Reads<LogAppend, LogTruncate, LogRecover, ReplicaLeader, ReplicaFollower, ReplicaIsr, ReplicaHw, ReplicaLso>;
// And the others.
using OtherReads = sim::schema::Reads<ConsumerCommit, OpInvoke, OpOk, OpFail, OpInfo, ProducerInitProducerId, NodeCrash, NodeStopped, NodeRestart>;

// A broker's id from its node's name ("broker-2" -> 2); -1 for a node without a number.
int64_t broker_id(std::string_view node) {
  size_t i = node.size();
  while (i > 0 && std::isdigit(static_cast<unsigned char>(node[i - 1]))) --i;
  int64_t id = -1;
  if (i == node.size() || std::from_chars(node.data() + i, node.data() + node.size(), id).ec != std::errc()) return -1;
  return id;
}

int64_t to_int(std::string_view s) {
  int64_t v = -1;
  if (std::from_chars(s.data(), s.data() + s.size(), v).ec != std::errc()) return -1;
  return v;
}

nlohmann::ordered_json change_json(const LogsData::Change& c, size_t numbers) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array({c.t, std::string(1, c.kind), c.who});
  for (size_t i = 0; i < numbers; ++i) a.push_back(c.n[i]);
  if (c.kind == 'L' || c.kind == 'I') a.push_back(c.text);
  return a;
}

// The acknowledged records no replica holds at the end (none has a batch of their leader epoch
// at their offset); the first kLostShown of them into `shown`, as [offset, epoch, producer id].
int64_t count_lost(const LogsData::Partition& p, nlohmann::ordered_json* shown) {
  int64_t lost = 0;
  for (const LogsData::AckRun& run : p.acked) {
    for (int64_t o = run.from; o < run.to; ++o) {
      const bool held = std::any_of(p.logs.begin(), p.logs.end(), [&](const auto& log) { return log.second.holds(o, run.epoch); });
      if (held) continue;
      if (shown && lost < static_cast<int64_t>(LogsData::kLostShown)) shown->push_back({o, run.epoch, run.pid});
      ++lost;
    }
  }
  return lost;
}

size_t numbers_of(char kind) {
  switch (kind) {
    case 'a': return 5;
    case 'L': return 3;
    case 'F': return 4;
    case 't': case 'r': case 's': return 2;
    default: return 1;  // I, h, c
  }
}

}  // namespace

void LogsData::write(const sim::Event& e) {
  now_ = e.time.ns;
  node_ = e.node_name;
  if (ReplicaReads::visit(e, [&](const auto& v) { handle(broker_id(e.node_name), v); })) return;
  OtherReads::visit(e, [&]<typename V>(const V& v) {
    if constexpr (std::is_same_v<V, NodeCrash::View> || std::is_same_v<V, NodeStopped::View>) node_down(v.node, true);
    else if constexpr (std::is_same_v<V, NodeRestart::View>) node_down(v.node, false);
    else if constexpr (std::is_same_v<V, OpFail::View> || std::is_same_v<V, OpInfo::View>) {
      if (auto it = sends_.find(v.process); it != sends_.end()) it->second.erase(v.op);
    } else handle(v);
  });
}

void LogsData::node_down(std::string_view node, bool down) {
  const int64_t b = broker_id(node);
  if (b < 0 || !node.starts_with("broker")) return;
  down_.push_back({now_, b, down ? 1 : 0});
  for (auto& [key, p] : partitions_) flush(p, now_);  // its folded appends end where it went down
}

LogsData::Partition* LogsData::find(std::string_view topic, int64_t p) {
  if (last_ && last_->partition == p && last_->topic == topic) return last_;
  auto it = partitions_.find(std::pair<std::string_view, int64_t>(topic, p));
  if (it == partitions_.end()) return nullptr;
  return last_ = &it->second;
}

LogsData::Partition& LogsData::partition(std::string_view topic, int64_t p) {
  if (Partition* found = find(topic, p)) return *found;
  auto [it, _] = partitions_.try_emplace({std::string(topic), p});
  it->second.topic = std::string(topic);
  it->second.partition = p;
  return *(last_ = &it->second);
}

void LogsData::handle(int64_t broker, const LogAppend::View& v) {
  Partition& p = partition(v.topic, v.partition);
  p.appended = true;
  p.logs[broker].append(v.base_offset, v.count, v.leader_epoch);
  if (v.role == "leader") p.leader_writes.append(v.base_offset, v.count, v.leader_epoch, v.producer_id);
  add(p, {now_, 'a', broker, {v.base_offset, v.count, v.leader_epoch, v.producer_id, v.leo}}, Fold::append);
}

void LogsData::handle(int64_t broker, const LogTruncate::View& v) {
  Partition& p = partition(v.topic, v.partition);
  p.logs[broker].truncate(v.to);
  add(p, {now_, 't', broker, {v.to, v.from_leo}}, Fold::none);
  if (p.changes.size() >= kChangesInFull) p.detail_left = kDetailAfterTruncate;
}

void LogsData::handle(int64_t broker, const LogRecover::View& v) {
  Partition& p = partition(v.topic, v.partition);
  p.logs[broker].truncate(v.leo);
  add(p, {now_, 'r', broker, {v.leo, v.hw}}, Fold::none);
}

void LogsData::handle(int64_t broker, const ReplicaLeader::View& v) {
  add(partition(v.topic, v.partition), {now_, 'L', broker, {v.leader_epoch, v.leo, v.hw}, std::string(v.isr)}, Fold::none);
}

void LogsData::handle(int64_t broker, const ReplicaFollower::View& v) {
  add(partition(v.topic, v.partition), {now_, 'F', broker, {v.leader, v.leader_epoch, v.leo, v.hw}}, Fold::none);
}

void LogsData::handle(int64_t broker, const ReplicaIsr::View& v) {
  add(partition(v.topic, v.partition), {now_, 'I', broker, {v.leader_epoch}, std::string(v.isr)}, Fold::none);
}

void LogsData::handle(int64_t broker, const ReplicaHw::View& v) {
  add(partition(v.topic, v.partition), {now_, 'h', broker, {v.hw}}, Fold::hw);
}

void LogsData::handle(int64_t broker, const ReplicaLso::View& v) {
  add(partition(v.topic, v.partition), {now_, 's', broker, {v.lso, v.first_unstable_offset}}, Fold::none);
}

// "orders-0:57,orders-1:33": each partition's committed offset (a failed commit has a count
// or an error instead, and commits nothing).
void LogsData::handle(const ConsumerCommit::View& v) {
  if (v.error != "NONE" || v.offsets.type() != sim::Value::Type::text) return;
  auto g = std::find(groups_.begin(), groups_.end(), v.group);
  const int64_t group = g - groups_.begin();
  if (g == groups_.end()) groups_.emplace_back(v.group);
  std::string_view rest = v.offsets.text();
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const size_t colon = item.rfind(':'), dash = item.rfind('-', colon);
    if (colon == std::string_view::npos || dash == std::string_view::npos) continue;
    if (Partition* p = find(item.substr(0, dash), to_int(item.substr(dash + 1, colon - dash - 1))))
      add(*p, {now_, 'c', group, {to_int(item.substr(colon + 1))}}, Fold::commit);
  }
}

void LogsData::handle(const OpInvoke::View& v) {
  if (v.f != "send") return;
  auto it = sends_.find(v.process);
  if (it == sends_.end()) it = sends_.emplace(std::string(v.process), std::unordered_map<int64_t, std::string>{}).first;
  it->second[v.op] = std::string(v.topic);
}

// An acknowledged send: its record is the one a leader last wrote at its offset.
void LogsData::handle(const OpOk::View& v) {
  if (v.f != "send") return;
  auto it = sends_.find(v.process);
  if (it == sends_.end()) return;
  auto op = it->second.find(v.op);
  if (op == it->second.end()) return;
  Partition* p = v.partition >= 0 && v.offset >= 0 ? find(op->second, v.partition) : nullptr;
  it->second.erase(op);
  if (!p) return;
  const EpochLog::Run* b = p->leader_writes.holding(v.offset);
  if (!b) return;
  if (!p->acked.empty()) {
    AckRun& last = p->acked.back();
    if (last.to == v.offset && last.epoch == b->epoch && last.pid == b->pid) {
      ++last.to;
      return;
    }
  }
  p->acked.push_back({v.offset, v.offset + 1, b->epoch, b->pid});
}

void LogsData::handle(const ProducerInitProducerId::View& v) { producers_[v.producer_id] = std::string(node_); }

// A change: kept as it is while the partition has few, else folded into the replica's (or
// group's) pending one when it extends it within the same window. A folded change is dated at
// its window's end, and any other change ends the folds first (dating them at its own time), so
// every replica's state is whole at every time the block holds a change for.
void LogsData::add(Partition& p, Change c, Fold fold) {
  if (fold == Fold::none || p.changes.size() < kChangesInFull || p.detail_left > 0) {
    flush(p, now_);
    return push(p, std::move(c));
  }
  auto& pending = fold == Fold::append ? p.pending_append : fold == Fold::hw ? p.pending_hw : p.pending_commit;
  auto it = pending.find(c.who);
  c.first_t = c.t;
  if (it == pending.end()) return void(pending.emplace(c.who, std::move(c)));
  Change& prev = it->second;
  const bool joins = c.t / kFoldWindowNs == prev.first_t / kFoldWindowNs &&
                     (fold != Fold::append || (prev.n[0] + prev.n[1] == c.n[0] && prev.n[2] == c.n[2] && prev.n[3] == c.n[3]));
  if (!joins) {
    // Ended by the next window, dated at its own window's end; ended within its window (by a
    // batch that does not continue it), dated now, so it stays before whatever follows.
    const bool same_window = c.t / kFoldWindowNs == prev.first_t / kFoldWindowNs;
    prev.t = same_window ? c.t : window_end(prev.first_t);
    push(p, std::move(prev));
    prev = std::move(c);
    return;
  }
  ++p.folded;
  if (fold == Fold::append) {
    prev.n[1] += c.n[1];
    prev.n[4] = c.n[4];
  } else {
    prev.n = c.n;
  }
  prev.t = c.t;
}

void LogsData::push(Partition& p, Change c) {
  if (p.changes.size() >= kChangesMax) {
    if (p.dropped++ == 0) p.dropped_from_ns = c.t;
    return;
  }
  if (p.detail_left > 0) --p.detail_left;
  p.changes.push_back(std::move(c));
}

void LogsData::flush(Partition& p, int64_t at) {
  for (auto* pending : {&p.pending_append, &p.pending_hw, &p.pending_commit}) {
    for (auto& [who, c] : *pending) {
      c.t = at;
      push(p, std::move(c));
    }
    pending->clear();
  }
}

nlohmann::ordered_json LogsData::json(int64_t end_ns) const {
  nlohmann::ordered_json j;
  j["groups"] = groups_;
  auto& producers = j["producers"] = nlohmann::ordered_json::array();
  for (const auto& [id, name] : producers_) producers.push_back({{"id", id}, {"name", name}});
  auto& down = j["down"] = nlohmann::ordered_json::array();
  for (const auto& d : down_) down.push_back(d);
  // The run's own topics first, then the internal ones (__consumer_offsets, ...).
  std::vector<const Partition*> order;
  for (const auto& [key, p] : partitions_)
    if (p.appended) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(), [](const Partition* a, const Partition* b) {
    return !a->topic.starts_with("__") && b->topic.starts_with("__");
  });
  auto& parts = j["partitions"] = nlohmann::ordered_json::array();
  for (const Partition* p : order) {
    std::vector<Change> changes = p->changes;
    // (Folds still open are the last window's: past the block's end when it left changes out.)
    for (const auto* pending : {&p->pending_append, &p->pending_hw, &p->pending_commit})
      for (const auto& [who, c] : *pending) {
        if (p->dropped > 0) break;
        changes.push_back(c);
        changes.back().t = std::min(window_end(c.first_t), end_ns);
      }
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.t < b.t; });
    nlohmann::ordered_json part{{"topic", p->topic}, {"partition", p->partition}, {"name", fmt::format("{}-{}", p->topic, p->partition)}};
    auto& list = part["changes"] = nlohmann::ordered_json::array();
    for (const Change& c : changes) list.push_back(change_json(c, numbers_of(c.kind)));
    auto& lost = part["lost"] = nlohmann::ordered_json::array();
    int64_t acked = 0;
    for (const AckRun& run : p->acked) acked += run.to - run.from;
    const int64_t lost_count = count_lost(*p, &lost);
    part["acknowledged"] = acked;
    part["lost_count"] = lost_count;
    if (p->dropped > 0) part["complete_until_ns"] = p->dropped_from_ns;
    parts.push_back(std::move(part));
  }
  return j;
}

void LogsData::summarised(std::vector<std::string>& out) const {
  for (const auto& [key, p] : partitions_) {
    if (!p.appended) continue;
    const std::string name = fmt::format("{}-{}", p.topic, p.partition);
    size_t folded = p.folded;
    if (folded > 0)
      out.push_back(fmt::format("replica logs, {}: after its first {} changes, a replica's appends and HW moves and a group's commits "
                                "in each {} ms are shown as one change at its end ({} changes folded)",
                                name, kChangesInFull, kFoldWindowNs / 1'000'000, folded));
    if (p.dropped > 0)
      out.push_back(fmt::format("replica logs, {}: {} changes beyond the first {} are left out: the view shows it as it was at {} ms",
                                name, p.dropped, kChangesMax, p.dropped_from_ns / 1'000'000));
    const int64_t lost = count_lost(p, nullptr);
    if (lost > static_cast<int64_t>(kLostShown))
      out.push_back(fmt::format("replica logs, {}: the first {} lost acknowledged records are marked", name, kLostShown));
  }
}

}  // namespace report
