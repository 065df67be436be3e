#include "broker_model/client/partitioner.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <utility>

#include "sim/random.hpp"

namespace kafka {

namespace {

// Java's `int % int` with a non-negative dividend, as Kafka indexes partition lists.
int32_t java_mod(int32_t value, size_t count) {
  return static_cast<int32_t>(static_cast<uint32_t>(value) % static_cast<uint32_t>(count));
}

void require_partitions(int32_t num_partitions) {
  // Java would throw ArithmeticException on the modulo; fail just as loudly.
  if (num_partitions <= 0) throw std::invalid_argument("a topic needs at least one partition");
}

}  // namespace

int32_t murmur2(std::string_view bytes) {
  // Java int arithmetic is two's-complement with wrapping multiplication and `>>>` shifts, which
  // is exactly uint32_t arithmetic; signed C++ ints would overflow (undefined behaviour).
  constexpr uint32_t seed = 0x9747b28c;
  constexpr uint32_t m = 0x5bd1e995;
  constexpr int r = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t length = bytes.size();

  uint32_t h = seed ^ static_cast<uint32_t>(length);
  const size_t body = length & ~size_t{3};
  for (size_t i = 0; i < body; i += 4) {
    // Little-endian from unsigned bytes: Java masks each (signed) byte with 0xff.
    uint32_t k = uint32_t{data[i]} | uint32_t{data[i + 1]} << 8 | uint32_t{data[i + 2]} << 16 |
                 uint32_t{data[i + 3]} << 24;
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  // The tail cases fall through; the multiply happens only when a tail byte exists.
  switch (length & 3) {
    case 3:
      h ^= uint32_t{data[body + 2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{data[body + 1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{data[body]};
      h *= m;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);  // modular since C++20: the bits Java's int holds
}

int32_t to_positive(int32_t v) { return v & 0x7fffffff; }

int32_t partition_for_key(std::string_view key_bytes, int32_t num_partitions) {
  require_partitions(num_partitions);
  return to_positive(murmur2(key_bytes)) % num_partitions;
}

int32_t java_string_hash(std::string_view utf8) {
  uint32_t h = 0;  // Java's int, wrapping
  const auto unit = [&h](uint32_t code_unit) { h = 31u * h + code_unit; };
  constexpr uint32_t replacement = 0xFFFD;

  const auto* s = reinterpret_cast<const unsigned char*>(utf8.data());
  const size_t n = utf8.size();
  size_t i = 0;
  while (i < n) {
    const uint32_t lead = s[i];
    if (lead < 0x80) {
      unit(lead);
      ++i;
      continue;
    }
    // Sequence length and the allowed range of the second byte (Unicode's well-formed table),
    // which rules out overlong forms and code points above U+10FFFF. One exception copies
    // Java's decoder: after ED it takes 80..BF, so an encoded surrogate is read whole and then
    // replaced by a single U+FFFD.
    size_t len = 0;
    uint32_t cp = 0;
    uint32_t lo = 0x80;
    uint32_t hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      len = 2;
      cp = lead & 0x1F;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      len = 3;
      cp = lead & 0x0F;
      if (lead == 0xE0) lo = 0xA0;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      len = 4;
      cp = lead & 0x07;
      if (lead == 0xF0) lo = 0x90;
      if (lead == 0xF4) hi = 0x8F;
    } else {
      unit(replacement);  // a stray continuation byte or a lead byte no encoding uses
      ++i;
      continue;
    }
    // Take continuation bytes while they fit; a malformed sequence becomes one U+FFFD for the
    // bytes that could have begun a valid sequence (its "maximal subpart"), as in Java.
    size_t got = 1;
    while (got < len && i + got < n) {
      const uint32_t c = s[i + got];
      const bool fits = got == 1 ? (c >= lo && c <= hi) : (c & 0xC0) == 0x80;
      if (!fits) break;
      cp = (cp << 6) | (c & 0x3F);
      ++got;
    }
    i += got;
    if (got < len || (cp >= 0xD800 && cp <= 0xDFFF)) {
      unit(replacement);
    } else if (cp >= 0x10000) {
      unit(0xD800 + ((cp - 0x10000) >> 10));  // UTF-16 surrogate pair
      unit(0xDC00 + ((cp - 0x10000) & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return static_cast<int32_t>(h);
}

int32_t java_abs(int32_t v) {
  if (v == std::numeric_limits<int32_t>::min()) return 0;
  return v < 0 ? -v : v;
}

int32_t coordinator_partition(std::string_view id, int32_t num_partitions) {
  require_partitions(num_partitions);
  return java_abs(java_string_hash(id)) % num_partitions;
}

int32_t random_positive_int(sim::Rng& rng) {
  // toPositive(nextInt()) folds the two halves of the int range onto [0, 2^31), uniformly.
  return static_cast<int32_t>(rng.uniform_int(0, std::numeric_limits<int32_t>::max()));
}

// ---- StickyPartitionCache (Kafka 2.4 to 3.2) ----

int32_t StickyPartitionCache::partition(const std::string& topic, int32_t num_partitions,
                                        const std::vector<int32_t>& available, sim::Rng& rng) {
  const auto it = sticky_.find(topic);
  if (it != sticky_.end()) return it->second;
  return next_partition(topic, -1, num_partitions, available, rng);
}

int32_t StickyPartitionCache::next_partition(const std::string& topic, int32_t prev_partition,
                                             int32_t num_partitions,
                                             const std::vector<int32_t>& available,
                                             sim::Rng& rng) {
  require_partitions(num_partitions);
  const auto it = sticky_.find(topic);
  // A new-batch notice for a partition we already left is stale: keep the current choice.
  if (it != sticky_.end() && it->second != prev_partition) return it->second;

  // From here on, a topic that has a sticky partition has prev_partition as it.
  const bool leaving = it != sticky_.end();
  int32_t chosen = 0;
  if (available.empty()) {
    chosen = java_mod(random_positive_int(rng), static_cast<size_t>(num_partitions));
  } else if (available.size() == 1) {
    chosen = available.front();  // even if it is the old one: there is nowhere else to go
  } else {
    // Kafka redraws until it lands off the old partition; so do we, drawing as many times.
    // Every id appears once, so with two or more there is always another one to land on.
    do {
      chosen = available[static_cast<size_t>(java_mod(random_positive_int(rng), available.size()))];
    } while (leaving && chosen == prev_partition);
  }
  sticky_[topic] = chosen;
  return chosen;
}

// ---- BuiltInPartitioner (Kafka 3.3 and later) ----

BuiltInPartitioner::BuiltInPartitioner(std::string topic, int32_t sticky_batch_size,
                                       bool adaptive_partitioning)
    : topic_(std::move(topic)),
      sticky_batch_size_(sticky_batch_size),
      adaptive_(adaptive_partitioning) {
  if (sticky_batch_size < 1) throw std::invalid_argument("stickyBatchSize must be >= 1");
}

int32_t BuiltInPartitioner::partition_for_draw(int32_t draw, int32_t num_partitions,
                                               const std::vector<int32_t>& available) const {
  if (!cft_.empty()) {
    // Weighted choice: the first entry strictly greater than the scaled draw. Entries strictly
    // increase (every weight is >= 1), so upper_bound finds it.
    const int32_t weighted = draw % cft_.back();
    const auto pos = std::upper_bound(cft_.begin(), cft_.end(), weighted);
    return cft_partitions_[static_cast<size_t>(pos - cft_.begin())];
  }
  if (!available.empty()) return available[static_cast<size_t>(java_mod(draw, available.size()))];
  require_partitions(num_partitions);
  return java_mod(draw, static_cast<size_t>(num_partitions));
}

int32_t BuiltInPartitioner::next_partition(int32_t num_partitions,
                                           const std::vector<int32_t>& available,
                                           sim::Rng& rng) const {
  // Kafka draws once per switch, whichever way the draw is then used.
  return partition_for_draw(random_positive_int(rng), num_partitions, available);
}

int32_t BuiltInPartitioner::peek_current_partition(int32_t num_partitions,
                                                   const std::vector<int32_t>& available,
                                                   sim::Rng& rng) {
  if (!current_) {
    current_ = next_partition(num_partitions, available, rng);
    produced_bytes_ = 0;
  }
  return *current_;
}

void BuiltInPartitioner::update_partition_info(int32_t partition, int32_t appended_bytes,
                                               bool enable_switch, int32_t num_partitions,
                                               const std::vector<int32_t>& available,
                                               sim::Rng& rng) {
  if (!current_ || *current_ != partition) return;
  produced_bytes_ += appended_bytes;
  // Kafka computes 2 * batch.size in a Java int: above 2^30 it wraps negative, and Kafka then
  // switches after every append. Keep that.
  const int32_t twice = static_cast<int32_t>(static_cast<uint32_t>(sticky_batch_size_) * 2u);
  if ((produced_bytes_ >= sticky_batch_size_ && enable_switch) || produced_bytes_ >= twice) {
    current_ = next_partition(num_partitions, available, rng);
    produced_bytes_ = 0;
  }
}

void BuiltInPartitioner::update_partition_load_stats(const std::vector<int32_t>& queue_sizes,
                                                     const std::vector<int32_t>& partition_ids) {
  update_partition_load_stats(queue_sizes, partition_ids, queue_sizes.size());
}

void BuiltInPartitioner::update_partition_load_stats(const std::vector<int32_t>& queue_sizes,
                                                     const std::vector<int32_t>& partition_ids,
                                                     size_t tracked_partitions) {
  if (queue_sizes.size() != partition_ids.size() || queue_sizes.size() > tracked_partitions)
    throw std::invalid_argument("queue sizes and partition ids do not match");
  clear_partition_load_stats();
  // With a single partition there is nothing to weigh; with none listed there is nothing to
  // pick. (One listed out of several tracked still counts: the others were excluded.)
  if (!adaptive_ || queue_sizes.empty() || tracked_partitions < 2) return;

  const int32_t max_size = *std::max_element(queue_sizes.begin(), queue_sizes.end());
  const bool all_equal = std::all_of(queue_sizes.begin(), queue_sizes.end(),
                                     [&](int32_t q) { return q == queue_sizes.front(); });
  // Equal queues over every tracked partition: the weights would be uniform anyway.
  if (all_equal && queue_sizes.size() == tracked_partitions) return;

  // A shorter queue earns a larger weight, (max + 1) - size, so every weight is at least 1.
  // The running sum of the weights is the cumulative frequency table.
  cft_.reserve(queue_sizes.size());
  int32_t total = 0;
  for (const int32_t q : queue_sizes) {
    total += max_size + 1 - q;
    cft_.push_back(total);
  }
  cft_partitions_ = partition_ids;
}

void BuiltInPartitioner::clear_partition_load_stats() {
  cft_.clear();
  cft_partitions_.clear();
}

}  // namespace kafka
