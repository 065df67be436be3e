#include "broker_model/protocol/errors.hpp"

namespace kafka {

std::string_view error_name(Error e) {
  switch (e) {
    case Error::NONE: return "NONE";
    case Error::OFFSET_OUT_OF_RANGE: return "OFFSET_OUT_OF_RANGE";
    case Error::CORRUPT_MESSAGE: return "CORRUPT_MESSAGE";
    case Error::UNKNOWN_TOPIC_OR_PARTITION: return "UNKNOWN_TOPIC_OR_PARTITION";
    case Error::LEADER_NOT_AVAILABLE: return "LEADER_NOT_AVAILABLE";
    case Error::NOT_LEADER_OR_FOLLOWER: return "NOT_LEADER_OR_FOLLOWER";
    case Error::REQUEST_TIMED_OUT: return "REQUEST_TIMED_OUT";
    case Error::BROKER_NOT_AVAILABLE: return "BROKER_NOT_AVAILABLE";
    case Error::NETWORK_EXCEPTION: return "NETWORK_EXCEPTION";
    case Error::COORDINATOR_LOAD_IN_PROGRESS: return "COORDINATOR_LOAD_IN_PROGRESS";
    case Error::COORDINATOR_NOT_AVAILABLE: return "COORDINATOR_NOT_AVAILABLE";
    case Error::NOT_COORDINATOR: return "NOT_COORDINATOR";
    case Error::NOT_ENOUGH_REPLICAS: return "NOT_ENOUGH_REPLICAS";
    case Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND: return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    case Error::ILLEGAL_GENERATION: return "ILLEGAL_GENERATION";
    case Error::INCONSISTENT_GROUP_PROTOCOL: return "INCONSISTENT_GROUP_PROTOCOL";
    case Error::UNKNOWN_MEMBER_ID: return "UNKNOWN_MEMBER_ID";
    case Error::INVALID_SESSION_TIMEOUT: return "INVALID_SESSION_TIMEOUT";
    case Error::REBALANCE_IN_PROGRESS: return "REBALANCE_IN_PROGRESS";
    case Error::NOT_CONTROLLER: return "NOT_CONTROLLER";
    case Error::INVALID_REQUEST: return "INVALID_REQUEST";
    case Error::OUT_OF_ORDER_SEQUENCE_NUMBER: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case Error::DUPLICATE_SEQUENCE_NUMBER: return "DUPLICATE_SEQUENCE_NUMBER";
    case Error::INVALID_PRODUCER_EPOCH: return "INVALID_PRODUCER_EPOCH";
    case Error::UNKNOWN_PRODUCER_ID: return "UNKNOWN_PRODUCER_ID";
    case Error::FENCED_LEADER_EPOCH: return "FENCED_LEADER_EPOCH";
    case Error::UNKNOWN_LEADER_EPOCH: return "UNKNOWN_LEADER_EPOCH";
    case Error::STALE_BROKER_EPOCH: return "STALE_BROKER_EPOCH";
    case Error::OFFSET_NOT_AVAILABLE: return "OFFSET_NOT_AVAILABLE";
    case Error::MEMBER_ID_REQUIRED: return "MEMBER_ID_REQUIRED";
    case Error::FENCED_INSTANCE_ID: return "FENCED_INSTANCE_ID";
    case Error::INVALID_UPDATE_VERSION: return "INVALID_UPDATE_VERSION";
    case Error::DUPLICATE_BROKER_REGISTRATION: return "DUPLICATE_BROKER_REGISTRATION";
    case Error::INELIGIBLE_REPLICA: return "INELIGIBLE_REPLICA";
    case Error::UNKNOWN_SERVER_ERROR: return "UNKNOWN_SERVER_ERROR";
    case Error::INVALID_TXN_STATE: return "INVALID_TXN_STATE";
    case Error::INVALID_PRODUCER_ID_MAPPING: return "INVALID_PRODUCER_ID_MAPPING";
    case Error::INVALID_TRANSACTION_TIMEOUT: return "INVALID_TRANSACTION_TIMEOUT";
    case Error::CONCURRENT_TRANSACTIONS: return "CONCURRENT_TRANSACTIONS";
    case Error::TRANSACTION_COORDINATOR_FENCED: return "TRANSACTION_COORDINATOR_FENCED";
    case Error::OPERATION_NOT_ATTEMPTED: return "OPERATION_NOT_ATTEMPTED";
    case Error::INVALID_RECORD: return "INVALID_RECORD";
    case Error::UNSTABLE_OFFSET_COMMIT: return "UNSTABLE_OFFSET_COMMIT";
    case Error::PRODUCER_FENCED: return "PRODUCER_FENCED";
    case Error::TRANSACTION_ABORTABLE: return "TRANSACTION_ABORTABLE";
    case Error::CLIENT_DISCONNECTED: return "NETWORK_EXCEPTION (disconnected)";
    case Error::CLIENT_TIMEOUT: return "TIMEOUT (no response)";
    case Error::CLIENT_DELIVERY_TIMEOUT: return "TIMEOUT (delivery.timeout.ms expired)";
    case Error::CLIENT_TRANSACTION_ABORTED: return "TRANSACTION_ABORTED (dropped unsent: the transaction aborts)";
    case Error::CLIENT_UNRESOLVED_SEQUENCE: return "KafkaException (unacknowledged batches can no longer be retried: safe to abort)";
  }
  return "UNKNOWN_SERVER_ERROR";
}

bool needs_metadata_refresh(Error e) {
  switch (e) {
    case Error::UNKNOWN_TOPIC_OR_PARTITION:
    case Error::LEADER_NOT_AVAILABLE:
    case Error::NOT_LEADER_OR_FOLLOWER:
    case Error::FENCED_LEADER_EPOCH:
    case Error::UNKNOWN_LEADER_EPOCH:
    case Error::CLIENT_DISCONNECTED:
    case Error::CLIENT_TIMEOUT:
      return true;
    default:
      return false;
  }
}

bool is_retriable(Error e) {
  // An error that sends the client back to its metadata is retried once it has it (Kafka's
  // InvalidMetadataException is a RetriableException, as is UnknownLeaderEpochException; a lost
  // connection or a request with no answer is retried too).
  if (needs_metadata_refresh(e)) return true;
  switch (e) {
    case Error::CORRUPT_MESSAGE:
    case Error::REQUEST_TIMED_OUT:
    case Error::NETWORK_EXCEPTION:
    case Error::COORDINATOR_LOAD_IN_PROGRESS:
    case Error::COORDINATOR_NOT_AVAILABLE:
    case Error::NOT_COORDINATOR:
    case Error::NOT_ENOUGH_REPLICAS:
    case Error::NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case Error::OFFSET_NOT_AVAILABLE:  // OffsetNotAvailableException (KIP-207)
    case Error::CONCURRENT_TRANSACTIONS:  // ConcurrentTransactionsException
    case Error::UNSTABLE_OFFSET_COMMIT:   // UnstableOffsetCommitException (KIP-447)
      return true;
    default:
      return false;
  }
}

}  // namespace kafka
