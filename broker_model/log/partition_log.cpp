#include "broker_model/log/partition_log.hpp"
#include "broker_model/log/log_files.hpp"
#include "sim/assert.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace kafka {

namespace {
struct EpochCheckpoint final : sim::DiskEntry {
  std::vector<EpochEntry> entries;
  uint32_t size_bytes() const override { return 16 + 12 * static_cast<uint32_t>(entries.size()); }
};
struct HwCheckpoint final : sim::DiskEntry {
  int64_t hw;
  explicit HwCheckpoint(int64_t h) : hw(h) {}
  uint32_t size_bytes() const override { return 16; }
};
}  // namespace

PartitionLog::PartitionLog(sim::Disk& disk, std::string topic, int32_t partition)
    : disk_(disk), topic_(std::move(topic)), partition_(partition) {
  const TopicPartition tp{topic_, partition_};
  log_file_ = disk_.open(log_files::log(tp));
  epoch_file_ = disk_.open(log_files::epochs(tp));
  hw_file_ = disk_.open(log_files::hw(tp));

  // Recovery: a torn last batch fails its CRC and is truncated away.
  if (disk_.last_entry_torn(log_file_)) {
    disk_.truncate(log_file_, disk_.size(log_file_) - 1);
    recovered_torn_ = true;
  }
  for (const auto& e : disk_.read(log_file_)) batches_.push_back(std::static_pointer_cast<const RecordBatch>(e));
  leo_ = batches_.empty() ? 0 : batches_.back()->next_offset();
  if (auto cp = disk_.read(epoch_file_); !cp.empty()) {
    epochs_.load(static_cast<const EpochCheckpoint&>(*cp.back()).entries);
  }
  // The checkpoint may name epochs whose batches were lost with the page cache.
  if (epochs_.truncate_from_end(leo_)) save_epochs();
  if (auto cp = disk_.read(hw_file_); !cp.empty()) checkpointed_hw_ = static_cast<const HwCheckpoint&>(*cp.back()).hw;
  hw_ = std::min(checkpointed_hw_, leo_);
  rebuild_producer_state();
}

void PartitionLog::record_producer_state(const RecordBatch& b) {
  has_transactions_ |= b.transactional;
  if (auto completed = producers_.update(b)) txn_index_.append(*completed);
}

void PartitionLog::rebuild_producer_state() {
  producers_.clear();
  txn_index_.clear();
  for (const auto& b : batches_) record_producer_state(*b);
  producers_.on_high_watermark_updated(hw_);
}

int64_t PartitionLog::last_stable_offset() const {
  const auto first_unstable = producers_.first_unstable_offset();
  return first_unstable && *first_unstable < hw_ ? *first_unstable : hw_;
}

bool PartitionLog::maybe_increment_hw(int64_t hw) {
  hw = std::min(hw, leo_);
  if (hw <= hw_) return false;
  hw_ = hw;
  producers_.on_high_watermark_updated(hw_);
  return true;
}

void PartitionLog::set_follower_hw(int64_t leader_hw) {
  hw_ = std::min(leader_hw, leo_);
  producers_.on_high_watermark_updated(hw_);
}

void PartitionLog::checkpoint_hw() {
  if (checkpointed_hw_ == hw_ && disk_.size(hw_file_) > 0) return;
  checkpointed_hw_ = hw_;
  disk_.replace(hw_file_, {std::make_shared<HwCheckpoint>(hw_)});
}

void PartitionLog::save_epochs() {
  auto cp = std::make_shared<EpochCheckpoint>();
  cp->entries = epochs_.entries();
  disk_.replace(epoch_file_, {cp});
}

void PartitionLog::assign_epoch_start(int32_t epoch, int64_t offset) {
  if (epochs_.assign(epoch, offset)) save_epochs();
}

BatchPtr PartitionLog::append_as_leader(const RecordBatch& incoming, int32_t leader_epoch, int64_t now_ms) {
  auto b = std::make_shared<RecordBatch>(incoming);
  b->base_offset = leo_;
  b->partition_leader_epoch = leader_epoch;
  if (b->records->empty()) return b;
  (void)now_ms;
  assign_epoch_start(leader_epoch, leo_);
  batches_.push_back(b);
  disk_.append(log_file_, b);
  record_producer_state(*b);
  leo_ = b->next_offset();
  unflushed_messages_ += static_cast<uint64_t>(b->count());
  return b;
}

void PartitionLog::append_as_follower(const BatchPtr& batch) {
  SIM_ASSERT(batch->base_offset == leo_, "a batch is appended at the log end");
  assign_epoch_start(batch->partition_leader_epoch, batch->base_offset);
  batches_.push_back(batch);
  disk_.append(log_file_, batch);
  record_producer_state(*batch);
  leo_ = batch->next_offset();
  unflushed_messages_ += static_cast<uint64_t>(batch->count());
}

size_t PartitionLog::index_of(int64_t offset) const {
  auto it = std::lower_bound(batches_.begin(), batches_.end(), offset,
                             [](const BatchPtr& b, int64_t o) { return b->last_offset() < o; });
  return static_cast<size_t>(it - batches_.begin());
}

int64_t PartitionLog::truncate_to(int64_t offset) {
  if (offset >= leo_) return 0;
  const size_t i = index_of(offset);
  const int64_t new_leo = i < batches_.size() ? batches_[i]->base_offset : leo_;
  const int64_t removed = leo_ - new_leo;
  batches_.resize(i);
  disk_.truncate(log_file_, i);
  leo_ = new_leo;
  hw_ = std::min(hw_, leo_);
  if (epochs_.truncate_from_end(leo_)) save_epochs();
  // Producer state and the transaction index are rebuilt from what remains, as Kafka reloads
  // producer state from snapshots and log and truncates the index (TransactionIndex.truncateTo).
  rebuild_producer_state();
  return removed;
}

std::vector<BatchPtr> PartitionLog::read(int64_t from, int64_t up_to, uint32_t max_bytes) const {
  std::vector<BatchPtr> out;
  uint32_t bytes = 0;
  for (size_t i = index_of(from); i < batches_.size(); ++i) {
    const BatchPtr& b = batches_[i];
    if (b->base_offset >= up_to) break;
    if (b->last_offset() >= up_to) break;  // whole batches only, and only below the limit
    bytes += b->size_bytes();
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(b);
  }
  return out;
}

std::vector<BatchPtr> PartitionLog::all_batches() const { return batches_; }

std::vector<BatchPtr> PartitionLog::batches_overlapping(int64_t from, int64_t up_to) const {
  std::vector<BatchPtr> out;
  for (size_t i = index_of(from); i < batches_.size() && batches_[i]->base_offset < up_to; ++i) out.push_back(batches_[i]);
  return out;
}

BatchPtr PartitionLog::batch_at(int64_t offset) const {
  const size_t i = index_of(offset);
  if (i < batches_.size() && batches_[i]->base_offset <= offset) return batches_[i];
  return nullptr;
}

void PartitionLog::flush() {
  disk_.flush(log_file_);
  unflushed_messages_ = 0;
}

}  // namespace kafka
