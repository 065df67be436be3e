// Interactive transactions on the store node (broker_model/app/store.hpp), driven statement by
// statement as a JDBC client with autocommit off runs them: an open transaction sees its own
// writes and no one else does until COMMIT; ROLLBACK, the client's disconnect and the
// idle-in-transaction timeout discard them; a failed statement aborts the transaction; and the
// store runs one transaction at a time, so the others wait for it.
#include "sim/check/effects.hpp"
#include "store_world.hpp"

namespace {

using namespace store_test;
using Phase = kafka::StoreTxnPhase;

struct TxnWorld : StoreWorld {
  using StoreWorld::StoreWorld;
  size_t writes() { return trace.of_kind("store.write").size(); }
  std::string last_rollback() {
    const auto r = trace.of_kind("store.rollback");
    return r.empty() ? "" : std::string(r.back()->text("reason"));
  }
};

class StoreTxnTest : public ::testing::Test, public TxnWorld {};

TEST_F(StoreTxnTest, AnOpenTransactionSeesItsOwnWritesWhichOnlyItsCommitApplies) {
  const kafka::StoreOrigin origin{"projector-1", kafka::TopicPartition{"transfers", 0}, 7, 3};
  auto first = step_and_wait(app, 1, Phase::begin, {insert("applied:e7", "1")}, origin);
  ASSERT_EQ(first->reply->outcome, StoreCallOutcome::ok);
  EXPECT_TRUE(first->reply->results[0].inserted);
  auto second = step_and_wait(app, 1, Phase::statement, {incr("balance:alice", 5), get("applied:e7")}, origin);
  ASSERT_EQ(second->reply->outcome, StoreCallOutcome::ok);
  EXPECT_EQ(second->reply->results[0].value, "5");
  EXPECT_EQ(second->reply->results[1].value, "1");  // its own write
  // Nothing of it is the store's yet: not in its state, not on its disk, not in the trace.
  EXPECT_EQ(node()->state().get("applied:e7"), std::nullopt);
  EXPECT_EQ(durable("balance:alice"), std::nullopt);
  EXPECT_EQ(writes(), 0u);
  auto commit = step_and_wait(app, 1, Phase::commit);
  ASSERT_EQ(commit->reply->outcome, StoreCallOutcome::ok);
  EXPECT_EQ(durable("balance:alice"), "5");
  EXPECT_EQ(durable("applied:e7"), "1");
  const auto traced = trace.of_kind("store.write");
  ASSERT_EQ(traced.size(), 2u);
  for (const auto* e : traced) {
    EXPECT_EQ(e->integer("txn"), 0);  // one committed transaction
    EXPECT_EQ(e->text("member"), "projector-1");
    EXPECT_EQ(e->integer("offset"), 7);
    EXPECT_EQ(e->integer("invocation"), 3);
  }
  EXPECT_FALSE(node()->open_transaction());
}

TEST_F(StoreTxnTest, RollbackDiscardsTheWrites) {
  step_and_wait(app, 1, Phase::begin, {put("a", "1")});
  auto rb = step_and_wait(app, 1, Phase::rollback);
  EXPECT_EQ(rb->reply->outcome, StoreCallOutcome::ok);
  EXPECT_EQ(node()->state().get("a"), std::nullopt);
  EXPECT_EQ(writes(), 0u);
  EXPECT_EQ(last_rollback(), "rollback");
  EXPECT_EQ(trace.of_kind("store.rollback").back()->integer("writes"), 1);
  // Its commit afterwards has nothing to commit: refused.
  auto late = step_and_wait(app, 1, Phase::commit);
  EXPECT_EQ(late->reply->outcome, StoreCallOutcome::refused);
  EXPECT_EQ(node()->state().get("a"), std::nullopt);
}

TEST_F(StoreTxnTest, AFailedStatementAbortsTheTransactionAndItsCommitRollsBack) {
  call_and_wait({put("word", "abc")});
  step_and_wait(app, 1, Phase::begin, {put("a", "1")});
  auto bad = step_and_wait(app, 1, Phase::statement, {put("b", "2"), incr("word", 1)});
  EXPECT_EQ(bad->reply->outcome, StoreCallOutcome::refused);
  auto next = step_and_wait(app, 1, Phase::statement, {put("c", "3")});
  EXPECT_EQ(next->reply->outcome, StoreCallOutcome::refused);
  EXPECT_NE(next->reply->error.find("current transaction is aborted"), std::string::npos) << next->reply->error;
  auto commit = step_and_wait(app, 1, Phase::commit);
  EXPECT_EQ(commit->reply->outcome, StoreCallOutcome::refused);
  EXPECT_NE(commit->reply->error.find("rolled back"), std::string::npos) << commit->reply->error;
  for (const char* k : {"a", "b", "c"}) EXPECT_EQ(node()->state().get(k), std::nullopt) << k;
  EXPECT_EQ(last_rollback(), "commit of an aborted transaction");
}

TEST_F(StoreTxnTest, TheClientsCrashRollsItsTransactionBack) {
  step_and_wait(app, 1, Phase::begin, {put("a", "1")});
  auto waiting = step(app2, 0, Phase::none, {get("a")});
  w.run_until(w.now() + Duration::millis(100));
  EXPECT_FALSE(waiting->reply) << "the other client waits while the transaction is open";
  w.crash(app);
  w.run_until(w.now() + Duration::seconds(2));
  EXPECT_EQ(last_rollback(), "disconnected");
  EXPECT_FALSE(node()->open_transaction());
  ASSERT_TRUE(waiting->reply);
  EXPECT_EQ(waiting->reply->results[0].value, std::nullopt) << "it never saw the rolled-back write";
  EXPECT_EQ(writes(), 0u);
}

TEST_F(StoreTxnTest, AnotherTransactionWaitsUntilTheOpenOneEndsAndSeesItsCommit) {
  step_and_wait(app, 1, Phase::begin, {incr("n", 1)});
  auto other = step(app2, 1, Phase::begin, {incr("n", 10)});
  auto one_shot = step(app2, 0, Phase::none, {get("n")});
  w.run_until(w.now() + Duration::millis(100));
  EXPECT_FALSE(other->reply);
  EXPECT_FALSE(one_shot->reply);
  EXPECT_EQ(node()->requests_waiting(), 2u);
  const auto wait = trace.of_kind("store.wait");
  ASSERT_EQ(wait.size(), 2u);
  EXPECT_EQ(wait[0]->text("holder"), "app");
  // The holder goes on meanwhile.
  auto own = step_and_wait(app, 1, Phase::statement, {incr("n", 1)});
  EXPECT_EQ(own->reply->results[0].value, "2");
  step_and_wait(app, 1, Phase::commit);
  // app2's transaction got the store next, after app's commit: it saw n = 2.
  ASSERT_TRUE(other->reply);
  EXPECT_EQ(other->reply->results[0].value, "12");
  EXPECT_FALSE(one_shot->reply) << "the one-shot request waits behind app2's transaction, in arrival order";
  step_and_wait(app2, 1, Phase::commit);
  ASSERT_TRUE(one_shot->reply);
  EXPECT_EQ(one_shot->reply->results[0].value, "12");
  EXPECT_EQ(durable("n"), "12");
}

TEST_F(StoreTxnTest, AStatementOfATransactionThatIsNotOpenIsRefused) {
  auto c = step_and_wait(app, 9, Phase::statement, {put("a", "1")});
  EXPECT_EQ(c->reply->outcome, StoreCallOutcome::refused);
  EXPECT_EQ(node()->state().get("a"), std::nullopt);
  EXPECT_FALSE(node()->open_transaction()) << "only a begin opens one";
}

class IdleStoreTest : public ::testing::Test, public TxnWorld {
 protected:
  IdleStoreTest() : TxnWorld(Duration::millis(2), Duration::seconds(30), Duration::seconds(5)) {}
};

TEST_F(IdleStoreTest, AnIdleTransactionIsRolledBackAndItsConnectionClosed) {
  step_and_wait(app, 1, Phase::begin, {put("a", "1")});
  auto waiting = step(app2, 0, Phase::none, {put("b", "2")});
  // Busy within the timeout: each statement restarts it.
  for (int i = 0; i < 3; ++i) {
    w.run_until(w.now() + Duration::seconds(3));
    step_and_wait(app, 1, Phase::statement, {incr("n", 1)});
  }
  EXPECT_TRUE(node()->open_transaction());
  EXPECT_FALSE(waiting->reply);
  w.run_until(w.now() + Duration::seconds(6));
  EXPECT_FALSE(node()->open_transaction());
  EXPECT_EQ(last_rollback(), "idle-in-transaction timeout");
  EXPECT_FALSE(trace.of_kind("net.reset").empty()) << "the store closed the connection";
  ASSERT_TRUE(waiting->reply) << "the store is free again";
  EXPECT_EQ(node()->state().get("b"), "2");
  auto commit = step_and_wait(app, 1, Phase::commit);
  EXPECT_EQ(commit->reply->outcome, StoreCallOutcome::refused);
  EXPECT_EQ(node()->state().get("a"), std::nullopt);
  EXPECT_EQ(node()->state().get("n"), std::nullopt);
}

class SlowTxnTest : public ::testing::Test, public TxnWorld {
 protected:
  SlowTxnTest() : TxnWorld(Duration::millis(500), Duration::seconds(5)) {}
};

TEST_F(SlowTxnTest, ALostConnectionFailsAStatementAndLeavesACommitUnknown) {
  auto stmt = step(app, 1, Phase::begin, {put("a", "1")});
  w.run_until(w.now() + Duration::millis(100));
  w.crash(store);
  w.run_until(w.now() + Duration::seconds(2));
  ASSERT_TRUE(stmt->reply);
  EXPECT_EQ(stmt->reply->outcome, StoreCallOutcome::refused) << "the session died: the transaction surely did not commit";
  w.restart(store);
  w.run_until(w.now() + Duration::seconds(1));
  step_and_wait(app, 2, Phase::begin, {put("a", "1")});
  auto commit = step(app, 2, Phase::commit);
  w.run_until(w.now() + Duration::millis(100));  // arrived and committed; the reply waits
  w.crash(store);
  w.run_until(w.now() + Duration::seconds(2));
  ASSERT_TRUE(commit->reply);
  EXPECT_EQ(commit->reply->outcome, StoreCallOutcome::unknown);
  EXPECT_EQ(durable("a"), "1") << "it had committed";
}

// The effects check over interactive transactions: the guard (insert_if_absent of the event
// id) and the increment in one transaction, the second run seeing the guard and skipping the
// increment. A run whose transaction rolled back leaves no effect.
TEST(StoreTxnEffects, AGuardedIncrementInOneTransactionIsAppliedOnce) {
  StoreWorld s;
  check::StoreSink sink;
  s.w.trace().add_sink(&sink);
  for (int64_t run = 1; run <= 3; ++run) {
    const kafka::StoreOrigin origin{"g-" + std::to_string(run), kafka::TopicPartition{"transfers", 0}, 0, static_cast<uint64_t>(run)};
    auto guard = s.step_and_wait(s.app, run, Phase::begin, {insert("applied:e0", "1")}, origin);
    if (guard->reply->results[0].inserted) s.step_and_wait(s.app, run, Phase::statement, {incr("balance:alice", 10)}, origin);
    // The first run rolls back (its handler failed after the writes): no effect of it.
    s.step_and_wait(s.app, run, run == 1 ? Phase::rollback : Phase::commit, {}, origin);
  }
  check::History h;
  check::Op ok;
  ok.f = "send";
  ok.type = check::OpType::ok;
  ok.sends.push_back({"transfers-0", "e0", 0});
  h.ops.push_back(ok);
  check::GroundTruth truth;
  truth.final_logs["transfers-0"] = {"e0"};
  truth.member_groups = {{"g-1", "g"}, {"g-2", "g"}, {"g-3", "g"}};
  truth.store_writes = sink.writes();
  s.w.trace().remove_sink(&sink);
  const check::EffectsReport r = check::analyze_effects(h, truth, "g", {"transfers"}, "read-model");
  EXPECT_EQ(r.once, 1);
  EXPECT_TRUE(r.exactly_once());
  ASSERT_EQ(r.records, 1);
  EXPECT_EQ(s.durable("balance:alice"), "10");
}

}  // namespace
