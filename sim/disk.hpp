#pragma once
// A node's disk, which outlives the node object across crashes and restarts.
//
// Writes land in a page cache; flush() makes a file's contents durable. A crash keeps only
// what was flushed (optionally with the first unflushed entry torn: present but marked
// corrupt, as a partly written record that recovery must detect and drop). A clean shutdown
// flushes everything. Files hold opaque entries (the model's record batches, checkpoints)
// rather than bytes: the model never serialises, but the durability rules are those of bytes.
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/random.hpp"

namespace sim {

class DiskEntry {
 public:
  virtual ~DiskEntry() = default;
  virtual uint32_t size_bytes() const = 0;
};
using DiskEntryPtr = std::shared_ptr<const DiskEntry>;

using FileId = uint32_t;

class Disk {
 public:
  // Opens (creating if absent) a file by name; ids are stable for the disk's lifetime.
  FileId open(const std::string& name);
  bool exists(const std::string& name) const;
  std::vector<std::string> list(const std::string& prefix = "") const;

  void append(FileId f, DiskEntryPtr entry);
  // Keeps the first n entries. Truncation is a metadata change and is treated as durable.
  void truncate(FileId f, size_t n);
  // Replaces the whole content atomically and durably (write temp, fsync, rename), the way
  // Kafka writes its checkpoint files.
  void replace(FileId f, std::vector<DiskEntryPtr> entries);
  void remove(FileId f) { truncate(f, 0); }
  void flush(FileId f);
  void flush_all();

  std::span<const DiskEntryPtr> read(FileId f) const { return files_[f].entries; }
  size_t size(FileId f) const { return files_[f].entries.size(); }
  size_t durable_size(FileId f) const { return files_[f].durable; }
  // After a crash with torn writes, a file's last entry may be torn: recovery must drop it
  // (Kafka finds it by its CRC and truncates there).
  bool last_entry_torn(FileId f) const {
    const File& file = files_[f];
    return file.torn_index != kNone && file.torn_index + 1 == file.entries.size();
  }
  uint64_t unflushed_entries() const;

  // What a crash does to the page cache: every file drops its unflushed suffix. With
  // torn_writes, each file that lost something keeps its first lost entry, marked torn,
  // with probability 1/2.
  struct CrashLoss {
    uint64_t entries_lost = 0;
    uint64_t files_torn = 0;
  };
  CrashLoss crash(Rng& rng, bool torn_writes);

  // Cost, in node time, of each append and flush (a slow disk); zero by default.
  Duration op_latency() const { return op_latency_; }
  void set_op_latency(Duration d) { op_latency_ = d; }
  // Node time consumed by disk operations since the last call; the world charges it to the
  // node as busy time.
  Duration take_busy() {
    Duration d = busy_;
    busy_ = {};
    return d;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;
  struct File {
    std::string name;
    std::vector<DiskEntryPtr> entries;
    size_t durable = 0;
    size_t torn_index = kNone;
  };
  void charge() { busy_ += op_latency_; }

  std::vector<File> files_;
  std::map<std::string, FileId> by_name_;
  Duration op_latency_{};
  Duration busy_{};
};

}  // namespace sim
