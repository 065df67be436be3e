#include "reports/groups_data.hpp"

#include <fmt/format.h>

namespace report {

namespace {

using namespace sim::event;
using namespace kafka::event;
using Json = nlohmann::ordered_json;

using Reads = sim::schema::Reads<ConsumerStart, ConsumerClose, ConsumerCrashPoint, ConsumerPollTimeout, ConsumerAssigned, ConsumerRevoked,
                                 ConsumerLost, ConsumerCommit, ConsumerLag, GroupState, GroupMemberRemoved, NodeCrash>;

// "orders-0,orders-1" as a set (empty text: none).
std::set<std::string> partition_set(std::string_view list) {
  std::set<std::string> out;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view one = list.substr(0, comma);
    if (!one.empty()) out.emplace(one);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

std::string joined(const std::set<std::string>& partitions) {
  std::string out;
  for (const auto& p : partitions) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string id_key(std::string_view group, std::string_view member_id) { return fmt::format("{}\x1f{}", group, member_id); }

}  // namespace

void GroupsData::write(const sim::Event& e) {
  now_ = e.time.ns;
  Reads::visit(e, [&](const auto& v) { handle(v); });
}

bool GroupsData::room(Group& g, size_t& count) {
  if (count >= cap_) {
    ++g.left_out;
    return false;
  }
  ++count;
  return true;
}

void GroupsData::handle(const ConsumerStart::View& v) {
  group_of_member_[std::string(v.member)] = std::string(v.group);
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  if (!m.life.empty() && m.life.back().second < 0) m.life.back().second = now_;  // restarted without an end we saw
  m.life.emplace_back(now_, -1);
  m.generation = -1;
  mark(g, m, "start", std::string(v.detail));
}

void GroupsData::handle(const ConsumerClose::View& v) {
  Group& g = groups_[std::string(v.group)];
  stopped(g, g.members[std::string(v.member)], "close", std::string(v.detail));
}

// The application reached its crash point: its process crashes next (node.crash), and what it
// held is consumed by nobody until reassigned, as for any crash.
void GroupsData::handle(const ConsumerCrashPoint::View& v) {
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  give_up(g, m, m.held, "crash");
  stopped(g, m, "crash", std::string(v.detail));
}

// The member left the group (a dynamic member) but its process goes on: its partitions are
// lost to it at its next poll (consumer.lost), so only a mark here.
void GroupsData::handle(const ConsumerPollTimeout::View& v) {
  Group& g = groups_[std::string(v.group)];
  mark(g, g.members[std::string(v.member)], "poll-timeout", std::string(v.detail));
}

// A consumer's process crashed: whatever it held is consumed by nobody until reassigned.
void GroupsData::handle(const NodeCrash::View& v) {
  auto it = group_of_member_.find(std::string(v.node));
  if (it == group_of_member_.end()) return;
  Group& g = groups_[it->second];
  Member& m = g.members[it->first];
  if (m.life.empty() || m.life.back().second >= 0) return;  // not running (its crash point already ended it)
  give_up(g, m, m.held, "crash");
  stopped(g, m, "crash", "its process crashed");
}

void GroupsData::stopped(Group& g, Member& m, const char* kind, std::string detail) {
  hold(g, m, {});
  if (!m.life.empty() && m.life.back().second < 0) m.life.back().second = now_;
  mark(g, m, kind, std::move(detail));
}

void GroupsData::handle(const ConsumerAssigned::View& v) {
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  member_of_id_[id_key(v.group, v.member_id)] = std::string(v.member);
  m.generation = v.generation;
  hold(g, m, partition_set(v.partitions));
  reassigned(g, partition_set(v.added));
}

void GroupsData::handle(const ConsumerRevoked::View& v) {
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  const auto revoked = partition_set(v.partitions);
  give_up(g, m, revoked, "revoked");
  std::set<std::string> held = m.held;
  for (const auto& p : revoked) held.erase(p);
  if (held != m.held) hold(g, m, std::move(held));
}

void GroupsData::handle(const ConsumerLost::View& v) {
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  const auto lost = partition_set(v.partitions);
  give_up(g, m, lost, "lost");
  std::set<std::string> held = m.held;
  for (const auto& p : lost) held.erase(p);
  if (held != m.held) hold(g, m, std::move(held));
}

void GroupsData::hold(Group& g, Member& m, std::set<std::string> held) {
  if (held == m.held && !m.segments.empty() && m.segments.back().end_ns < 0 && m.segments.back().generation == m.generation) return;
  if (!m.segments.empty() && m.segments.back().end_ns < 0) m.segments.back().end_ns = now_;
  m.held = std::move(held);
  if (m.held.empty() || !room(g, g.segments)) return;
  m.segments.push_back({now_, -1, m.generation, joined(m.held)});
}

void GroupsData::give_up(Group& g, Member& m, const std::set<std::string>& partitions, const char* cause) {
  if (partitions.empty() || !room(g, g.pauses)) return;
  // The protocol says which kind of rebalance this is; before the group named one, a member that
  // gives up all it held is taken for eager.
  std::string kind;
  if (!g.protocol.empty()) kind = g.protocol.find("cooperative") != std::string::npos ? "cooperative" : "eager";
  else kind = partitions == m.held ? "eager" : "cooperative";
  m.pauses.push_back({now_, -1, std::move(kind), cause, joined(partitions), partitions});
}

void GroupsData::reassigned(Group& g, const std::set<std::string>& added) {
  if (added.empty()) return;
  for (auto& [name, m] : g.members) {
    for (auto it = m.pauses.rbegin(); it != m.pauses.rend(); ++it) {
      if (it->end_ns >= 0) continue;
      for (const auto& p : added) it->waiting.erase(p);
      if (it->waiting.empty()) it->end_ns = now_;
    }
  }
}

void GroupsData::handle(const ConsumerCommit::View& v) {
  Group& g = groups_[std::string(v.group)];
  Member& m = g.members[std::string(v.member)];
  const bool ok = v.error == "NONE";
  // Every failed commit is drawn (up to the cap); successful ones until the cap, then counted.
  if (g.commits_drawn < cap_) {
    ++g.commits_drawn;
    std::string detail = v.offsets.type() == sim::Value::Type::text ? std::string(v.offsets.text())
                                                                      : fmt::format("{} offsets", v.offsets.integer());
    if (!ok) detail = fmt::format("{}: {}", v.error, detail);
    m.commits.push_back({now_, ok, v.generation, std::string(v.why), std::move(detail), v.sync});
    return;
  }
  ++g.commits_counted;
  auto& [oks, failed] = m.commit_seconds[now_ / 1'000'000'000];
  ++(ok ? oks : failed);
}

void GroupsData::handle(const ConsumerLag::View& v) {
  Group& g = groups_[std::string(v.group)];
  g.lag[fmt::format("{}-{}", v.topic, v.partition)].add(now_, v.lag);
}

void GroupsData::handle(const GroupState::View& v) {
  Group& g = groups_[std::string(v.group)];
  if (!v.protocol.empty()) g.protocol = std::string(v.protocol);
  if (!g.states.empty() && g.states.back().generation == v.generation && g.states.back().state == v.state) return;
  if (g.states.size() >= cap_) {
    ++g.left_out;
    return;
  }
  g.states.push_back({now_, v.generation, std::string(v.state), std::string(v.reason)});
}

void GroupsData::handle(const GroupMemberRemoved::View& v) {
  auto it = member_of_id_.find(id_key(v.group, v.member_id));
  if (it == member_of_id_.end()) return;  // never assigned: it has no lane
  Group& g = groups_[std::string(v.group)];
  mark(g, g.members[it->second], "removed", fmt::format("{} removed: {}", v.member_id, v.reason));
}

void GroupsData::mark(Group& g, Member& m, const char* kind, std::string detail) {
  if (!room(g, g.marks)) return;
  m.marks.push_back({now_, kind, std::move(detail)});
}

namespace {

Json member_json(const std::string& name, const GroupsData::Member& m, int64_t end_ns) {
  const auto end = [end_ns](int64_t t) { return t < 0 ? end_ns : t; };
  Json life = Json::array(), segments = Json::array(), pauses = Json::array(), commits = Json::array(), seconds = Json::array(),
       marks = Json::array();
  for (const auto& [start, stop] : m.life) life.push_back({{"start_ns", start}, {"end_ns", end(stop)}, {"open", stop < 0}});
  for (const auto& s : m.segments)
    segments.push_back({{"start_ns", s.start_ns}, {"end_ns", end(s.end_ns)}, {"generation", s.generation}, {"partitions", s.partitions}});
  for (const auto& p : m.pauses)
    pauses.push_back({{"start_ns", p.start_ns}, {"end_ns", end(p.end_ns)}, {"open", p.end_ns < 0}, {"kind", p.kind}, {"cause", p.cause},
                      {"partitions", p.partitions}});
  for (const auto& c : m.commits)
    commits.push_back({{"time_ns", c.time_ns}, {"ok", c.ok}, {"generation", c.generation}, {"why", c.why}, {"sync", c.sync}, {"detail", c.detail}});
  for (const auto& [second, n] : m.commit_seconds) seconds.push_back({second, n.first, n.second});
  for (const auto& k : m.marks) marks.push_back({{"time_ns", k.time_ns}, {"kind", k.kind}, {"detail", k.detail}});
  return {{"name", name},         {"life", std::move(life)},       {"segments", std::move(segments)}, {"pauses", std::move(pauses)},
          {"commits", std::move(commits)}, {"commit_seconds", std::move(seconds)}, {"marks", std::move(marks)}};
}

}  // namespace

Json GroupsData::json(int64_t end_ns) const {
  Json groups = Json::array();
  for (const auto& [id, g] : groups_) {
    Json members = Json::array(), states = Json::array(), lag = Json::object();
    for (const auto& [name, m] : g.members) members.push_back(member_json(name, m, end_ns));
    for (const auto& s : g.states)
      states.push_back({{"time_ns", s.time_ns}, {"generation", s.generation}, {"state", s.state}, {"reason", s.reason}});
    for (const auto& [partition, series] : g.lag) lag[partition] = series.json();
    groups.push_back({{"group", id},
                      {"protocol", g.protocol},
                      {"members", std::move(members)},
                      {"states", std::move(states)},
                      {"lag", std::move(lag)},
                      {"commits_counted", g.commits_counted}});
  }
  return {{"groups", std::move(groups)}};
}

void GroupsData::summarised(std::vector<std::string>& out) const {
  for (const auto& [id, g] : groups_) {
    if (g.commits_counted > 0)
      out.push_back(fmt::format("group {}: the first {} commits are drawn one by one, the other {} counted per second", id,
                                g.commits_drawn, g.commits_counted));
    if (g.left_out > 0)
      out.push_back(fmt::format("group {}: {} assignment segments, pauses, marks or states past the first {} of each are left out", id,
                                g.left_out, cap_));
    for (const auto& [partition, series] : g.lag) {
      if (series.width_ns() > 1'000'000'000) {
        out.push_back(fmt::format("group {}: lag is shown as the largest per {} s (at most {} points per partition)", id,
                                  series.width_ns() / 1'000'000'000, 2000));
        break;
      }
    }
  }
}

}  // namespace report
