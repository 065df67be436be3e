#include "broker_model/txn/transaction_log.hpp"

#include <set>
#include <vector>

#include <fmt/format.h>

namespace kafka {

namespace {
constexpr char kSep = '|';
constexpr char kItem = ',';
constexpr const char* kKeyPrefix = "txn|";

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != sep) continue;
    out.push_back(s.substr(start, i - start));
    start = i + 1;
  }
  return out;
}

std::string log_partitions(const std::set<TopicPartition>& partitions) {
  std::string s;
  for (const TopicPartition& tp : partitions) s += fmt::format("{}{}:{}", s.empty() ? "" : ",", tp.topic, tp.partition);
  return s;
}

std::set<TopicPartition> parse_partitions(const std::string& text) {
  std::set<TopicPartition> out;
  if (text.empty()) return out;
  for (const std::string& item : split(text, kItem)) {
    const size_t colon = item.rfind(':');
    out.insert({item.substr(0, colon), std::stoi(item.substr(colon + 1))});
  }
  return out;
}
}  // namespace

Record transaction_record(const std::string& transactional_id, const TxnTransitMetadata& t) {
  Record r;
  r.key = kKeyPrefix + transactional_id;
  r.value = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", t.producer_id, t.prev_producer_id, t.next_producer_id, t.producer_epoch,
                        t.txn_timeout_ms, to_string(t.state), log_partitions(t.partitions), t.txn_last_update_ms, t.txn_start_ms,
                        t.epoch_bump_per_txn ? 2 : 0);
  r.value_bytes = static_cast<uint32_t>(r.value.size());
  return r;
}

std::optional<std::pair<std::string, TxnTransitMetadata>> read_transaction_record(const Record& r) {
  if (r.key.rfind(kKeyPrefix, 0) != 0) return std::nullopt;
  const std::vector<std::string> f = split(r.value, kSep);
  TxnTransitMetadata t;
  if (f.size() != 10 || !parse_txn_state(f[5], t.state)) return std::nullopt;
  t.producer_id = std::stoll(f[0]);
  t.prev_producer_id = std::stoll(f[1]);
  t.next_producer_id = std::stoll(f[2]);
  t.producer_epoch = static_cast<int16_t>(std::stoi(f[3]));
  t.last_producer_epoch = -1;
  t.txn_timeout_ms = std::stoi(f[4]);
  t.partitions = parse_partitions(f[6]);
  t.txn_last_update_ms = std::stoll(f[7]);
  t.txn_start_ms = std::stoll(f[8]);
  t.epoch_bump_per_txn = f[9] == "2";
  return std::make_pair(r.key.substr(std::string(kKeyPrefix).size()), t);
}

}  // namespace kafka
