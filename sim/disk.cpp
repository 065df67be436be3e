#include "sim/disk.hpp"
#include "sim/assert.hpp"

#include <algorithm>

namespace sim {

FileId Disk::open(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) return it->second;
  const FileId id = static_cast<FileId>(files_.size());
  files_.push_back(File{name, {}, 0, kNone});
  by_name_.emplace(name, id);
  return id;
}

bool Disk::exists(const std::string& name) const { return by_name_.count(name) != 0; }

std::vector<std::string> Disk::list(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = by_name_.lower_bound(prefix); it != by_name_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

void Disk::append(FileId f, DiskEntryPtr entry) {
  SIM_ASSERT(entry);
  File& file = files_[f];
  file.entries.push_back(std::move(entry));
  charge();
}

void Disk::truncate(FileId f, size_t n) {
  File& file = files_[f];
  if (n < file.entries.size()) file.entries.resize(n);
  file.durable = std::min(file.durable, file.entries.size());
  if (file.torn_index != kNone && file.torn_index >= file.entries.size()) file.torn_index = kNone;
  charge();
}

void Disk::replace(FileId f, std::vector<DiskEntryPtr> entries) {
  File& file = files_[f];
  file.entries = std::move(entries);
  file.durable = file.entries.size();
  file.torn_index = kNone;
  charge();
}

void Disk::flush(FileId f) {
  File& file = files_[f];
  file.durable = file.entries.size();
  charge();
}

void Disk::flush_all() {
  for (File& file : files_) file.durable = file.entries.size();
}

uint64_t Disk::unflushed_entries() const {
  uint64_t n = 0;
  for (const File& file : files_) n += file.entries.size() - file.durable;
  return n;
}

Disk::CrashLoss Disk::crash(Rng& rng, bool torn_writes) {
  CrashLoss loss;
  for (File& file : files_) {  // files_ is in creation order: deterministic
    const size_t lost = file.entries.size() - file.durable;
    if (lost == 0) continue;
    size_t keep = file.durable;
    if (torn_writes && rng.bernoulli(0.5)) {
      file.torn_index = keep;
      keep += 1;
      ++loss.files_torn;
    }
    loss.entries_lost += file.entries.size() - keep;
    file.entries.resize(keep);
    file.durable = keep;
  }
  busy_ = {};
  return loss;
}

}  // namespace sim
