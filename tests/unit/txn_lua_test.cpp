// The transactional producer's Lua surface: p:begin, p:send_offsets, p:commit, p:abort, and
// the calls Kafka would refuse, which are the script's error with its file:line.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {

const char* kHead =
    "scenario { name = \"t\" }\n"
    "local c = cluster { brokers = 3 }\n"
    "c:topic(\"t\")\n";

// Runs kHead + body; expects a scenario error whose message holds `needle`.
void expect_error(const std::string& name, const std::string& body, const std::string& needle) {
  auto r = run_text(name, std::string(kHead) + body, {});
  EXPECT_EQ(r.exit_code, 2) << body;
  EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
}

}  // namespace

TEST(TxnLua, TransactionalCallsOnAPlainProducerAreErrors) {
  for (const char* call : {"begin()", "commit()", "abort()", "send_offsets(\"g\", {})"}) {
    expect_error("plain.lua", std::string("local p = c:producer(\"p\")\np:") + call + "\n",
                 std::string("plain.lua:5: ") + std::string(call).substr(0, std::string(call).find('(')) +
                     ": the producer 'p' has no transactional.id");
  }
}

TEST(TxnLua, CallsOutOfOrderAreErrorsNamingTheLine) {
  const std::string tx = "local p = c:producer(\"p\", { [\"transactional.id\"] = \"tx\" })\n";
  expect_error("twice.lua", tx + "p:begin()\np:begin()\n", "twice.lua:6: begin: a transaction is already open on 'p'");
  expect_error("offsets.lua", tx + "p:send_offsets(\"g\", { { topic = \"t\", partition = 0, offset = 1 } })\n",
               "offsets.lua:5: send_offsets: no transaction is open on 'p' (call p:begin() first)");
  expect_error("commit.lua", tx + "p:begin()\np:commit()\np:commit()\n", "commit.lua:7: commit: no transaction is open");
  expect_error("abort.lua", tx + "p:abort()\n", "abort.lua:5: abort: no transaction is open");
  expect_error("send.lua", tx + "p:send(\"t\", { value = \"x\" })\n", "send.lua:5: send: the producer 'p' is transactional");
  expect_error("load.lua", tx + "p:load { topic = \"t\" }\n", "load.lua:5: load: the producer 'p' is transactional");
}

TEST(TxnLua, OffsetsAreAListOfTopicPartitionOffset) {
  const std::string tx = "local p = c:producer(\"p\", { [\"transactional.id\"] = \"tx\" })\np:begin()\n";
  expect_error("shape.lua", tx + "p:send_offsets(\"g\", { [\"t-0\"] = 4 })\n", "shape.lua:6: send_offsets(group, offsets): offsets is a list");
  expect_error("key.lua", tx + "p:send_offsets(\"g\", { { topic = \"t\", partition = 0, offst = 4 } })\n",
               "did you mean 'offset'");
  expect_error("group.lua", tx + "p:send_offsets(42, { { topic = \"t\", partition = 0, offset = 4 } })\n",
               "group.lua:6: send_offsets(group, offsets): group is a group id");
}

TEST(TxnLua, TransactionalIdNeedsIdempotence) {
  expect_error("idem.lua",
               "local p = c:producer(\"p\", { [\"transactional.id\"] = \"tx\", [\"enable.idempotence\"] = false })\n",
               "Cannot set a transactional.id without also enabling idempotence.");
}

TEST(TxnLua, AWellOrderedScriptRuns) {
  auto r = run_text("ok.lua",
                    std::string(kHead) +
                        "local p = c:producer(\"p\", { [\"transactional.id\"] = \"tx\" })\n"
                        "at(\"1s\", function()\n"
                        "  p:begin()\n"
                        "  p:send(\"t\", { value = \"a\" })\n"
                        "  p:send_offsets(\"g\", { { topic = \"t\", partition = 0, offset = 1 } })\n"
                        "  p:commit()\n"
                        "  p:begin()\n"
                        "  p:abort()\n"
                        "end)\n",
                    {});
  EXPECT_EQ(r.exit_code, 0) << r.error;
}
