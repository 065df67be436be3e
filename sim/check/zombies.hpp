#pragma once
// Fenced zombies: the transactions a transaction coordinator fenced (txn.fence: a new instance
// called InitProducerId with the same transactional.id, or the transaction passed
// transaction.timeout.ms), and the check that none of their records is ever read by a
// read_committed consumer.
//
// A fence aborts the transactional id's open transaction at a bumped epoch
// (TransactionCoordinator.handleInitProducerId / abortTimedOutTransactions, both through
// prepareFenceProducerEpoch), so every record of that transaction, whenever it reached a
// partition, must stay invisible: the ABORT marker covers what was appended before it, and the
// partition leader refuses what comes after (INVALID_PRODUCER_EPOCH). The fenced transaction is
// the latest one of that producer id, at an older epoch, that sent records and had not ended
// when the coordinator fenced it (the client's own view: producer.txn_send, producer.txn_end).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"

namespace check {

struct FencedTxn {
  std::string transactional_id;
  std::string client;     // the zombie's process
  int64_t producer_id = -1;
  int64_t epoch = -1;     // the epoch the transaction began under
  int64_t txn = 0;        // its number at the client
  int64_t fenced_epoch = -1;  // the bumped epoch the coordinator aborted it at
  int64_t fence_ns = 0;
  std::string reason;     // InitProducerId or transaction.timeout.ms
  std::vector<std::pair<std::string, int64_t>> sends;  // (value, history op id) of its sends, in order
};

// One anomaly "fenced-zombie-read" per record of a fenced transaction that an ok poll of a
// read_committed consumer returned. `member_groups`: consumer process -> group id;
// `read_committed`: the groups with isolation.level=read_committed.
std::vector<Anomaly> fenced_zombie_reads(const History& history, const std::vector<FencedTxn>& fenced,
                                         const std::map<std::string, std::string>& member_groups,
                                         const std::set<std::string>& read_committed);

}  // namespace check
