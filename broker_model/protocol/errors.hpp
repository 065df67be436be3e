#pragma once
// Kafka's error codes (org.apache.kafka.common.protocol.Errors), by their wire numbers.
#include <cstdint>
#include <string_view>

namespace kafka {

enum class Error : int16_t {
  UNKNOWN_SERVER_ERROR = -1,
  NONE = 0,
  OFFSET_OUT_OF_RANGE = 1,
  CORRUPT_MESSAGE = 2,
  UNKNOWN_TOPIC_OR_PARTITION = 3,
  LEADER_NOT_AVAILABLE = 5,
  NOT_LEADER_OR_FOLLOWER = 6,
  REQUEST_TIMED_OUT = 7,
  BROKER_NOT_AVAILABLE = 8,
  NETWORK_EXCEPTION = 13,
  COORDINATOR_LOAD_IN_PROGRESS = 14,
  COORDINATOR_NOT_AVAILABLE = 15,
  NOT_COORDINATOR = 16,
  NOT_ENOUGH_REPLICAS = 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
  ILLEGAL_GENERATION = 22,
  INCONSISTENT_GROUP_PROTOCOL = 23,
  UNKNOWN_MEMBER_ID = 25,
  INVALID_SESSION_TIMEOUT = 26,
  REBALANCE_IN_PROGRESS = 27,
  NOT_CONTROLLER = 41,
  INVALID_REQUEST = 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
  DUPLICATE_SEQUENCE_NUMBER = 46,
  INVALID_PRODUCER_EPOCH = 47,
  INVALID_TXN_STATE = 48,
  INVALID_PRODUCER_ID_MAPPING = 49,
  INVALID_TRANSACTION_TIMEOUT = 50,
  CONCURRENT_TRANSACTIONS = 51,
  TRANSACTION_COORDINATOR_FENCED = 52,
  OPERATION_NOT_ATTEMPTED = 55,
  UNKNOWN_PRODUCER_ID = 59,
  FENCED_LEADER_EPOCH = 74,
  UNKNOWN_LEADER_EPOCH = 75,
  STALE_BROKER_EPOCH = 77,
  OFFSET_NOT_AVAILABLE = 78,
  MEMBER_ID_REQUIRED = 79,
  FENCED_INSTANCE_ID = 82,
  INVALID_RECORD = 87,
  UNSTABLE_OFFSET_COMMIT = 88,
  PRODUCER_FENCED = 90,
  INVALID_UPDATE_VERSION = 95,
  DUPLICATE_BROKER_REGISTRATION = 101,
  INELIGIBLE_REPLICA = 107,
  TRANSACTION_ABORTABLE = 120,
  // Not a broker error: what the client reports when a request's connection broke or its
  // response never came (the Java client's NetworkException / TimeoutException).
  CLIENT_DISCONNECTED = -100,
  CLIENT_TIMEOUT = -101,
  // delivery.timeout.ms passed before the record's outcome was known (TimeoutException:
  // "Expiring N record(s) ... since batch creation").
  CLIENT_DELIVERY_TIMEOUT = -102,
  // A transactional producer dropped the batch unsent because its transaction is aborting
  // (TransactionAbortedException, from RecordAccumulator.abortUndrainedBatches).
  CLIENT_TRANSACTION_ABORTED = -103,
  // A transactional producer's batches expired with their sequences unacknowledged, and nothing
  // of the partition is in flight to resolve them (TransactionManager.maybeResolveSequences'
  // KafkaException "... It is safe to abort the transaction and continue.").
  CLIENT_UNRESOLVED_SEQUENCE = -104,
};

std::string_view error_name(Error e);

// Whether the Java client retries a request that failed with e (RetriableException).
bool is_retriable(Error e);

// Whether the client must refresh metadata after e (InvalidMetadataException and friends).
bool needs_metadata_refresh(Error e);

}  // namespace kafka
