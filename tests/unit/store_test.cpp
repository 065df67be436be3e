// The application's store node (broker_model/app/store.hpp) and the client a process calls it
// with (store_client.hpp): transactions applied whole and in order, increments and
// insert_if_absent as a database runs them, durability across a crash, and the outcomes a
// caller sees when the reply is lost (a crash, a pause past the request timeout).
#include "sim/check/effects.hpp"
#include "store_world.hpp"

namespace {

using namespace store_test;

class StoreTest : public ::testing::Test, public StoreWorld {};

TEST_F(StoreTest, ATransactionAppliesItsOperationsInOrderAndAnswersEach) {
  auto c = call_and_wait({put("a", "1"), incr("n", 5), insert("a", "9"), get("a"), incr("n", 2), get("missing")});
  ASSERT_EQ(c->reply->outcome, StoreCallOutcome::ok);
  const auto& r = c->reply->results;
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[1].value, "5");        // an absent counter counts from 0
  EXPECT_FALSE(r[2].inserted);       // the tx sees its own put: ON CONFLICT DO NOTHING
  EXPECT_EQ(r[3].value, "1");
  EXPECT_EQ(r[4].value, "7");
  EXPECT_EQ(r[5].value, std::nullopt);
  EXPECT_EQ(node()->state().get("a"), "1");
  EXPECT_EQ(node()->state().get("n"), "7");
}

TEST_F(StoreTest, ARefusedTransactionAppliesNothing) {
  call_and_wait({put("word", "abc")});
  auto c = call_and_wait({put("y", "1"), incr("n", 1), incr("word", 1)});
  EXPECT_EQ(c->reply->outcome, StoreCallOutcome::refused);
  EXPECT_NE(c->reply->error.find("not an integer"), std::string::npos) << c->reply->error;
  EXPECT_EQ(node()->state().get("y"), std::nullopt);
  EXPECT_EQ(node()->state().get("n"), std::nullopt);
  EXPECT_EQ(trace.of_kind("store.refused").size(), 1u);
  EXPECT_EQ(trace.of_kind("store.write").size(), 1u);  // only the first transaction's put
  auto overflow = call_and_wait({incr("big", INT64_MAX), incr("big", 1)});
  EXPECT_EQ(overflow->reply->outcome, StoreCallOutcome::refused);
  EXPECT_EQ(node()->state().get("big"), std::nullopt);
}

TEST_F(StoreTest, InsertIfAbsentInsertsOnceAndTracesWhetherItChangedTheState) {
  auto first = call_and_wait({insert("applied:e1", "1")});
  auto second = call_and_wait({insert("applied:e1", "2")});
  auto same = call_and_wait({put("applied:e1", "1")});
  EXPECT_TRUE(first->reply->results[0].inserted);
  EXPECT_FALSE(second->reply->results[0].inserted);
  EXPECT_EQ(node()->state().get("applied:e1"), "1");
  const auto writes = trace.of_kind("store.write");
  ASSERT_EQ(writes.size(), 3u);
  EXPECT_EQ(writes[0]->integer("changed"), 1);
  EXPECT_EQ(writes[1]->integer("changed"), 0);
  EXPECT_EQ(writes[1]->text("value"), "1");  // the value that stays
  EXPECT_EQ(writes[2]->integer("changed"), 0);  // a put of the value already there
  (void)same;
}

TEST_F(StoreTest, EveryWriteIsTracedWithTheHandlerRunThatIssuedIt) {
  kafka::StoreOrigin origin{"projector-1", kafka::TopicPartition{"transfers", 2}, 41, 17};
  call_and_wait({get("balance:alice"), incr("balance:alice", 10), put("offset:transfers-2", "42")}, origin);
  const auto writes = trace.of_kind("store.write");
  ASSERT_EQ(writes.size(), 2u);  // reads are not traced
  for (const auto* e : writes) {
    EXPECT_EQ(e->text("store"), "read-model");
    EXPECT_EQ(e->text("client"), "app");
    EXPECT_EQ(e->text("member"), "projector-1");
    EXPECT_EQ(e->text("topic"), "transfers");
    EXPECT_EQ(e->integer("partition"), 2);
    EXPECT_EQ(e->integer("offset"), 41);
    EXPECT_EQ(e->integer("invocation"), 17);
    EXPECT_EQ(e->integer("txn"), 0);  // one transaction
  }
  EXPECT_EQ(writes[0]->text("op"), "increment");
  EXPECT_EQ(writes[0]->text("value"), "10");
}

TEST_F(StoreTest, TheReplyLeavesAfterTheLatency) {
  const Time sent = w.now();
  auto c = call_and_wait({put("a", "1")});
  StoreWorld fast(Duration::micros(1));
  const Time fast_sent = fast.w.now();
  auto f = fast.call_and_wait({put("a", "1")});
  // Same network, same seed: the difference is the store's latency.
  EXPECT_EQ((c->at - sent) - (f->at - fast_sent), Duration::millis(2) - Duration::micros(1));
}

TEST_F(StoreTest, ACommittedTransactionSurvivesACrash) {
  call_and_wait({put("a", "1"), incr("n", 3)});
  call_and_wait({incr("n", 4)});
  w.crash(store);
  EXPECT_EQ(durable("n"), "7");
  w.restart(store);
  w.run_until(w.now() + Duration::millis(1));
  EXPECT_EQ(node()->state().get("a"), "1");
  EXPECT_EQ(node()->state().get("n"), "7");
  const auto starts = trace.of_kind("store.start");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[1]->integer("transactions"), 2);
  // Transaction numbers go on from the recovered ones.
  call_and_wait({incr("n", 1)});
  EXPECT_EQ(trace.of_kind("store.write").back()->integer("txn"), 2);
}

class SlowStoreTest : public ::testing::Test, public StoreWorld {
 protected:
  SlowStoreTest() : StoreWorld(Duration::millis(500), Duration::seconds(5)) {}
};

TEST_F(SlowStoreTest, ACrashBeforeTheReplyLeavesTheCallerNotKnowingThoughItCommitted) {
  auto c = call({incr("n", 1)});
  w.run_until(w.now() + Duration::millis(100));  // arrived and committed; the reply waits
  ASSERT_EQ(node()->state().get("n"), "1");
  ASSERT_FALSE(c->reply);
  w.crash(store);
  w.run_until(w.now() + Duration::seconds(3));
  ASSERT_TRUE(c->reply);
  EXPECT_EQ(c->reply->outcome, StoreCallOutcome::unknown);
  EXPECT_EQ(c->reply->error, "disconnected");
  EXPECT_EQ(c->replies, 1);
  EXPECT_EQ(durable("n"), "1");  // it happened
  EXPECT_EQ(static_cast<const AppNode*>(w.node(app))->client.pending(), 0u);
}

TEST_F(SlowStoreTest, APausedStoreTimesTheCallOutAndItsLateReplyIsDropped) {
  w.pause(store);
  auto c = call({put("a", "1")});
  w.run_until(w.now() + Duration::seconds(6));
  ASSERT_TRUE(c->reply);
  EXPECT_EQ(c->reply->outcome, StoreCallOutcome::unknown);
  EXPECT_EQ(c->reply->error, "timeout");
  w.resume(store);
  w.run_until(w.now() + Duration::seconds(2));
  EXPECT_EQ(node()->state().get("a"), "1");  // applied after all, when the store resumed
  EXPECT_EQ(c->replies, 1);
  EXPECT_EQ(static_cast<const AppNode*>(w.node(app))->late, 1);
}

TEST_F(SlowStoreTest, ACleanShutdownAnswersWhatItCommitted) {
  auto c = call({put("a", "1")});
  w.run_until(w.now() + Duration::millis(100));
  w.shutdown(store);
  w.run_until(w.now() + Duration::seconds(1));
  ASSERT_TRUE(c->reply);
  EXPECT_EQ(c->reply->outcome, StoreCallOutcome::ok);
}

// The effects check on the real store's trace: a record redelivered to a second handler run
// that increments again is applied twice; the same runs guarded by insert_if_absent of the
// event id (the idempotent consumer) apply it once. The check must fail the first and pass the
// second: if it passed both, it would be checking nothing.
check::EffectsReport effects_of_redelivery(bool idempotent) {
  StoreWorld s;
  check::StoreSink sink;
  s.w.trace().add_sink(&sink);
  for (int64_t run = 1; run <= 2; ++run) {  // the same record, handled by two runs of the handler
    const kafka::StoreOrigin origin{run == 1 ? "g-1" : "g-2", kafka::TopicPartition{"transfers", 0}, 0, static_cast<uint64_t>(run)};
    if (!idempotent) {
      s.call_and_wait({incr("balance:alice", 10)}, origin);
      continue;
    }
    auto guard = s.call_and_wait({insert("applied:e0", "1")}, origin);
    if (guard->reply->results[0].inserted) s.call_and_wait({incr("balance:alice", 10)}, origin);
  }
  check::History h;
  check::Op ok;
  ok.f = "send";
  ok.type = check::OpType::ok;
  ok.sends.push_back({"transfers-0", "e0", 0});
  h.ops.push_back(ok);
  check::GroundTruth truth;
  truth.final_logs["transfers-0"] = {"e0"};
  truth.member_groups = {{"g-1", "g"}, {"g-2", "g"}};
  truth.store_writes = sink.writes();
  s.w.trace().remove_sink(&sink);
  return check::analyze_effects(h, truth, "g", {"transfers"}, "read-model");
}

TEST(StoreEffects, ARedeliveredPlainIncrementIsAppliedTwiceAndAnIdempotentOneOnce) {
  const check::EffectsReport plain = effects_of_redelivery(false);
  EXPECT_EQ(plain.twice, 1);
  EXPECT_FALSE(plain.exactly_once());
  const check::EffectsReport guarded = effects_of_redelivery(true);
  EXPECT_EQ(guarded.once, 1);
  EXPECT_TRUE(guarded.exactly_once());
}

}  // namespace
