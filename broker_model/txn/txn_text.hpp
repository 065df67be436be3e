#pragma once
// The transaction coordinator's values as its trace events write them.
#include <set>
#include <string>

#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

// "orders-0,orders-1", in partition order.
inline std::string partitions_text(const std::set<TopicPartition>& partitions) {
  std::string s;
  for (const TopicPartition& tp : partitions) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}

}  // namespace kafka
