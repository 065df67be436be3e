// processing_guarantee = "exactly_once" (EOS v1, Kafka Streams' EXACTLY_ONCE_ALPHA): refused
// from Kafka 4.0 (KIP-732), a transactional producer per input partition with the partition's
// transactional.id, sends only from a record's task, and the zombie fenced by the task's
// transactional.id rather than by the group's generation.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {

// Counts the events of one kind whose field `key` holds `value` (all of the kind without a key).
class CountSink final : public sim::TraceSink {
 public:
  CountSink(std::string kind, std::string key = {}, std::string value = {}, bool contains = false)
      : kind_(std::move(kind)), key_(std::move(key)), value_(std::move(value)), contains_(contains) {}
  void write(const sim::Event& e) override {
    if (e.kind != kind_) return;
    const sim::StoredEvent s(e);
    if (key_.empty()) {
      ++count;
      return;
    }
    const std::string v(s.text(key_));
    if (contains_ ? v.find(value_) != std::string::npos : v == value_) ++count;
  }
  size_t count = 0;

 private:
  std::string kind_, key_, value_;
  bool contains_;
};

// A pipeline in -> out through group "g" (two members) under exactly_once on Kafka `version`,
// with `extra` in the group's options.
std::string pipeline(const std::string& version, const std::string& extra = "",
                     const std::string& handler = "app:send(\"out\", { value = \"o-\" .. rec.value })") {
  return R"(
scenario { name = "eos1", duration = "20s", seed = 3, kafka_version = ")" + version + R"(" }
local c = cluster { brokers = 3 }
c:topic("in", { partitions = 2, replication_factor = 3 })
c:topic("out", { partitions = 2, replication_factor = 3 })
c:group("g", { members = 2, topics = { "in" }, ["auto.offset.reset"] = "earliest", processing_guarantee = "exactly_once",
  on_record = function(rec, app) )" + handler + R"( end, )" + extra + R"( })
c:group("reader", { topics = { "out" }, ["auto.offset.reset"] = "earliest", ["isolation.level"] = "read_committed",
                    commit = "after-process" })
expect { group = "reader", delivery = "exactly-once" }
expect { exactly_once = { group = "g", input = "in", output = "out" } }
local api = c:producer("api", {})
at("7s", function() api:load { topic = "in", rate = 50, count = 300 } end)
)";
}

sim::lua::RunResult run(const std::string& text, std::vector<sim::TraceSink*> sinks = {}) {
  sim::lua::RunOptions o;
  o.sinks = std::move(sinks);
  return run_text("eos1.lua", text, o);
}

}  // namespace

TEST(EosV1Lua, RefusedFromKafka40WithKip732AndAcceptedBefore) {
  auto r = run(pipeline("4.0"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("removed in Kafka 4.0 (KIP-732"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("eos1.lua:6"), std::string::npos) << r.error;
  r = run(pipeline("3.9"));
  EXPECT_EQ(r.exit_code, 0) << r.error;
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
}

TEST(EosV1Lua, EachInputPartitionHasItsOwnProducerAndTransactionalId) {
  // ActiveTaskCreator: applicationId-taskId; here <group>-tx-<topic>-<partition>, or the
  // producer's transactional.id as the prefix. No per-member id as under v2.
  CountSink task0("producer.txn_state", "transactional_id", "g-tx-in-0");
  CountSink task1("producer.txn_state", "transactional_id", "g-tx-in-1");
  CountSink member0("producer.txn_state", "transactional_id", "g-tx-0");
  CountSink committed("producer.txn_end", "outcome", "committed");
  auto r = run(pipeline("3.9", "processing_time = \"2ms\""), {&task0, &task1, &member0, &committed});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_GT(task0.count, 0u);
  EXPECT_GT(task1.count, 0u);
  EXPECT_EQ(member0.count, 0u);
  EXPECT_GT(committed.count, 20u);
  CountSink prefixed("producer.txn_state", "transactional_id", "pay-in-1");
  r = run(pipeline("3.9", "producer = { [\"transactional.id\"] = \"pay-\" }"), {&prefixed});
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_GT(prefixed.count, 0u);
}

TEST(EosV1Lua, SendsFromNoRecordHaveNoTask) {
  // An exception from onPartitionsAssigned is logged and the loop goes on.
  CountSink refused_assigned("consumer.error", "detail", "has no task under processing_guarantee", true);
  auto r = run(pipeline("3.9", "on_assigned = function(parts, app) app:send(\"out\", { value = \"x\" }) end"),
               {&refused_assigned});
  EXPECT_EQ(r.exit_code, 0) << r.error;
  EXPECT_GT(refused_assigned.count, 0u);
  const std::string every = R"(app.state.t = app.state.t or app:every("1s", function() app:send("out", { value = "tick" }) end);
    app:send("out", { value = "o-" .. rec.value }))";
  CountSink refused("consumer.error", "detail", "has no task under processing_guarantee", true);
  r = run(pipeline("3.9", "", every), {&refused});
  EXPECT_GT(refused.count, 0u);
}

TEST(EosV1Lua, ExactlyOnceHoldsThroughTheCrashAndTheZombieOnEverySeed) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    sim::lua::RunOptions o;
    o.path = source_path("scenarios/teaching/16_exactly_once_pipeline_v1.lua");
    o.seed = seed;
    CountSink fenced("consumer.fatal", "detail", "PRODUCER_FENCED", true);
    o.sinks = {&fenced};
    const auto r = sim::lua::run_scenario(o);
    ASSERT_NE(r.exit_code, 2) << r.error;
    int judged = 0;
    for (const auto& c : r.checks) {
      if (c.name.find("G1a") != std::string::npos) continue;  // whether the zombie wrote depends on the seed
      ++judged;
      EXPECT_TRUE(c.held) << "seed " << seed << ": " << c.name << ": " << c.detail;
    }
    EXPECT_EQ(judged, 2) << "seed " << seed;
    // The zombie is stopped by its task producer's epoch: its offsets carry no generation.
    if (seed == 1) {
      EXPECT_EQ(fenced.count, 1u);
    }
  }
}
