#include "broker_model/client/consumer_trace.hpp"

namespace kafka {

std::string partitions_text(const std::vector<TopicPartition>& partitions) {
  std::string s;
  for (const auto& tp : partitions) s += (s.empty() ? "" : ",") + tp.to_string();
  return s;
}

}  // namespace kafka
