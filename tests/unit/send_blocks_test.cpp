// KafkaProducer.send blocks in waitOnMetadata until the record's partition is known: the
// application's thread makes no other call meanwhile. A script's p:send and a load's thread
// both wait, for any producer (transactional or not).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

namespace {

using kafkasim_test::run_text;

// The times of `process`'s sends (op.invoke) and of its first ProduceRequest.
struct Sends {
  std::vector<int64_t> invoked;
  int64_t first_produce = -1;
};

Sends sends_of(const sim::MemorySink& trace, const std::string& process) {
  Sends s;
  sim::NodeId node = sim::kNoNode;
  for (const sim::StoredEvent& e : trace.events()) {
    if (e.kind == "producer.start" && e.text("client_id") == process) node = e.node;
    if (e.kind == "op.invoke" && e.text("process") == process && e.text("f") == "send") s.invoked.push_back(e.time.ns);
    if (e.kind == "net.send" && e.node == node && e.text("msg") == "ProduceRequest" && s.first_produce < 0)
      s.first_produce = e.time.ns;
  }
  return s;
}

}  // namespace

TEST(SendBlocksOnMetadata, TheApplicationsNextSendWaitsUntilTheFirstReturns) {
  sim::MemorySink trace;
  sim::lua::RunOptions o;
  o.sinks = {&trace};
  const auto r = run_text("send_blocks.lua", R"(
scenario { name = "send blocks", duration = "2s" }
local c = cluster { brokers = 1 }
c:topic("t", { partitions = 1, replication_factor = 1 })
local p = c:producer("p", {})
local q = c:producer("q", {})
at("0s", function() p:send("t", { value = "a" }); p:send("t", { value = "b" }) end)
q:load { topic = "t", rate = 1000, count = 20 }
)",
                          o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  // Both producers start before the cluster can tell them the topic's partitions.
  const Sends p = sends_of(trace, "p");
  ASSERT_EQ(p.invoked.size(), 2u);
  ASSERT_GT(p.first_produce, p.invoked[0]) << "the first send waited for metadata";
  EXPECT_GE(p.invoked[1], p.first_produce - 1'000'000) << "the script's second send came once the first returned";
  const Sends q = sends_of(trace, "q");
  ASSERT_EQ(q.invoked.size(), 20u);
  int waiting = 0;
  for (int64_t t : q.invoked) waiting += t < q.first_produce - 1'000'000;
  EXPECT_EQ(waiting, 1) << "a load's thread sends nothing more while its send waits in waitOnMetadata";
}
