#include "broker_model/app/error_handler.hpp"

#include <algorithm>

#include "sim/assert.hpp"

namespace kafka {

BackOffSpec BackOffSpec::fixed(int64_t interval_ms, int64_t max_attempts) {
  BackOffSpec s;
  s.kind = Kind::fixed;
  s.interval_ms = interval_ms;
  s.max_attempts = max_attempts;
  return s;
}

BackOffSpec BackOffSpec::exponential(int64_t initial_ms, double multiplier, int64_t max_interval_ms) {
  BackOffSpec s;
  s.kind = Kind::exponential;
  s.initial_ms = initial_ms;
  s.multiplier = multiplier;
  s.max_interval_ms = max_interval_ms;
  s.max_attempts = std::numeric_limits<int64_t>::max();  // ExponentialBackOff.DEFAULT_MAX_ATTEMPTS
  return s;
}

int64_t BackOffExecution::next_backoff() {
  return spec_.kind == BackOffSpec::Kind::fixed ? next_fixed() : next_exponential();
}

int64_t BackOffExecution::next_fixed() {
  // FixedBackOffExecution.nextBackOff: count the attempt, then compare.
  ++attempts_;
  return attempts_ <= spec_.max_attempts ? spec_.interval_ms : kBackOffStop;
}

int64_t BackOffExecution::next_exponential() {
  // ExponentialBackOffExecution.nextBackOff: STOP once the elapsed time or the attempts reach
  // their limits (checked before the interval, so the last interval may pass maxElapsedTime).
  if (elapsed_ >= spec_.max_elapsed_ms || attempts_ >= spec_.max_attempts) return kBackOffStop;
  // computeNextInterval: the initial interval, then multiplied (truncated to a long) up to
  // the maximum.
  int64_t next;
  if (current_interval_ < 0) next = spec_.initial_ms;
  else if (current_interval_ >= spec_.max_interval_ms) next = spec_.max_interval_ms;
  else next = std::min(static_cast<int64_t>(static_cast<double>(current_interval_) * spec_.multiplier), spec_.max_interval_ms);
  current_interval_ = next;
  next = std::min(next, spec_.max_interval_ms);  // no jitter (DEFAULT_JITTER = 0)
  elapsed_ += next;
  ++attempts_;
  return next;
}

FailedRecordTracker::FailedRecordTracker(BackOffSpec backoff)
    : backoff_(backoff), no_retries_(BackOffExecution(backoff).next_backoff() == kBackOffStop) {}

FailedRecordTracker::Decision FailedRecordTracker::failed(const TopicPartition& tp, int64_t offset) {
  // noRetries: the back off allows none, so the record is recovered at its first failure.
  if (no_retries_) return {true, 0, 1};
  auto it = failures_.find(tp);
  if (it == failures_.end() || it->second.offset != offset) {
    // getFailedRecordInstance: another record of the partition failed: it starts afresh.
    failures_.erase(tp);
    it = failures_.emplace(tp, FailedRecord{offset, BackOffExecution(backoff_), 1}).first;
  } else {
    ++it->second.attempts;
  }
  const int32_t attempts = it->second.attempts;
  const int64_t next = it->second.execution.next_backoff();
  if (next != kBackOffStop) return {false, next, attempts};
  failures_.erase(it);  // recovered: map.remove(topicPartition)
  return {true, 0, attempts};
}

int32_t FailedRecordTracker::delivery_attempt(const TopicPartition& tp, int64_t offset) const {
  auto it = failures_.find(tp);
  if (it == failures_.end() || it->second.offset != offset) return 1;
  return it->second.attempts + 1;
}

std::string int_bytes(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[static_cast<size_t>(i)] = static_cast<char>((u >> (8 * (3 - i))) & 0xff);
  return out;
}

std::string long_bytes(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((u >> (8 * (7 - i))) & 0xff);
  return out;
}

SendSpec dead_letter_record(const ConsumerRecord& record, const std::string& group, const std::string& message,
                            const ErrorHandlerSpec& spec) {
  SendSpec out;
  out.topic = spec.destination(record.tp.topic);
  // DEFAULT_DESTINATION_RESOLVER: the same partition (the DLT needs at least as many).
  out.partition = record.tp.partition;
  if (record.record.has_key) out.key = record.record.key;
  out.value = record.record.value;
  out.value_bytes = record.record.value_bytes;
  out.headers = record.record.headers.list();
  auto add = [&out](const char* name, std::string value) { out.headers.push_back({name, std::move(value)}); };
  add("kafka_dlt-original-topic", record.tp.topic);
  add("kafka_dlt-original-partition", int_bytes(record.tp.partition));
  add("kafka_dlt-original-offset", long_bytes(record.offset));
  add("kafka_dlt-original-timestamp", long_bytes(record.record.timestamp_ms));
  add("kafka_dlt-original-timestamp-type", "CreateTime");
  add("kafka_dlt-original-consumer-group", group);
  add("kafka_dlt-exception-fqcn", kListenerFailedFqcn);
  add("kafka_dlt-exception-cause-fqcn", kListenerCauseFqcn);
  // buildMessage: the exception's message, "; ", then its root cause's.
  add("kafka_dlt-exception-message", "Listener failed; " + message);
  add("kafka_dlt-exception-stacktrace", std::string(kListenerFailedFqcn) + ": Listener failed\nCaused by: " +
                                            kListenerCauseFqcn + ": " + message + "\n");
  return out;
}

}  // namespace kafka
