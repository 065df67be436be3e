#pragma once
// A Jepsen-style history of client operations (jepsen.tests.kafka's model): each operation an
// invocation and a completion (ok, fail or info) by one process, carrying micro-operations:
// sends of a value to a key, and polls returning, per key, the (offset, value) pairs read.
// Keys are topic-partitions ("orders-0"); values are unique per key.
//
// The checker reads only histories (built from a run's trace, or parsed from a file recorded
// elsewhere) and the final state; it never reaches into the simulation.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace check {

enum class OpType { invoke, ok, fail, info };
std::string_view to_string(OpType t);

struct Send {
  std::string key;
  std::string value;
  std::optional<int64_t> offset;  // known on ok completions (and some info ones)
};

struct Read {
  int64_t offset;
  std::string value;
};

// A rebalance during an operation (Jepsen's :rebalance-log): partitions revoked from or assigned
// to the consumer. Keys named here are exempt from the internal poll checks of that operation.
struct Rebalance {
  std::string type;               // "revoked" or "assigned"
  std::vector<std::string> keys;
};

struct Op {
  int64_t index = 0;       // position in the history
  int64_t id = 0;          // shared by an operation's invocation and completion
  std::string process;
  OpType type = OpType::invoke;
  std::string f;           // "send", "poll", "txn", "assign", "subscribe"
  int64_t time_ns = 0;
  std::vector<Send> sends;                          // in order
  std::map<std::string, std::vector<Read>> polls;  // key -> reads in order
  std::vector<std::string> keys;                    // assign / subscribe: the keys
  std::vector<Rebalance> rebalance_log;             // completions: rebalances since the process's previous op

  // Jepsen's :txn carries both sends and polls; :send only sends, :poll only polls.
  bool writes() const { return f == "send" || f == "txn"; }
  bool reads() const { return f == "poll" || f == "txn"; }
};

struct History {
  std::vector<Op> ops;  // invocations and completions interleaved, in time order
  // Transactions (f = "txn" completions, and late sends of a fenced one), by completion index:
  // when and how the transaction ended, and when each of its sends was acknowledged, for
  // explanations. Not written to history files: there the completion's type says it.
  struct TxnOutcome {
    int64_t time_ns = 0;
    std::string told;  // "the coordinator on broker-2 fenced and aborted payments-1's transaction (...)"
    std::map<std::string, int64_t> acknowledged_ns;  // value -> when the leader acknowledged its send
  };
  std::map<int64_t, TxnOutcome> txn_outcomes;

  // Completions only (ok, fail, info), in history order; each carries its operation's micro-ops
  // with what the completion learned (offsets, polled records).
  std::vector<const Op*> completions() const {
    std::vector<const Op*> out;
    for (const Op& op : ops)
      if (op.type != OpType::invoke) out.push_back(&op);
    return out;
  }
};

}  // namespace check
