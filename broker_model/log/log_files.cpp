#include "broker_model/log/log_files.hpp"

#include <charconv>

namespace kafka::log_files {

std::optional<TopicPartition> partition_of_log(std::string_view file) {
  constexpr std::string_view kLog = "/log";
  if (file.size() <= kLog.size() || file.substr(file.size() - kLog.size()) != kLog) return std::nullopt;
  const std::string_view dir = file.substr(0, file.size() - kLog.size());
  const size_t dash = dir.rfind('-');
  if (dash == std::string_view::npos || dash == 0) return std::nullopt;
  int32_t p = 0;
  const auto [end, ec] = std::from_chars(dir.data() + dash + 1, dir.data() + dir.size(), p);
  if (ec != std::errc() || end != dir.data() + dir.size() || p < 0) return std::nullopt;
  return TopicPartition{std::string(dir.substr(0, dash)), p};
}

std::vector<BatchPtr> read_batches(sim::Disk& disk, const TopicPartition& tp) {
  std::vector<BatchPtr> out;
  const std::string file = log(tp);
  if (!disk.exists(file)) return out;
  const sim::FileId f = disk.open(file);
  const auto entries = disk.read(f);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i + 1 == entries.size() && disk.last_entry_torn(f)) break;
    out.push_back(std::static_pointer_cast<const RecordBatch>(entries[i]));
  }
  return out;
}

}  // namespace kafka::log_files
