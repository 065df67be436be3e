// The effects check (sim/check/effects.hpp) on hand-made traces: a record's effect in a store
// once, twice or never, writes that changed nothing not counted, and the expectation's verdict.
#include <gtest/gtest.h>

#include <memory>

#include "sim/check/effects.hpp"
#include "sim/check/verdict.hpp"
#include "broker_model/trace_schema.hpp"

using namespace check;

namespace {

// Acknowledged sends of (partition, value) at offsets 0, 1, ... per partition, as the history has them.
History acked(const std::vector<std::pair<std::string, std::string>>& sends) {
  History h;
  std::map<std::string, int64_t> next;
  for (const auto& [partition, value] : sends) {
    Op invoke;
    invoke.index = static_cast<int64_t>(h.ops.size());
    invoke.id = invoke.index;
    invoke.f = "send";
    invoke.process = "p";
    invoke.type = OpType::invoke;
    h.ops.push_back(invoke);
    Op ok = invoke;
    ok.index = static_cast<int64_t>(h.ops.size());
    ok.type = OpType::ok;
    ok.sends.push_back({partition, value, next[partition]++});
    h.ops.push_back(ok);
  }
  return h;
}

StoreWriteRecord write(const std::string& member, int64_t invocation, int64_t offset, const std::string& key, bool changed,
                       int64_t t_ms, const std::string& store = "read-model") {
  StoreWriteRecord w;
  w.store = store;
  w.key = key;
  w.op = "increment";
  w.value = "1";
  w.changed = changed;
  w.member = member;
  w.invocation = invocation;
  w.partition = "transfers-0";
  w.offset = offset;
  w.time_ns = t_ms * 1'000'000;
  return w;
}

struct Fixture {
  History h = acked({{"transfers-0", "e0"}, {"transfers-0", "e1"}, {"transfers-0", "e2"}});
  GroundTruth truth;
  Timeline timeline;
  Fixture() {
    truth.final_logs["transfers-0"] = {"e0", "e1", "e2"};
    truth.member_groups = {{"g-1", "g"}, {"g-2", "g"}, {"other-1", "other"}};
  }
  Evidence evidence() { return Evidence{h, {}, &truth, &timeline, {{"g", {{"transfers"}, true}}}, RunEnd{false, 100, 50}}; }
};

Expectation effects(const std::string& guarantee) {
  Expectation x;
  x.effects = guarantee;
  x.store = "read-model";
  x.group = "g";
  return x;
}

}  // namespace

TEST(EffectsCheck, CountsDistinctHandlerRunsThatChangedTheStore) {
  Fixture f;
  f.truth.store_writes = {
      write("g-1", 1, 0, "balance:a", true, 10),   // e0 once: two writes of one run
      write("g-1", 1, 0, "applied:e0", true, 10),
      write("g-1", 2, 1, "balance:b", true, 20),   // e1: by g-1 run 2, then again by g-2 after a crash
      write("g-2", 1, 1, "balance:b", true, 90),
      // e2: never changed the store
  };
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.records, 3);
  EXPECT_EQ(r.once, 1);
  EXPECT_EQ(r.twice, 1);
  EXPECT_EQ(r.never, 1);
  ASSERT_EQ(r.duplicated.size(), 1u);
  EXPECT_EQ(r.duplicated[0].label(), "e1@transfers-0:1");
  ASSERT_EQ(r.duplicated[0].runs.size(), 2u);
  EXPECT_EQ(r.duplicated[0].runs[1].member, "g-2");
  ASSERT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.missing[0].label(), "e2@transfers-0:2");
  EXPECT_FALSE(r.exactly_once());
  EXPECT_FALSE(r.at_least_once());
}

TEST(EffectsCheck, WritesThatChangedNothingDoNotCount) {
  Fixture f;
  f.truth.store_writes = {
      write("g-1", 1, 0, "applied:e0", true, 10),  write("g-1", 2, 1, "applied:e1", true, 11),
      write("g-1", 3, 2, "applied:e2", true, 12),
      // Redelivered after a crash: the idempotent handler's insert_if_absent found each key.
      write("g-2", 1, 0, "applied:e0", false, 80), write("g-2", 2, 1, "applied:e1", false, 81),
      write("g-2", 3, 2, "applied:e2", false, 82),
  };
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.once, 3);
  EXPECT_TRUE(r.exactly_once());
}

TEST(EffectsCheck, OnlyTheGroupsMembersAndTheNamedStoreCount) {
  Fixture f;
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("other-1", 1, 0, "k", true, 20),
                          write("g-2", 1, 0, "k", true, 30, "audit"), write("g-1", 2, 1, "k", true, 40),
                          write("g-1", 3, 2, "k", true, 50)};
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.once, 3);
  EXPECT_EQ(r.twice, 0);
}

TEST(EffectsCheck, ARecordInNoFinalLogIsNotJudged) {
  Fixture f;
  f.truth.final_logs["transfers-0"] = {"e0", "e1"};  // e2 lost from the log: the delivery check's business
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("g-1", 2, 1, "k", true, 20)};
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.records, 2);
  EXPECT_TRUE(r.exactly_once());
}

TEST(EffectsCheck, ExactlyOnceFailsOnATwiceAppliedEffectAndExplainsItInTimeOrder) {
  Fixture f;
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("g-1", 2, 1, "k", true, 20), write("g-1", 3, 2, "k", true, 30),
                          write("g-2", 1, 1, "k", true, 90)};
  f.timeline.nodes.push_back(NodeEvent{NodeEvent::Kind::crashed, 40'000'000, "g-1", {}});
  const Verdict v = judge(f.evidence(), {effects("exactly-once"), effects("at-least-once")});
  ASSERT_EQ(v.expectations.size(), 2u);
  const Judgement& once = v.expectations[0];
  EXPECT_EQ(once.name, "expect effects exactly-once in read-model (g)");
  EXPECT_FALSE(once.held);
  EXPECT_NE(once.detail.find("twice or more 1"), std::string::npos) << once.detail;
  EXPECT_NE(once.detail.find("e1@transfers-0:1 x2 [g-1 run 2"), std::string::npos) << once.detail;
  const size_t first = once.explanation.find("g-1's handler (run 2)"), crash = once.explanation.find("g-1 crashed"),
               again = once.explanation.find("g-2's handler (run 1)");
  ASSERT_NE(first, std::string::npos) << once.explanation;
  ASSERT_NE(crash, std::string::npos) << once.explanation;
  ASSERT_NE(again, std::string::npos) << once.explanation;
  EXPECT_LT(first, crash);
  EXPECT_LT(crash, again);
  EXPECT_TRUE(v.expectations[1].held) << "at least once: every record's effect is there";
}

// The anomaly duplicate-effect: every record two handler runs applied to any store the group's
// handlers changed, found whatever the scenario expects (so expect_anomaly can name it), with
// its explanation; writes that changed nothing, and another group's, are no duplicate.
TEST(EffectsCheck, ARecordAppliedTwiceIsTheDuplicateEffectAnomaly) {
  Fixture f;
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("g-1", 2, 1, "k", true, 20),
                          write("g-2", 1, 1, "k", true, 90),          // e1 again in read-model
                          write("g-1", 3, 2, "k", true, 30, "audit"), write("g-2", 2, 2, "k", true, 95, "audit"),  // e2 again in audit
                          write("g-2", 3, 0, "k", false, 96),         // e0 again, changing nothing
                          write("other-1", 1, 0, "k", true, 97)};     // another group
  f.timeline.nodes.push_back(NodeEvent{NodeEvent::Kind::crashed, 40'000'000, "g-1", {}});
  const auto found = duplicate_effects(f.h, f.truth, &f.timeline, "g", {"transfers"});
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].detail, "e2@transfers-0:2 applied 2 times to store audit by group g");
  EXPECT_EQ(found[1].detail, "e1@transfers-0:1 applied 2 times to store read-model by group g");
  EXPECT_EQ(found[1].value, "e1");
  EXPECT_EQ(found[1].offset, 1);
  EXPECT_NE(found[1].explanation.find("g-1 crashed"), std::string::npos) << found[1].explanation;
  EXPECT_TRUE(duplicate_effects(f.h, f.truth, nullptr, "other", {"transfers"}).empty());

  Expectation x;
  x.anomaly = "duplicate-effect";
  x.name = "expect_anomaly duplicate-effect";
  const Verdict v = judge(f.evidence(), {x});
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_TRUE(v.expectations[0].held) << v.expectations[0].detail;
  EXPECT_EQ(v.anomalies.anomalies.at("duplicate-effect").size(), 2u);
}

TEST(EffectsCheck, AtLeastOnceFailsOnAnEffectNeverApplied) {
  Fixture f;
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("g-1", 2, 1, "k", true, 20),
                          write("g-1", 3, 2, "applied:e2", false, 30)};
  f.truth.processed = {{"g", "g-1", "transfers-0", 2, "k", "e2", 30'000'000}};
  const Verdict v = judge(f.evidence(), {effects("at-least-once")});
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_FALSE(v.expectations[0].held);
  EXPECT_NE(v.expectations[0].detail.find("never: e2@transfers-0:2 x0"), std::string::npos) << v.expectations[0].detail;
  EXPECT_NE(v.expectations[0].explanation.find("changed nothing"), std::string::npos) << v.expectations[0].explanation;
}

TEST(EffectsCheck, NothingToJudgeIsVacuousAndANeverWithoutADrainIsNotJudged) {
  Fixture f;
  f.h = History{};
  Verdict v = judge(f.evidence(), {effects("exactly-once")});
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_FALSE(v.expectations[0].held);
  EXPECT_NE(v.expectations[0].detail.find("vacuous"), std::string::npos);

  Fixture cut;
  cut.truth.store_writes = {write("g-1", 1, 0, "k", true, 10)};
  Evidence e = cut.evidence();
  e.end = RunEnd{true, 100, -1};
  v = judge(e, {effects("exactly-once")});
  ASSERT_EQ(v.expectations.size(), 1u);
  EXPECT_FALSE(v.expectations[0].judged) << "records not yet applied in a cut run may only be late";
}

// The store.write events of a trace become the check's writes.
TEST(EffectsCheck, TheStoreSinkReadsStoreWrites) {
  StoreSink sink;
  sim::Trace trace;
  trace.add_sink(&sink);
  sim::schema::emit(trace, sim::Time{} + sim::Duration::millis(5), sim::kNoNode,
                    kafka::event::StoreWrite{.store = "read-model", .txn = 3, .client = "g-1", .op = "insert_if_absent",
                                             .key = "applied:e1", .value = "1", .changed = false, .member = "g-1",
                                             .topic = "transfers", .partition = 0, .offset = 7, .invocation = 12});
  ASSERT_EQ(sink.writes().size(), 1u);
  const StoreWriteRecord& w = sink.writes()[0];
  EXPECT_EQ(w.partition, "transfers-0");
  EXPECT_EQ(w.offset, 7);
  EXPECT_EQ(w.invocation, 12);
  EXPECT_FALSE(w.changed);
  EXPECT_EQ(w.time_ns, 5'000'000);
}

// An acknowledgement without an offset (acks=0): the record is found by its value in the logs.
TEST(EffectsCheck, ASendAcknowledgedWithoutAnOffsetIsFoundInTheFinalLog) {
  Fixture f;
  for (Op& op : f.h.ops)
    for (Send& s : op.sends) s.offset.reset();
  f.truth.replicas["transfers-0"].push_back(ReplicaLog{"broker-1", 3, {{0, "e0"}, {1, "e1"}, {2, "e2"}}});
  f.truth.store_writes = {write("g-1", 1, 0, "k", true, 10), write("g-1", 2, 1, "k", true, 20), write("g-1", 3, 2, "k", true, 30)};
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.records, 3);
  EXPECT_EQ(r.once, 3);
}

// Run numbers restart with the member's process (consumer.start): a member that crashed before
// committing and, restarted, ran its handler for the same records again under the same run
// numbers applied their effects twice, not once.
TEST(EffectsCheck, ARestartedMembersRunIsNotTheFirstProcesssRunOfTheSameNumber) {
  StoreSink sink;
  sim::Trace trace;
  trace.add_sink(&sink);
  auto at = [](int64_t t) { return sim::Time{} + sim::Duration::millis(t); };
  auto start = [&](int64_t t) {
    sim::schema::emit(trace, at(t), sim::kNoNode,
                      kafka::event::ConsumerStart{.member = "g-1", .group = "g", .member_id = "", .generation = -1, .detail = ""});
  };
  auto increment = [&](int64_t t, int64_t invocation, int64_t offset) {
    sim::schema::emit(trace, at(t), sim::kNoNode,
                      kafka::event::StoreWrite{.store = "read-model", .txn = t, .client = "g-1", .op = "increment",
                                               .key = "balance", .value = std::to_string(t), .changed = true, .member = "g-1",
                                               .topic = "transfers", .partition = 0, .offset = offset, .invocation = invocation});
  };
  start(0);
  increment(10, 1, 0);
  increment(20, 2, 1);  // then g-1 crashed before committing any offset
  start(50);
  increment(60, 1, 0);  // the restarted process starts again from e0: its runs 1 and 2 again
  increment(70, 2, 1);
  increment(80, 3, 2);
  ASSERT_EQ(sink.writes().size(), 5u);
  EXPECT_EQ(sink.writes()[0].life, 1);
  EXPECT_EQ(sink.writes()[2].life, 2);
  Fixture f;
  f.truth.store_writes = sink.writes();
  const EffectsReport r = analyze_effects(f.h, f.truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.records, 3);
  EXPECT_EQ(r.once, 1);
  EXPECT_EQ(r.twice, 2) << "e0 and e1 were each applied by a run of each of g-1's processes";
  ASSERT_EQ(r.duplicated.size(), 2u);
  EXPECT_EQ(r.duplicated[1].label(), "e1@transfers-0:1");
  ASSERT_EQ(r.duplicated[1].runs.size(), 2u);
  EXPECT_EQ(r.duplicated[1].runs[0].life, 1);
  EXPECT_EQ(r.duplicated[1].runs[1].life, 2);
}
