#pragma once
// Spring Kafka's DefaultErrorHandler for a record listener, the parts that decide (the
// container's side, seeking and sleeping, is ApplicationLoop::handle_record_failure in
// broker_model/client/listener_error_handling.cpp):
//
//   BackOff             spring-framework's FixedBackOff and ExponentialBackOff: the interval to
//                       sleep before the next delivery, or STOP
//   FailedRecordTracker per partition, the record that failed last (its offset), how many times
//                       it was delivered, and its BackOffExecution (FailedRecordTracker.recovered)
//   dead_letter_record  what DeadLetterPublishingRecoverer publishes: the failed record to
//                       <topic>.DLT, same partition, with the kafka_dlt-* headers
//
// Spring's defaults: DefaultErrorHandler() uses SeekUtils.DEFAULT_BACK_OFF = FixedBackOff(0, 9),
// that is 10 deliveries in all, then the default recoverer logs the record and skips it.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "broker_model/client/fetch_buffer.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

// BackOffExecution.STOP.
constexpr int64_t kBackOffStop = -1;

// A BackOff as a scenario configures it (all times in ms, as Spring's).
struct BackOffSpec {
  enum class Kind { fixed, exponential };
  Kind kind = Kind::fixed;
  // FixedBackOff(interval, maxAttempts): maxAttempts counts the retries, not the deliveries
  // (nextBackOff returns the interval while ++currentAttempts <= maxAttempts).
  int64_t interval_ms = 0;
  int64_t max_attempts = 9;
  // ExponentialBackOff: DEFAULT_INITIAL_INTERVAL 2000, DEFAULT_MULTIPLIER 1.5,
  // DEFAULT_MAX_INTERVAL 30000, no limit on elapsed time or attempts by default.
  int64_t initial_ms = 2000;
  double multiplier = 1.5;
  int64_t max_interval_ms = 30'000;
  int64_t max_elapsed_ms = std::numeric_limits<int64_t>::max();

  static BackOffSpec fixed(int64_t interval_ms, int64_t max_attempts);
  static BackOffSpec exponential(int64_t initial_ms, double multiplier, int64_t max_interval_ms);
};

// BackOff.start(): one execution, asked for each interval in turn.
class BackOffExecution {
 public:
  explicit BackOffExecution(const BackOffSpec& spec) : spec_(spec) {}
  // The next interval in ms, or kBackOffStop (FixedBackOffExecution / ExponentialBackOffExecution.nextBackOff).
  int64_t next_backoff();

 private:
  int64_t next_fixed();
  int64_t next_exponential();

  BackOffSpec spec_;
  int64_t attempts_ = 0;
  int64_t current_interval_ = -1;  // ExponentialBackOffExecution.currentInterval (-1: none yet)
  int64_t elapsed_ = 0;            // ExponentialBackOffExecution.currentElapsedTime
};

// The group's error_handler = { ... }.
struct ErrorHandlerSpec {
  BackOffSpec backoff;
  // DeadLetterPublishingRecoverer instead of the logging recoverer.
  bool dead_letter = false;
  // Its destination; empty: <topic>.DLT (Spring Kafka up to 3.2's default resolver; 3.3 made it <topic>-dlt).
  std::string dead_letter_topic;

  std::string destination(const std::string& topic) const {
    return dead_letter_topic.empty() ? topic + ".DLT" : dead_letter_topic;
  }
};

// FailedRecordTracker: the delivery attempts of the record that failed last on each partition.
class FailedRecordTracker {
 public:
  explicit FailedRecordTracker(BackOffSpec backoff);

  struct Decision {
    bool recover;        // STOP: recover the record now
    int64_t backoff_ms;  // otherwise: sleep this long, then deliver it again
    int32_t attempts;    // deliveries so far, this one included
  };
  // FailedRecordTracker.recovered (without calling the recoverer): the record failed once more.
  Decision failed(const TopicPartition& tp, int64_t offset);
  // After the recoverer ran (or threw: resetStateOnRecoveryFailure, on by default), the
  // partition starts afresh.
  void forget(const TopicPartition& tp) { failures_.erase(tp); }
  // The next delivery attempt of a record (FailedRecordTracker.deliveryAttempt).
  int32_t delivery_attempt(const TopicPartition& tp, int64_t offset) const;

 private:
  struct FailedRecord {
    int64_t offset;
    BackOffExecution execution;
    int32_t attempts;
  };
  BackOffSpec backoff_;
  bool no_retries_;
  std::map<TopicPartition, FailedRecord> failures_;
};

// The exception Spring's container hands the error handler for a listener that threw
// RuntimeException(message): ListenerExecutionFailedException("Listener failed", group, cause)
// (KafkaMessageListenerContainer.decorateException).
inline constexpr const char* kListenerFailedFqcn = "org.springframework.kafka.listener.ListenerExecutionFailedException";
inline constexpr const char* kListenerCauseFqcn = "java.lang.RuntimeException";

// DeadLetterPublishingRecoverer.createProducerRecord with its headers: the record's own
// headers, then kafka_dlt-original-topic, -partition (4 bytes, big-endian), -offset and
// -timestamp (8 bytes), -timestamp-type, -consumer-group, then kafka_dlt-exception-fqcn,
// -cause-fqcn, -message and -stacktrace (maybeAddOriginalHeaders, addExceptionInfoHeaders).
SendSpec dead_letter_record(const ConsumerRecord& record, const std::string& group, const std::string& message,
                            const ErrorHandlerSpec& spec);

// Big-endian bytes of an int and a long, as ByteBuffer.putInt / putLong write them.
std::string int_bytes(int32_t v);
std::string long_bytes(int64_t v);

}  // namespace kafka
