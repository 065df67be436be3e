#include "broker_model/group/group_state.hpp"

#include <sstream>

#include <fmt/format.h>

namespace kafka {

std::string_view to_string(GroupPhase p) {
  switch (p) {
    case GroupPhase::empty: return "Empty";
    case GroupPhase::preparing_rebalance: return "PreparingRebalance";
    case GroupPhase::completing_rebalance: return "CompletingRebalance";
    case GroupPhase::stable: return "Stable";
    case GroupPhase::dead: return "Dead";
  }
  return "?";
}

std::string Group::static_member_id(const std::string& instance_id) const {
  for (const auto& [member_id, m] : members)
    if (m.instance_id == instance_id) return member_id;
  return {};
}

Error Group::validate_member(const std::string& member_id, const std::optional<std::string>& instance_id) const {
  if (instance_id) {
    const std::string existing = static_member_id(*instance_id);
    if (existing.empty()) return Error::UNKNOWN_MEMBER_ID;
    if (existing != member_id) return Error::FENCED_INSTANCE_ID;
  }
  return members.count(member_id) ? Error::NONE : Error::UNKNOWN_MEMBER_ID;
}

bool Group::supports_protocols(const std::vector<std::string>& candidate) const {
  if (phase == GroupPhase::empty) return !candidate.empty();
  for (const std::string& p : candidate) {
    const bool everyone = std::all_of(members.begin(), members.end(), [&](const auto& kv) {
      const auto& theirs = kv.second.protocols;
      return std::find(theirs.begin(), theirs.end(), p) != theirs.end();
    });
    if (everyone) return true;
  }
  return false;
}

namespace {
// Fields are separated by a control character no topic or group name contains.
constexpr char kSep = '\x1f';
constexpr char kItem = '\x1e';

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::string join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(sep);
    out += parts[i];
  }
  return out;
}
}  // namespace

Record offset_record(const std::string& group, const TopicPartition& tp, const CommittedOffset& o) {
  Record r;
  r.key = join({"offset", group, tp.topic, std::to_string(tp.partition)}, kSep);
  r.value = join({std::to_string(o.offset), std::to_string(o.leader_epoch)}, kSep);
  r.value_bytes = 24;
  return r;
}

Record group_record(const Group& g) {
  Record r;
  r.key = join({"group", g.id}, kSep);
  std::vector<std::string> parts = {std::to_string(g.generation), g.protocol, g.leader};
  for (const auto& [id, m] : g.members) {
    std::vector<std::string> tps;
    for (const auto& tp : m.assignment) tps.push_back(tp.topic + ":" + std::to_string(tp.partition));
    parts.push_back(join({id, m.instance_id.value_or(""), std::to_string(m.session_timeout_ms),
                          std::to_string(m.rebalance_timeout_ms), join(tps, ',')},
                         kItem));
  }
  r.value = join(parts, kSep);
  r.value_bytes = static_cast<uint32_t>(r.value.size());
  return r;
}

void apply_offsets_record(const Record& r, std::map<std::string, Group>& groups, int32_t partition, sim::Time now) {
  const auto key = split(r.key, kSep);
  if (key.size() == 4 && key[0] == "offset") {
    const auto value = split(r.value, kSep);
    Group& g = groups[key[1]];
    g.id = key[1];
    g.offsets_partition = partition;
    g.offsets[{key[2], std::stoi(key[3])}] = CommittedOffset{std::stoll(value.at(0)), std::stoi(value.at(1))};
    return;
  }
  if (key.size() == 2 && key[0] == "group") {
    const auto parts = split(r.value, kSep);
    Group& g = groups[key[1]];
    g.id = key[1];
    g.offsets_partition = partition;
    g.generation = std::stoi(parts.at(0));
    g.protocol = parts.at(1);
    g.leader = parts.at(2);
    g.members.clear();
    g.join_order.clear();
    for (size_t i = 3; i < parts.size(); ++i) {
      const auto f = split(parts[i], kItem);
      GroupMember m;
      m.id = f.at(0);
      if (!f.at(1).empty()) m.instance_id = f.at(1);
      m.session_timeout_ms = std::stoi(f.at(2));
      m.rebalance_timeout_ms = std::stoi(f.at(3));
      if (!f.at(4).empty()) {
        for (const std::string& tp : split(f.at(4), ',')) {
          const size_t colon = tp.rfind(':');
          m.assignment.push_back({tp.substr(0, colon), std::stoi(tp.substr(colon + 1))});
        }
      }
      m.last_heartbeat = now;  // a loaded member gets a fresh session
      // The record keeps only the chosen protocol (ClassicGroup.fromRecord): it is all a loaded
      // member is known to support until it joins again.
      if (!g.protocol.empty()) m.protocols = {g.protocol};
      g.join_order.push_back(m.id);
      g.members[m.id] = std::move(m);
    }
    g.phase = g.members.empty() ? GroupPhase::empty : GroupPhase::stable;
  }
}

}  // namespace kafka
