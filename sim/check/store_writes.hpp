#pragma once
// What the application's stores did, from the trace: every write a store applied (store.write),
// with the handler run that issued it. The effects check (effects.hpp) judges these.
#include <cstdint>
#include <string>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "sim/check/handler_runs.hpp"
#include "sim/trace.hpp"

namespace check {

struct StoreWriteRecord {
  std::string store;
  std::string key;
  std::string op;     // put, insert_if_absent, increment
  std::string value;  // the key's value after the write
  bool changed = false;
  // The handler run that issued it: the member, its process's start (handler_runs.hpp) and run
  // number, and the input record (a topic-partition key and offset). An empty member: not
  // issued by a handler.
  std::string member;
  int64_t life = 0;
  int64_t invocation = 0;
  std::string partition;
  int64_t offset = -1;
  int64_t txn = 0;      // the store's transaction number
  int64_t time_ns = 0;  // when the store applied it
};

class StoreSink final : public sim::TraceSink {
 public:
  using Reads = sim::schema::Reads<kafka::event::StoreWrite, kafka::event::ConsumerStart>;
  void write(const sim::Event& e) override;
  std::vector<StoreWriteRecord>& writes() { return writes_; }

 private:
  std::vector<StoreWriteRecord> writes_;  // in the order the stores applied them
  MemberLives lives_;
};

}  // namespace check
