#pragma once
// The store's data and its transactions, apart from the node that serves them: a map of keys to
// values, and one transaction applied to it at a time, whole or not at all (serial execution on
// one node, so every transaction sees the ones before it and no other). The committed
// transactions are what the node writes to its disk; replaying them rebuilds the map, which is
// also how the scenario reads the durable state of a store (db:get, db:dump).
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "broker_model/app/store_messages.hpp"
#include "sim/disk.hpp"

namespace kafka {

// One write a transaction applied: the key's value after it, and whether it changed the state
// (a put of the value already there, or an insert_if_absent of a present key, did not).
struct StoreWrite {
  StoreOpKind kind = StoreOpKind::put;
  std::string key;
  std::string value;
  bool changed = false;
};

// What one transaction did: a result per operation and the writes, or an error and nothing.
struct StoreTxnOutcome {
  std::vector<StoreResult> results;
  std::vector<StoreWrite> writes;
  std::string error;  // not empty: refused, nothing applied
  bool changed() const {
    for (const StoreWrite& w : writes)
      if (w.changed) return true;
    return false;
  }
};

// The writes of a transaction not yet committed: its later statements see them, no one else
// does (PostgreSQL's own-writes visibility), until the commit makes them the store's state.
struct StoreTxnWork {
  std::map<std::string, std::string> staged;  // the keys it wrote, and their values now
  std::vector<StoreWrite> writes;             // every write, in order
  bool changed() const {
    for (const StoreWrite& w : writes)
      if (w.changed) return true;
    return false;
  }
};

// A committed transaction on the store's disk: the keys it changed and their new values.
struct StoreTxnEntry final : sim::DiskEntry {
  std::vector<std::pair<std::string, std::string>> changes;
  uint32_t size_bytes() const override {
    uint32_t n = 16;
    for (const auto& [k, v] : changes) n += static_cast<uint32_t>(k.size() + v.size() + 8);
    return n;
  }
};

class StoreState {
 public:
  // The store's one file: a log of its committed transactions.
  static constexpr const char* kFile = "store.log";

  // Applies `ops` in order, atomically, as a transaction of their own: on an error, the state
  // is as it was before.
  StoreTxnOutcome apply(const std::vector<StoreOp>& ops);
  // Runs `ops` in order as one statement of the open transaction `work`, over the committed
  // state; the outcome's writes are this statement's. On an error, `work` is as it was (a
  // failed statement leaves nothing of itself), and the state is untouched either way.
  StoreTxnOutcome execute(StoreTxnWork& work, const std::vector<StoreOp>& ops) const;
  // COMMIT: `work`'s writes become the state.
  void commit(const StoreTxnWork& work);
  // Replays committed transactions (a recovery, or a read of the durable state).
  void replay(std::span<const sim::DiskEntryPtr> entries);

  std::optional<std::string> get(const std::string& key) const;
  // Every key and its value, in key order.
  const std::map<std::string, std::string>& data() const { return data_; }

 private:
  std::map<std::string, std::string> data_;
};

// An increment's operand read from a stored value: the whole of it a decimal int64, or none.
std::optional<int64_t> parse_counter(const std::string& value);

}  // namespace kafka
