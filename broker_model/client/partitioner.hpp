#pragma once
// How a Kafka producer picks a record's partition, bit-exact where Kafka is deterministic.
//
//  * Keyed records: murmur2 of the serialized key, sign bit masked, modulo the topic's total
//    partition count (Utils.murmur2, Utils.toPositive, BuiltInPartitioner.partitionForKey).
//  * Group and transactional ids: Java String.hashCode, Utils.abs, modulo the partition count
//    of __consumer_offsets or __transaction_state.
//  * Null keys, Kafka 2.4 to 3.2: the sticky partitioner (DefaultPartitioner with
//    StickyPartitionCache, KIP-480).
//  * Null keys, Kafka 3.3 and later: the uniform sticky partitioner with adaptive partition
//    choice (BuiltInPartitioner, KIP-794).
//
// Kafka draws its random numbers as Utils.toPositive(ThreadLocalRandom.nextInt()); we draw the
// same range from a seeded sim::Rng (random_positive_int) and use each draw exactly as Kafka
// does (draw % count), so one seed gives one run.
//
// Partition ids are int32_t as in Kafka. An "available" list holds the ids of the partitions
// that have a leader (Cluster.availablePartitionsForTopic), each id once.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim {
class Rng;
}

namespace kafka {

// Kafka's Utils.murmur2 over raw bytes, as the signed 32-bit value Java returns.
int32_t murmur2(std::string_view bytes);
// Utils.toPositive: clears the sign bit. Not abs(): to_positive(-1) is 0x7fffffff.
int32_t to_positive(int32_t v);
// The partition of a record with a non-null serialized key, over ALL partitions of the topic.
int32_t partition_for_key(std::string_view key_bytes, int32_t num_partitions);

// Java's String.hashCode of the string whose UTF-8 encoding is given: h = 31*h + unit over the
// UTF-16 code units (code points above U+FFFF count as two surrogates). Malformed UTF-8 decodes
// to U+FFFD as Java's UTF-8 decoder does.
int32_t java_string_hash(std::string_view utf8);
// Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 (Math.abs would leave it < 0).
int32_t java_abs(int32_t v);
// The __consumer_offsets partition of a group id, or the __transaction_state partition of a
// transactional id: abs(id.hashCode()) % num_partitions.
int32_t coordinator_partition(std::string_view id, int32_t num_partitions);

// Utils.toPositive(ThreadLocalRandom.nextInt()) from our seeded generator: uniform in
// [0, 2^31 - 1].
int32_t random_positive_int(sim::Rng& rng);

// The null-key partitioner of Kafka 2.4 to 3.2 (StickyPartitionCache). One partition per topic
// takes every null-key record until the producer is about to open a new batch for it; the
// producer then calls next_partition with that partition and re-partitions the record.
class StickyPartitionCache {
 public:
  // The topic's sticky partition; chosen now if the topic has none yet.
  int32_t partition(const std::string& topic, int32_t num_partitions,
                    const std::vector<int32_t>& available, sim::Rng& rng);
  // Moves the topic off prev_partition and returns the new sticky partition. If the sticky
  // partition is no longer prev_partition (another record already moved it), nothing changes.
  // The choice: random among the available partitions, never prev_partition while another is
  // available; the only available one if there is one; random among all if none is available.
  int32_t next_partition(const std::string& topic, int32_t prev_partition,
                         int32_t num_partitions, const std::vector<int32_t>& available,
                         sim::Rng& rng);

 private:
  std::unordered_map<std::string, int32_t> sticky_;  // lookups only: order never matters
};

// The null-key partitioner of Kafka 3.3 and later, one per topic (BuiltInPartitioner). It
// stays on a partition until about batch.size bytes went there, then switches. The next
// partition is uniform among the available ones or, with adaptive partitioning and load stats,
// weighted towards partitions with shorter queues of unsent batches.
class BuiltInPartitioner {
 public:
  // sticky_batch_size is the producer's batch.size (must be >= 1); adaptive_partitioning is
  // partitioner.adaptive.partitioning.enable (default true).
  BuiltInPartitioner(std::string topic, int32_t sticky_batch_size,
                     bool adaptive_partitioning = true);

  // The current sticky partition; chosen now if there is none yet. Kafka does not re-check
  // that an existing choice is still available: it keeps it until the next switch.
  int32_t peek_current_partition(int32_t num_partitions, const std::vector<int32_t>& available,
                                 sim::Rng& rng);
  // Counts appended_bytes towards the sticky partition and switches once enough went there:
  // at >= batch.size when enable_switch (the producer passes true when the partition's batches
  // are all full, so a switch does not strand a small batch), and at >= 2 * batch.size always.
  // Call it only for records this partitioner placed. A partition that is not the current
  // sticky one (a stale view) is ignored, as Kafka ignores a changed StickyPartitionInfo.
  void update_partition_info(int32_t partition, int32_t appended_bytes, bool enable_switch,
                             int32_t num_partitions, const std::vector<int32_t>& available,
                             sim::Rng& rng);

  // Rebuilds the load stats from the queue sizes (batches waiting in the accumulator) of the
  // partitions that have a leader, in the same order as partition_ids. No load stats result
  // (uniform choice) when adaptive partitioning is off, when there are fewer than 2
  // partitions, or when all queue sizes are equal.
  void update_partition_load_stats(const std::vector<int32_t>& queue_sizes,
                                   const std::vector<int32_t>& partition_ids);
  // As above when some tracked partitions were left out of queue_sizes (no leader, or
  // excluded by partitioner.availability.timeout.ms): tracked_partitions counts them all
  // (Kafka's array length, versus the logical length). With some left out, equal queue sizes
  // still give load stats, which then cover only the partitions listed.
  void update_partition_load_stats(const std::vector<int32_t>& queue_sizes,
                                   const std::vector<int32_t>& partition_ids,
                                   size_t tracked_partitions);
  // Drops the load stats, as Kafka does until every partition has a batch queue.
  void clear_partition_load_stats();

  // The partition a switch moves to for one random draw in [0, 2^31): the draw selects from
  // the load stats if any (the first cumulative-frequency entry strictly greater than
  // draw % total), else from the available partitions, else from all of them.
  int32_t partition_for_draw(int32_t draw, int32_t num_partitions,
                             const std::vector<int32_t>& available) const;

  // The cumulative frequency table and its partition ids; both empty without load stats.
  const std::vector<int32_t>& cumulative_frequency_table() const { return cft_; }
  const std::vector<int32_t>& load_stats_partition_ids() const { return cft_partitions_; }
  bool has_load_stats() const { return !cft_.empty(); }

  const std::string& topic() const { return topic_; }
  int32_t sticky_batch_size() const { return sticky_batch_size_; }
  // Bytes counted towards the current sticky partition since it was chosen.
  int64_t produced_bytes() const { return produced_bytes_; }

 private:
  int32_t next_partition(int32_t num_partitions, const std::vector<int32_t>& available,
                         sim::Rng& rng) const;

  std::string topic_;
  int32_t sticky_batch_size_;
  bool adaptive_;
  std::optional<int32_t> current_;
  int64_t produced_bytes_ = 0;
  std::vector<int32_t> cft_;
  std::vector<int32_t> cft_partitions_;
};

}  // namespace kafka
