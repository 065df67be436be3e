#include "reports/fates_data.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"
#include "sim/hash.hpp"

namespace report {

namespace {

using namespace kafka::event;
using Reads = sim::schema::Reads<OpInvoke, OpOk, OpFail, OpInfo, LogAppend, LogTruncate, LogRecover, ReplicaLeader, ConsumerProcessed>;

// What a trace read back (kafkasim report) may claim and the view still indexes by: a larger
// partition number or offset is not one a run of kafkasim writes (its caps are far below).
constexpr int64_t kMaxPartition = 1 << 20;
// The keys and values kept for listing, at most; past it a record is listed without them.
constexpr size_t kMaxText = 64u << 20;
// Records listed: every flagged one up to this many per flag, and this many unflagged.
constexpr size_t kListedPerFlag = 2000;

constexpr std::array<const char*, 5> kFlags = {"lost", "duplicated", "never", "skipped", "reordered"};
enum Flag : uint8_t { kLost = 1, kDuplicated = 2, kNever = 4, kSkipped = 8, kReordered = 16 };

uint64_t hash_of(std::string_view s) { return sim::fnv1a64(s); }


}  // namespace

uint32_t FatesData::partition_index(std::string_view topic, int64_t partition) {
  auto it = partition_ids_.find(topic);
  if (it == partition_ids_.end()) it = partition_ids_.emplace(std::string(topic), std::vector<uint32_t>{}).first;
  auto& ids = it->second;
  const auto p = static_cast<size_t>(std::clamp<int64_t>(partition, 0, kMaxPartition));
  if (p >= ids.size()) ids.resize(p + 1, 0);
  if (ids[p] == 0) {
    partitions_.push_back({fmt::format("{}-{}", topic, partition), std::string(topic), {}, {}, {}});
    acked_by_offset_.emplace_back();
    ids[p] = static_cast<uint32_t>(partitions_.size());
  }
  return ids[p] - 1;
}

uint32_t FatesData::name_index(std::string_view name) {
  auto it = name_ids_.find(name);
  if (it != name_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  name_ids_.emplace(std::string(name), id);
  return id;
}

EpochLog& FatesData::replica(uint32_t partition, std::string_view broker) {
  auto& replicas = partitions_[partition].replicas;
  auto it = replicas.find(broker);
  if (it == replicas.end()) it = replicas.emplace(std::string(broker), EpochLog{}).first;
  return it->second;
}

uint32_t FatesData::keep_text(std::string_view s, uint32_t& len) {
  if (text_.size() + s.size() > kMaxText) {
    len = std::numeric_limits<uint32_t>::max();  // not kept
    return 0;
  }
  const auto at = static_cast<uint32_t>(text_.size());
  text_ += s;
  len = static_cast<uint32_t>(s.size());
  return at;
}

uint32_t FatesData::acked_at(uint32_t partition, int64_t offset, uint64_t value_hash) const {
  const auto& by_offset = acked_by_offset_[partition];
  if (offset < 0 || static_cast<size_t>(offset) >= by_offset.size()) return 0;
  for (uint32_t i = by_offset[offset]; i != 0; i = records_[i - 1].earlier)
    if (records_[i - 1].value_hash == value_hash) return i;
  return 0;
}

void FatesData::write(const sim::Event& e) {
  const int64_t now = e.time.ns;
  Reads::visit(e, [&]<typename V>(const V& v) {
    if constexpr (std::is_same_v<V, OpInvoke::View>) {
      if (v.f != "send") return;
      Pending p{std::string(v.topic), now, 0, 0, 0, 0, hash_of(v.value)};
      p.key_at = keep_text(v.key, p.key_len);
      p.value_at = keep_text(v.value, p.value_len);
      if (p.key_len == std::numeric_limits<uint32_t>::max() || p.value_len == std::numeric_limits<uint32_t>::max()) ++texts_left_out_;
      pending_[op_key(v.process, v.op)] = std::move(p);
    } else if constexpr (std::is_same_v<V, OpOk::View>) {
      if (v.f != "send") return;
      auto it = pending_.find(op_key(v.process, v.op));
      if (it == pending_.end()) return;
      const Pending& p = it->second;
      const uint32_t part = partition_index(p.topic, v.partition);
      Record r{part, name_index(v.process), v.op, v.offset, partitions_[part].leader_view.epoch_at(v.offset), p.sent_ns, now, p.value_hash,
               p.key_at, p.value_at, p.key_len, p.value_len};
      pending_.erase(it);
      if (r.offset < 0 || r.offset > kMaxTrackedOffset) return;  // no offset, or none a log of this run could hold
      auto& by_offset = acked_by_offset_[part];
      if (static_cast<size_t>(r.offset) >= by_offset.size()) by_offset.resize(static_cast<size_t>(r.offset) + 1, 0);
      r.earlier = by_offset[r.offset];
      records_.push_back(r);
      by_offset[r.offset] = static_cast<uint32_t>(records_.size());
    } else if constexpr (std::is_same_v<V, OpFail::View> || std::is_same_v<V, OpInfo::View>) {
      pending_.erase(op_key(v.process, v.op));
    } else if constexpr (std::is_same_v<V, LogAppend::View>) {
      Partition& p = partitions_[partition_index(v.topic, v.partition)];
      replica(partition_index(v.topic, v.partition), e.node_name).append(v.base_offset, v.count, v.leader_epoch);
      if (v.role == "leader") p.leader_view.append(v.base_offset, v.count, v.leader_epoch);
    } else if constexpr (std::is_same_v<V, LogTruncate::View>) {
      replica(partition_index(v.topic, v.partition), e.node_name).truncate(v.to);
    } else if constexpr (std::is_same_v<V, LogRecover::View>) {
      replica(partition_index(v.topic, v.partition), e.node_name).truncate(v.leo);
    } else if constexpr (std::is_same_v<V, ReplicaLeader::View>) {
      partitions_[partition_index(v.topic, v.partition)].last_leader = std::string(e.node_name);
    } else if constexpr (std::is_same_v<V, ConsumerProcessed::View>) {
      const uint32_t part = partition_index(v.topic, v.partition);
      GroupProcessing& g = groups_[std::string(v.group)];
      g.topics[std::string(v.topic)] = true;
      if (g.max_offset.size() < partitions_.size()) g.max_offset.resize(partitions_.size(), -1);
      g.max_offset[part] = std::max(g.max_offset[part], v.offset);
      const uint32_t r = acked_at(part, v.offset, hash_of(v.value));
      if (r == 0) return;  // not an acknowledged record
      if (g.counts.size() < r) g.counts.resize(std::max<size_t>(r, records_.size()), 0);
      if (g.counts[r - 1] < 255) ++g.counts[r - 1];
    }
  });
}

nlohmann::ordered_json FatesData::json(int64_t end_ns) const {
  (void)end_ns;
  using Json = nlohmann::ordered_json;
  std::vector<const GroupProcessing*> groups;
  Json group_names = Json::array();
  for (const auto& [name, g] : groups_) {
    groups.push_back(&g);
    group_names.push_back(name);
  }
  const auto count_of = [&](const GroupProcessing& g, size_t record) -> int { return record < g.counts.size() ? g.counts[record] : 0; };
  // Reordered: per producer and partition, in the order the sends were made.
  std::vector<uint8_t> flags(records_.size(), 0);
  {
    std::vector<uint32_t> order(records_.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      const Record &x = records_[a], &y = records_[b];
      return std::tie(x.producer, x.partition, x.op) < std::tie(y.producer, y.partition, y.op);
    });
    // A log's order is (leader epoch, offset): after a truncation a new leader writes lower
    // offsets in a higher epoch, which is later, not reordered. A record of unknown epoch is
    // left out.
    std::pair<int64_t, int64_t> latest{-1, -1};
    for (size_t k = 0; k < order.size(); ++k) {
      const Record& r = records_[order[k]];
      if (k == 0 || records_[order[k - 1]].producer != r.producer || records_[order[k - 1]].partition != r.partition) latest = {-1, -1};
      if (r.epoch < 0) continue;
      const std::pair<int64_t, int64_t> at{r.epoch, r.offset};
      if (at < latest) flags[order[k]] |= kReordered;
      latest = std::max(latest, at);
    }
  }
  struct Tally {
    int64_t acked = 0, survived = 0, lost = 0, unknown = 0;
    std::vector<std::array<int64_t, 3>> groups;  // once, more, never
  };
  std::vector<Tally> tallies(partitions_.size(), Tally{0, 0, 0, 0, std::vector<std::array<int64_t, 3>>(groups.size())});
  Tally total{0, 0, 0, 0, std::vector<std::array<int64_t, 3>>(groups.size())};
  std::vector<int8_t> fate(records_.size());  // 1 survived, 0 lost, -1 unknown
  for (size_t i = 0; i < records_.size(); ++i) {
    const Record& r = records_[i];
    const Partition& p = partitions_[r.partition];
    auto leader = p.replicas.find(p.last_leader);
    fate[i] = leader == p.replicas.end() || r.epoch < 0 ? -1 : leader->second.holds(r.offset, r.epoch) ? 1 : 0;
    if (fate[i] == 0) flags[i] |= kLost;
    for (Tally* t : {&tallies[r.partition], &total}) {
      ++t->acked;
      (fate[i] == 1 ? t->survived : fate[i] == 0 ? t->lost : t->unknown) += 1;
    }
    for (size_t g = 0; g < groups.size(); ++g) {
      if (!groups[g]->topics.contains(p.topic)) continue;
      const int c = count_of(*groups[g], i);
      if (c >= 2) flags[i] |= kDuplicated;
      if (c == 0 && fate[i] != 0) {
        flags[i] |= kNever;
        if (r.partition < groups[g]->max_offset.size() && groups[g]->max_offset[r.partition] > r.offset) flags[i] |= kSkipped;
      }
      if (fate[i] == 0) continue;  // the per-group counts are of the records not lost (survived or unknown)
      const int slot = c == 0 ? 2 : c == 1 ? 0 : 1;
      ++tallies[r.partition].groups[g][slot];
      ++total.groups[g][slot];
    }
  }
  const auto tally_json = [&](const Tally& t) {
    Json per_group = Json::array();
    for (const auto& c : t.groups) per_group.push_back({{"once", c[0]}, {"more", c[1]}, {"never", c[2]}});
    return Json{{"acked", t.acked}, {"survived", t.survived}, {"lost", t.lost}, {"unknown", t.unknown}, {"groups", per_group}};
  };
  Json partitions = Json::array();
  for (size_t i = 0; i < partitions_.size(); ++i) {
    if (tallies[i].acked == 0) continue;
    Json t = tally_json(tallies[i]);
    t["name"] = partitions_[i].name;
    t["leader"] = partitions_[i].last_leader;
    partitions.push_back(std::move(t));
  }
  // The listed records: the flagged ones first come, first listed, up to the cap per flag,
  // and the first unflagged ones.
  std::array<size_t, kFlags.size() + 1> listed{}, flagged{};
  Json list = Json::array();
  for (size_t i = 0; i < records_.size(); ++i) {
    bool take = false;
    for (size_t f = 0; f < kFlags.size(); ++f) {
      if ((flags[i] & (1u << f)) == 0) continue;
      ++flagged[f];
      if (listed[f] < kListedPerFlag) take = true;
    }
    if (flags[i] == 0) {
      ++flagged[kFlags.size()];
      take = listed[kFlags.size()] < kListedPerFlag;
    }
    if (!take) continue;
    for (size_t f = 0; f < kFlags.size(); ++f)
      if (flags[i] & (1u << f)) ++listed[f];
    if (flags[i] == 0) ++listed[kFlags.size()];
    const Record& r = records_[i];
    Json counts = Json::array();
    for (const GroupProcessing* g : groups) counts.push_back(g->topics.contains(partitions_[r.partition].topic) ? Json(count_of(*g, i)) : Json());
    Json fl = Json::array();
    for (size_t f = 0; f < kFlags.size(); ++f)
      if (flags[i] & (1u << f)) fl.push_back(kFlags[f]);
    const bool kept = r.key_len != std::numeric_limits<uint32_t>::max() && r.value_len != std::numeric_limits<uint32_t>::max();
    list.push_back({{"partition", partitions_[r.partition].name},
                    {"offset", r.offset},
                    {"epoch", r.epoch},
                    {"key", kept ? Json(std::string(text(r.key_at, r.key_len))) : Json()},
                    {"value", kept ? Json(std::string(text(r.value_at, r.value_len))) : Json()},
                    {"producer", names_[r.producer]},
                    {"sent_ns", r.sent_ns},
                    {"acked_ns", r.acked_ns},
                    {"fate", fate[i] == 1 ? "survived" : fate[i] == 0 ? "lost" : "unknown"},
                    {"processed", counts},
                    {"flags", fl}});
  }
  Json flag_counts = Json::object();
  for (size_t f = 0; f < kFlags.size(); ++f) flag_counts[kFlags[f]] = flagged[f];
  flag_counts["none"] = flagged[kFlags.size()];
  return Json{{"groups", group_names}, {"total", tally_json(total)}, {"partitions", partitions}, {"flag_counts", flag_counts},
              {"listed_per_flag", kListedPerFlag}, {"records", list}};
}

void FatesData::summarised(std::vector<std::string>& out) const {
  if (records_.size() > kListedPerFlag)
    out.push_back(fmt::format("record fates: {} acknowledged records; the counts are whole, and the list holds every flagged record up to {} "
                              "per flag and the first {} of the rest",
                              records_.size(), kListedPerFlag, kListedPerFlag));
  if (texts_left_out_ > 0)
    out.push_back(fmt::format("record fates: the keys and values of {} sends were not kept (past {} MB of them)", texts_left_out_,
                              kMaxText >> 20));
}

}  // namespace report
