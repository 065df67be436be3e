#include "broker_model/txn/transaction_state.hpp"

#include <array>
#include <initializer_list>

namespace kafka {

namespace {
constexpr std::array<std::string_view, 8> kNames = {"Empty",          "Ongoing",       "PrepareCommit", "PrepareAbort",
                                                    "CompleteCommit", "CompleteAbort", "Dead",          "PrepareEpochFence"};

bool one_of(TransactionState s, std::initializer_list<TransactionState> states) {
  for (TransactionState t : states)
    if (s == t) return true;
  return false;
}
}  // namespace

std::string_view to_string(TransactionState s) { return kNames.at(static_cast<size_t>(s)); }

bool parse_txn_state(std::string_view name, TransactionState& out) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] != name) continue;
    out = static_cast<TransactionState>(i);
    return true;
  }
  return false;
}

bool is_valid_transition(TransactionState from, TransactionState to) {
  using S = TransactionState;
  switch (to) {
    case S::empty: return one_of(from, {S::empty, S::complete_commit, S::complete_abort});
    case S::ongoing: return one_of(from, {S::ongoing, S::empty, S::complete_commit, S::complete_abort});
    case S::prepare_commit: return from == S::ongoing;
    case S::prepare_abort: return one_of(from, {S::ongoing, S::prepare_epoch_fence});
    case S::complete_commit: return from == S::prepare_commit;
    case S::complete_abort: return from == S::prepare_abort;
    case S::dead: return one_of(from, {S::empty, S::complete_abort, S::complete_commit});
    case S::prepare_epoch_fence: return from == S::ongoing;
  }
  return false;
}

bool has_open_transaction(TransactionState s) {
  return one_of(s, {TransactionState::ongoing, TransactionState::prepare_commit, TransactionState::prepare_abort});
}

}  // namespace kafka
