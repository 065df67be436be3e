#pragma once
// The transactional producer's states and the transitions Kafka allows between them
// (TransactionManager.State and State.isTransitionValid, clients/ 2.8 to 4.0, unchanged there).
// Every state change of the client goes through is_transition_valid: an illegal one is a bug in
// the model, asserted, never a silent jump.
#include <string_view>

namespace kafka {

enum class TxnState {
  UNINITIALIZED,
  INITIALIZING,
  READY,
  IN_TRANSACTION,
  COMMITTING_TRANSACTION,
  ABORTING_TRANSACTION,
  ABORTABLE_ERROR,
  FATAL_ERROR,
};

std::string_view txn_state_name(TxnState s);

// TransactionManager.State.isTransitionValid.
constexpr bool is_transition_valid(TxnState source, TxnState target) {
  using S = TxnState;
  switch (target) {
    case S::UNINITIALIZED: return source == S::READY || source == S::ABORTABLE_ERROR;
    case S::INITIALIZING: return source == S::UNINITIALIZED || source == S::ABORTING_TRANSACTION;
    case S::READY:
      return source == S::INITIALIZING || source == S::COMMITTING_TRANSACTION || source == S::ABORTING_TRANSACTION;
    case S::IN_TRANSACTION: return source == S::READY;
    case S::COMMITTING_TRANSACTION: return source == S::IN_TRANSACTION;
    case S::ABORTING_TRANSACTION: return source == S::IN_TRANSACTION || source == S::ABORTABLE_ERROR;
    case S::ABORTABLE_ERROR:
      return source == S::IN_TRANSACTION || source == S::COMMITTING_TRANSACTION || source == S::ABORTABLE_ERROR ||
             source == S::INITIALIZING;
    case S::FATAL_ERROR: return true;  // from anywhere; nothing leaves it
  }
  return false;
}

}  // namespace kafka
