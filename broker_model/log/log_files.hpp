#pragma once
// Where a replica keeps a partition on its broker's disk: one folder per partition, as Kafka's
// log directories, "<topic>-<p>/", holding
//   log                      record batches (page cache until flushed)
//   leader-epoch-checkpoint  durable, rewritten atomically on change
//   hw-checkpoint            durable, written periodically (Kafka's replication-offset-checkpoint,
//                            per partition here)
// The one place that knows the layout: the log itself, a broker recovering its logs at start,
// and scenario queries reading a replica's disk all go through it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/protocol/topic_partition.hpp"
#include "sim/disk.hpp"

namespace kafka::log_files {

inline std::string dir(const TopicPartition& tp) { return tp.to_string() + "/"; }
inline std::string log(const TopicPartition& tp) { return dir(tp) + "log"; }
inline std::string epochs(const TopicPartition& tp) { return dir(tp) + "leader-epoch-checkpoint"; }
inline std::string hw(const TopicPartition& tp) { return dir(tp) + "hw-checkpoint"; }

// The partition whose log `file` is, or nothing for any other file.
std::optional<TopicPartition> partition_of_log(std::string_view file);

// The batches of a partition's log as a disk holds them now (the page cache included, a torn
// last entry left out, as recovery would drop it); empty when the disk has no such log.
std::vector<BatchPtr> read_batches(sim::Disk& disk, const TopicPartition& tp);

}  // namespace kafka::log_files
