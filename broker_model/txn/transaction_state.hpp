#pragma once
// A transactional id's state at its coordinator, with Kafka's legal transitions
// (kafka.coordinator.transaction.TransactionState and each state's validPreviousStates).
//
//   Empty ──AddPartitions──► Ongoing ──EndTxn──► PrepareCommit ──markers──► CompleteCommit
//     ▲                        │  ▲    └──────► PrepareAbort  ──markers──► CompleteAbort
//     │                        │  └─ more partitions           ▲
//     │                        └─► PrepareEpochFence ──────────┘ (InitProducerId or a timeout
//     └── InitProducerId from Empty, CompleteCommit, CompleteAbort      fences the producer)
//
// PrepareEpochFence is never written to the log: it is the pending state of a fence, which
// becomes PrepareAbort at the bumped epoch. Dead (an expired transactional id) is declared for
// completeness; expiration is not modelled (docs/fidelity.md).
#include <cstdint>
#include <string_view>

namespace kafka {

enum class TransactionState : uint8_t {
  empty,
  ongoing,
  prepare_commit,
  prepare_abort,
  complete_commit,
  complete_abort,
  dead,
  prepare_epoch_fence,
};

// Kafka's name of a state (TransactionState.name): "Empty", "Ongoing", "PrepareCommit"...
std::string_view to_string(TransactionState s);
// The state a name stands for (loading the log); false when it names none.
bool parse_txn_state(std::string_view name, TransactionState& out);

// TransactionState.validPreviousStates: whether `to` may follow `from`.
bool is_valid_transition(TransactionState from, TransactionState to);

// Ongoing, PrepareCommit, PrepareAbort: a transaction is open or ending (hasPendingTransaction).
bool has_open_transaction(TransactionState s);

}  // namespace kafka
