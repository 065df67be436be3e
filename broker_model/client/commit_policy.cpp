#include "broker_model/client/commit_policy.hpp"

namespace kafka {

std::optional<CommitPolicy> parse_commit_policy(std::string_view n) {
  if (n == "auto") return CommitPolicy::kafka_auto;
  if (n == "after-process") return CommitPolicy::after_process;
  if (n == "async") return CommitPolicy::async;
  if (n == "before-process") return CommitPolicy::before_process;
  if (n == "RECORD") return CommitPolicy::record;
  if (n == "BATCH") return CommitPolicy::batch;
  if (n == "TIME") return CommitPolicy::time;
  if (n == "COUNT") return CommitPolicy::count;
  if (n == "COUNT_TIME") return CommitPolicy::count_time;
  if (n == "MANUAL") return CommitPolicy::manual;
  if (n == "MANUAL_IMMEDIATE") return CommitPolicy::manual_immediate;
  return std::nullopt;
}

std::string_view to_string(CommitPolicy p) {
  switch (p) {
    case CommitPolicy::kafka_auto: return "auto";
    case CommitPolicy::after_process: return "after-process";
    case CommitPolicy::async: return "async";
    case CommitPolicy::before_process: return "before-process";
    case CommitPolicy::record: return "RECORD";
    case CommitPolicy::batch: return "BATCH";
    case CommitPolicy::time: return "TIME";
    case CommitPolicy::count: return "COUNT";
    case CommitPolicy::count_time: return "COUNT_TIME";
    case CommitPolicy::manual: return "MANUAL";
    case CommitPolicy::manual_immediate: return "MANUAL_IMMEDIATE";
  }
  return "?";
}

RevocationCommit revocation_commit(CommitPolicy p) {
  switch (p) {
    case CommitPolicy::kafka_auto: return RevocationCommit::consumed_positions;
    case CommitPolicy::before_process: return RevocationCommit::nothing;
    default: return RevocationCommit::processed_records;
  }
}

sim::Duration poll_timeout(CommitPolicy p) {
  switch (p) {
    case CommitPolicy::kafka_auto:
    case CommitPolicy::after_process:
    case CommitPolicy::async:
    case CommitPolicy::before_process:
      return sim::Duration::seconds(1);
    default:
      return sim::Duration::seconds(5);
  }
}

}  // namespace kafka
