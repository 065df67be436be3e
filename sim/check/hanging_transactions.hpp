#pragma once
// Hanging transactions (KIP-890's motivation): a transaction open at a partition leader that no
// marker will end pins the partition's last stable offset, and every read_committed consumer
// stops there for good. Reported as the anomaly "hanging-transaction" when the first unstable
// offset stood still for longer than transaction.max.timeout.ms (the coordinator aborts any
// transaction of its own by then), or when it still stood at the end of a drained run while
// the transaction's coordinator no longer had the partition in an open transaction: then
// nothing will ever send the marker.
#include <cstdint>
#include <vector>

#include "sim/check/jepsen.hpp"
#include "sim/check/liveness.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// Kafka's default transaction.max.timeout.ms (15 minutes).
inline constexpr int64_t kDefaultTxnMaxTimeoutNs = 900'000'000'000;

std::vector<Anomaly> hanging_transactions(const Timeline& timeline, const RunEnd& end, int64_t txn_max_timeout_ns);

}  // namespace check
