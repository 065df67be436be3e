#pragma once
// How transaction state is stored in __transaction_state (kafka.coordinator.transaction.
// TransactionLog): one record per transition, keyed by the transactional id (TransactionLogKey),
// whose value holds TransactionLogValue's fields. The topic is compacted in Kafka, so the last
// record of an id is its state; loading replays the records in order to the same end.
#include <map>
#include <set>
#include <optional>
#include <string>

#include "broker_model/log/record_batch.hpp"
#include "broker_model/txn/transaction_metadata.hpp"

namespace kafka {

inline constexpr const char* kTransactionStateTopic = "__transaction_state";

// TransactionLog.keyToBytes and valueToBytes, as text.
Record transaction_record(const std::string& transactional_id, const TxnTransitMetadata& t);
// TransactionLog.readTxnRecordKey/Value: the id and its state; empty for a record that is not
// a transaction's. As in Kafka, the last producer epoch is not stored (loaded as -1).
std::optional<std::pair<std::string, TxnTransitMetadata>> read_transaction_record(const Record& r);

}  // namespace kafka
