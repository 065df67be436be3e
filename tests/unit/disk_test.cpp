#include <gtest/gtest.h>

#include "sim/disk.hpp"

using namespace sim;

namespace {
struct Entry final : DiskEntry {
  int v;
  explicit Entry(int x) : v(x) {}
  uint32_t size_bytes() const override { return 8; }
};
DiskEntryPtr e(int v) { return std::make_shared<Entry>(v); }
int value(const DiskEntryPtr& p) { return static_cast<const Entry&>(*p).v; }
}  // namespace

TEST(Disk, CrashKeepsOnlyFlushedEntries) {
  Disk d;
  Rng rng(1);
  const FileId f = d.open("log");
  d.append(f, e(1));
  d.append(f, e(2));
  d.flush(f);
  d.append(f, e(3));
  EXPECT_EQ(d.unflushed_entries(), 1u);
  const auto loss = d.crash(rng, false);
  EXPECT_EQ(loss.entries_lost, 1u);
  ASSERT_EQ(d.size(f), 2u);
  EXPECT_EQ(value(d.read(f)[1]), 2);
}

TEST(Disk, FilesAreIndependent) {
  Disk d;
  Rng rng(1);
  const FileId a = d.open("a"), b = d.open("b");
  d.append(a, e(1));
  d.append(b, e(2));
  d.flush(a);
  d.crash(rng, false);
  EXPECT_EQ(d.size(a), 1u);
  EXPECT_EQ(d.size(b), 0u);
  EXPECT_EQ(d.open("a"), a) << "open is idempotent";
  EXPECT_EQ(d.list(), (std::vector<std::string>{"a", "b"}));
}

TEST(Disk, TornWritesLeaveAMarkedPartialEntry) {
  int torn_seen = 0;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    Disk d;
    Rng rng(seed);
    const FileId f = d.open("log");
    d.append(f, e(1));
    d.flush(f);
    d.append(f, e(2));
    d.append(f, e(3));
    const auto loss = d.crash(rng, true);
    if (loss.files_torn) {
      ++torn_seen;
      ASSERT_EQ(d.size(f), 2u);
      EXPECT_TRUE(d.last_entry_torn(f));
      EXPECT_EQ(loss.entries_lost, 1u);
      d.truncate(f, 1);  // recovery drops the torn record
      EXPECT_FALSE(d.last_entry_torn(f));
    } else {
      EXPECT_EQ(d.size(f), 1u);
      EXPECT_FALSE(d.last_entry_torn(f));
    }
  }
  EXPECT_GT(torn_seen, 10);
  EXPECT_LT(torn_seen, 54);
}

TEST(Disk, TruncateAndReplace) {
  Disk d;
  Rng rng(1);
  const FileId f = d.open("log");
  for (int i = 0; i < 5; ++i) d.append(f, e(i));
  d.flush(f);
  d.truncate(f, 2);
  d.append(f, e(9));
  d.crash(rng, false);
  ASSERT_EQ(d.size(f), 2u) << "the truncation holds; the unflushed append is gone";
  const FileId cp = d.open("checkpoint");
  d.replace(cp, {e(7)});
  d.crash(rng, false);
  ASSERT_EQ(d.size(cp), 1u) << "replace is durable, like Kafka's checkpoint files";
  EXPECT_EQ(value(d.read(cp)[0]), 7);
}

TEST(Disk, SlowDiskChargesBusyTime) {
  Disk d;
  d.set_op_latency(Duration::millis(5));
  const FileId f = d.open("log");
  d.append(f, e(1));
  d.flush(f);
  EXPECT_EQ(d.take_busy(), Duration::millis(10));
  EXPECT_EQ(d.take_busy(), Duration{0});
}
