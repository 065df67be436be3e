// Torn transactions: a reader saw part of a committed transaction in a partition it read past.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "sim/check/exactly_once.hpp"
#include "sim/check/explain.hpp"

namespace check {

namespace {

// One committed transaction's records in one partition, from its acknowledged sends that are in
// the partition's final log.
struct TxnPart {
  const TxnOutcome* txn = nullptr;
  std::string partition;
  std::vector<std::pair<int64_t, std::string>> records;  // (offset, value), by offset
};

// What one reader (a group's members together, or a lone consumer) read of a partition.
struct ReaderPart {
  std::set<std::string> values;
  int64_t furthest = -1;  // the highest offset a poll returned
};

std::vector<TxnPart> committed_parts(const GroundTruth& truth) {
  std::map<std::pair<const TxnOutcome*, std::string>, TxnPart> parts;
  for (const auto& [id, s] : truth.outputs.sends) {
    if (!s.txn || !s.txn->committed() || s.result != "ok" || s.partition.empty() || s.offset < 0) continue;
    const auto log = truth.final_logs.find(s.partition);
    if (log == truth.final_logs.end() || !log->second.count(s.value)) continue;  // lost: the lost-write checks' story
    TxnPart& p = parts[{s.txn, s.partition}];
    p.txn = s.txn;
    p.partition = s.partition;
    p.records.emplace_back(s.offset, s.value);
  }
  std::vector<TxnPart> out;
  for (auto& [key, p] : parts) {
    std::sort(p.records.begin(), p.records.end());
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

std::vector<Anomaly> torn_transactions(const History& history, const GroundTruth& truth) {
  std::vector<Anomaly> out;
  const std::vector<TxnPart> parts = committed_parts(truth);
  if (parts.empty()) return out;
  // A group's members read as one: a partition moves between them, each resuming where the
  // group's commit left off.
  auto reader_of = [&](const std::string& process) {
    auto it = truth.member_groups.find(process);
    return it == truth.member_groups.end() ? process : "group " + it->second;
  };
  std::map<std::string, std::map<std::string, ReaderPart>> readers;  // reader -> partition -> what it read
  for (const Op& op : history.ops) {
    if (op.type != OpType::ok || !op.reads()) continue;
    for (const auto& [partition, reads] : op.polls) {
      ReaderPart& r = readers[reader_of(op.process)][partition];
      for (const Read& x : reads) {
        r.values.insert(x.value);
        r.furthest = std::max(r.furthest, x.offset);
      }
    }
  }
  for (const auto& [reader_name, partitions] : readers) {
    const std::string& reader = reader_name;  // the lambda below captures it: clang 14 cannot capture a structured binding
    for (const TxnPart& p : parts) {
      const auto rp = partitions.find(p.partition);
      if (rp == partitions.end() || rp->second.furthest <= p.records.back().first) continue;  // never read past it
      // A reset or seek into the transaction's range jumped over part of it on purpose.
      const bool jumped = std::any_of(truth.jumps.begin(), truth.jumps.end(), [&](const PositionJump& j) {
        return j.partition == p.partition && reader_of(j.member) == reader && j.offset > p.records.front().first &&
               j.offset <= p.records.back().first;
      });
      if (jumped) continue;
      std::vector<std::string> seen, missed;
      for (const auto& [offset, value] : p.records)
        (rp->second.values.count(value) ? seen : missed).push_back(fmt::format("{}@{}", value, offset));
      if (seen.empty() || missed.empty()) continue;
      std::string detail = fmt::format("{} read {} past offset {} (to {}) and saw {} of the {} records committed transaction {} wrote "
                                       "there: missed {}",
                                       reader, p.partition, p.records.back().first, rp->second.furthest, seen.size(), p.records.size(),
                                       p.txn->label(), missed.front());
      if (missed.size() > 1) detail += fmt::format(" and {} more", missed.size() - 1);
      std::string why = fmt::format(
          "Transaction {} committed at {}: its records at offsets {} to {} of {} became visible together when the COMMIT marker "
          "was written. {} then read past them, so a read_committed fetch had returned the whole range, yet {} never reached the "
          "application: the reader saw part of a committed transaction, which Kafka's isolation promises per partition never to "
          "show. Seen: {}",
          p.txn->label(), format_time(p.txn->committed() && p.txn->end_ns >= 0 ? p.txn->end_ns : p.txn->decided_ns),
          p.records.front().first, p.records.back().first, p.partition, reader, missed.front(), seen.front());
      out.push_back(Anomaly{p.partition, std::move(detail), {}, std::move(why), p.records.front().second});
    }
  }
  return out;
}

}  // namespace check
