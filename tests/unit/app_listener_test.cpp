// The application's code in the consumer (broker_model/app/listener.hpp) driven by C++
// listeners: a handler that waits for a store round trip holds the loop and is resumed with the
// reply; a handler's failure goes to the container's error handling; per-record crash points
// land between one record's processing and its commit under every commit policy.
#include <gtest/gtest.h>

#include <map>

#include "broker_model/app/listener.hpp"
#include "tests/unit/node_harness.hpp"

namespace kafkasim_test {
namespace {

using kafka::ConsumerRecord;
using kafka::ListenerReply;
using kafka::ListenerServices;
using kafka::ListenerStep;
using sim::Duration;

constexpr const char* kTopic = "orders";

// A database that answers every request after `latency`, remembering what it was asked.
struct StoreLog {
  std::vector<std::pair<sim::Time, kafka::StoreRequest>> requests;
};
class StubStore final : public sim::Node {
 public:
  StubStore(StoreLog& log, Duration latency) : log_(log), latency_(latency) {}
  void on_start(sim::Context&) override {}
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override {
    const auto& req = kafka::message_as<kafka::StoreRequest>(kafka::kafka_message(msg));
    log_.requests.emplace_back(ctx.now(), req);
    pending_.push_back({from, req.correlation_id, req.ops.size()});
    ctx.set_timer(latency_, pending_.size() - 1);
  }
  void on_timer(sim::Context& ctx, uint64_t tag) override {
    auto resp = std::make_shared<kafka::StoreResponse>();
    resp->correlation_id = pending_[tag].correlation_id;
    resp->results.resize(pending_[tag].ops);
    ctx.send(pending_[tag].to, resp);
  }

 private:
  struct Pending {
    sim::NodeId to;
    int32_t correlation_id;
    size_t ops;
  };
  StoreLog& log_;
  Duration latency_;
  std::vector<Pending> pending_;
};

// A listener whose steps the test writes; calls counts on_record calls per offset, across
// incarnations.
struct Script {
  std::function<ListenerStep(const ConsumerRecord&, ListenerServices&)> on_record;
  std::function<ListenerStep(const ListenerReply&, ListenerServices&)> on_reply;
  std::map<int64_t, int> calls;
};
class ScriptListener final : public kafka::Listener {
 public:
  explicit ScriptListener(std::shared_ptr<Script> s) : s_(std::move(s)) {}
  bool batch() const override { return false; }
  ListenerStep on_record(const ConsumerRecord& r, ListenerServices& services) override {
    ++s_->calls[r.offset];
    return s_->on_record ? s_->on_record(r, services) : ListenerStep::done();
  }
  ListenerStep on_batch(const std::vector<ConsumerRecord>&, ListenerServices&) override { return ListenerStep::done(); }
  ListenerStep on_every(uint64_t, ListenerServices&) override { return ListenerStep::done(); }
  ListenerStep resume(uint64_t, const ListenerReply& reply, ListenerServices& services) override {
    return s_->on_reply ? s_->on_reply(reply, services) : ListenerStep::done();
  }

 private:
  std::shared_ptr<Script> s_;
};

kafka::ConsumerApp app_with(kafka::CommitPolicy policy, std::shared_ptr<Script> script) {
  kafka::ConsumerApp app;
  app.topics = {kTopic};
  app.policy = policy;
  if (script) app.listener = [script] { return std::make_unique<ScriptListener>(script); };
  return app;
}

// A cluster with `n` records in orders-0 (values v0, v1, ...).
TestCluster& with_records(TestCluster& c, int n) {
  c.topic(one_partition_topic(kTopic));
  const sim::NodeId p = c.producer("app", {{"acks", "all"}});
  for (int i = 0; i < n; ++i) {
    auto sent = c.send(p, record_of(kTopic, "v" + std::to_string(i)));
    EXPECT_TRUE(c.run_until([&] { return sent->done(); }));
  }
  return c;
}

// How many times each offset was processed (consumer.processed), by any member.
std::map<int64_t, int> processed(const TestCluster& c, const std::string& group) {
  std::map<int64_t, int> out;
  for (const auto& p : c.outcomes().group(group).processed) ++out[p.offset];
  return out;
}

int64_t committed(const TestCluster& c, const std::string& group) {
  const kafka::Group* g = c.group(group);
  if (!g) return -1;
  auto it = g->offsets.find({kTopic, 0});
  return it == g->offsets.end() ? -1 : it->second.offset;
}

const Settings kEarliest = {{"auto.offset.reset", "earliest"}};

TEST(AppListener, AHandlerWaitingForItsStoreHoldsTheLoopAndResumesWithTheReply) {
  TestCluster c;
  with_records(c, 4);
  StoreLog log;
  const sim::NodeId db = c.world().add_node("db", [&log] { return std::make_unique<StubStore>(log, Duration::millis(20)); });
  c.world().start(db);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord& r, ListenerServices& s) {
    EXPECT_TRUE(s.store("db", {{kafka::StoreOpKind::put, "last", r.record.value, 0}}));
    EXPECT_FALSE(s.store("no-such-store", {}));
    return ListenerStep::waiting();
  };
  std::vector<bool> replies;
  script->on_reply = [&](const ListenerReply& reply, ListenerServices&) {
    replies.push_back(reply.kind == ListenerReply::Kind::store && reply.store.has_value());
    return ListenerStep::done();
  };
  kafka::ConsumerApp app = app_with(kafka::CommitPolicy::record, script);
  app.stores = {{"db", db}};
  c.consumer("m-1", "g", app, kEarliest);
  ASSERT_TRUE(c.run_until([&] { return processed(c, "g").size() == 4; }));
  ASSERT_EQ(log.requests.size(), 4u);
  EXPECT_EQ(replies, std::vector<bool>(4, true));
  const auto& seen = c.outcomes().group("g").processed;
  for (size_t i = 0; i < 4; ++i) {
    const kafka::StoreOrigin& o = log.requests[i].second.origin;
    EXPECT_EQ(o.member, "m-1");
    EXPECT_EQ(o.offset, static_cast<int64_t>(i)) << "one store call per record, in order";
    EXPECT_EQ(o.invocation, i + 1) << "each run of the handler is told apart";
    // The record counts as processed only once its store call answered, 20 ms later.
    EXPECT_GE(seen[i].time_ns, (log.requests[i].first + Duration::millis(20)).ns);
    // The next record's handler waited for this one's reply: one call at a time.
    if (i > 0) {
      EXPECT_GE(log.requests[i].first.ns, seen[i - 1].time_ns);
    }
  }
  EXPECT_TRUE(c.run_until([&] { return committed(c, "g") == 4; }));
}

// A store call that waits longer than max.poll.interval.ms: the handler's thread does not poll,
// so the heartbeat thread leaves the group as it would for a slow record (Kafka counts the
// time, whatever the application waits for).
TEST(AppListener, WaitingForTheStoreCountsAgainstMaxPollInterval) {
  TestCluster c;
  with_records(c, 2);
  StoreLog log;
  const sim::NodeId db = c.world().add_node("db", [&log] { return std::make_unique<StubStore>(log, Duration::seconds(3)); });
  c.world().start(db);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord&, ListenerServices& s) {
    s.store("db", {{kafka::StoreOpKind::increment, "n", "", 1}});
    return ListenerStep::waiting();
  };
  kafka::ConsumerApp app = app_with(kafka::CommitPolicy::record, script);
  app.stores = {{"db", db}};
  c.consumer("m-1", "g", app, {{"auto.offset.reset", "earliest"}, {"max.poll.interval.ms", 1000}});
  ASSERT_TRUE(c.run_until([&] { return !c.events("consumer.poll_timeout").empty(); }, Duration::seconds(10)))
      << "a 3 s store call inside a 1 s max.poll.interval.ms";
  EXPECT_EQ(log.requests.size(), 1u) << "the handler still waits for its first call";
}

// A crash while the handler waits drops the coroutine: the new process handles the record
// afresh, and the record is processed once (the first run never finished).
TEST(AppListener, ACrashWhileTheHandlerWaitsDropsIt) {
  TestCluster c;
  with_records(c, 2);
  StoreLog log;
  const sim::NodeId db = c.world().add_node("db", [&log] { return std::make_unique<StubStore>(log, Duration::seconds(2)); });
  c.world().start(db);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord&, ListenerServices& s) {
    s.store("db", {{kafka::StoreOpKind::increment, "n", "", 1}});
    return ListenerStep::waiting();
  };
  kafka::ConsumerApp app = app_with(kafka::CommitPolicy::record, script);
  app.stores = {{"db", db}};
  const sim::NodeId m = c.consumer("m-1", "g", app, {{"auto.offset.reset", "earliest"}, {"session.timeout.ms", 6000}});
  ASSERT_TRUE(c.run_until([&] { return log.requests.size() == 1; }));
  c.crash(m);
  c.restart(m);
  ASSERT_TRUE(c.run_until([&] { return processed(c, "g").size() == 2; }, Duration::seconds(60)));
  EXPECT_EQ(processed(c, "g"), (std::map<int64_t, int>{{0, 1}, {1, 1}}));
  ASSERT_EQ(log.requests.size(), 3u) << "offset 0 twice (one run per process), then offset 1";
  EXPECT_EQ(log.requests[0].second.origin.offset, 0);
  EXPECT_EQ(log.requests[1].second.origin.offset, 0);
  EXPECT_EQ(script->calls[0], 2);
}

// MANUAL with a listener commits only what it acknowledged.
TEST(AppListener, ManualCommitsOnlyAcknowledgedRecords) {
  TestCluster c;
  with_records(c, 5);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord& r, ListenerServices& s) {
    if (r.offset < 2) {
      EXPECT_FALSE(s.ack()) << "MANUAL: an acknowledgement waits for the batch's commit";
    }
    return ListenerStep::done();
  };
  c.consumer("m-1", "g", app_with(kafka::CommitPolicy::manual, script), kEarliest);
  ASSERT_TRUE(c.run_until([&] { return processed(c, "g").size() == 5; }));
  c.run_for(Duration::seconds(2));
  EXPECT_EQ(committed(c, "g"), 2) << "records 2..4 were processed but never acknowledged";
}

TEST(AppListener, ASpringContainerDeliversAFailingRecordTenTimesThenSkipsIt) {
  TestCluster c;
  with_records(c, 3);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord& r, ListenerServices&) {
    return r.offset == 1 ? ListenerStep::failed("poison pill") : ListenerStep::done();
  };
  c.consumer("m-1", "g", app_with(kafka::CommitPolicy::record, script), kEarliest);
  ASSERT_TRUE(c.run_until([&] { return committed(c, "g") == 3; }));
  // DefaultErrorHandler's FixedBackOff(0, 9): one delivery and nine retries.
  EXPECT_EQ(script->calls[1], 10);
  EXPECT_EQ(script->calls[0], 1) << "RECORD committed offset 0 before the failure";
  EXPECT_EQ(script->calls[2], 1);
  EXPECT_EQ(processed(c, "g"), (std::map<int64_t, int>{{0, 1}, {2, 1}})) << "the skipped record was never processed";
  size_t back_to_pill = 0;
  for (const auto* e : c.events("consumer.seek")) back_to_pill += e->integer("offset") == 1;
  EXPECT_EQ(back_to_pill, 9u) << "each retry seeks the partition back to the record";
  EXPECT_EQ(c.events("listener.retry").size(), 9u);
  ASSERT_EQ(c.events("listener.recovered").size(), 1u);
  EXPECT_EQ(c.events("listener.recovered")[0]->integer("attempts"), 10);
}

TEST(AppListener, APlainLoopEndsWhenItsHandlerThrows) {
  TestCluster c;
  with_records(c, 3);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord& r, ListenerServices&) {
    return r.offset == 1 ? ListenerStep::failed("boom") : ListenerStep::done();
  };
  const sim::NodeId m = c.consumer("m-1", "g", app_with(kafka::CommitPolicy::after_process, script), kEarliest);
  ASSERT_TRUE(c.run_until([&] { return !c.events("consumer.fatal").empty(); }));
  c.run_for(Duration::millis(10));
  EXPECT_FALSE(c.world().alive(m)) << "the exception ends the application's thread and its process";
  EXPECT_EQ(script->calls[1], 1);
  EXPECT_EQ(processed(c, "g"), (std::map<int64_t, int>{{0, 1}}));
}

TEST(AppListener, AHandlersCommitSyncWaitsForTheCommit) {
  TestCluster c;
  with_records(c, 3);
  auto script = std::make_shared<Script>();
  script->on_record = [](const ConsumerRecord& r, ListenerServices& s) {
    // Commits what was processed before this record: nothing for the first one.
    const bool waits = s.commit(true);
    EXPECT_EQ(waits, r.offset > 0);
    return waits ? ListenerStep::waiting() : ListenerStep::done();
  };
  int commits_seen = 0;
  script->on_reply = [&](const ListenerReply& reply, ListenerServices&) {
    EXPECT_EQ(reply.kind, ListenerReply::Kind::commit);
    EXPECT_EQ(reply.commit_error, kafka::Error::NONE);
    ++commits_seen;
    return ListenerStep::done();
  };
  c.consumer("m-1", "g", app_with(kafka::CommitPolicy::time, script), kEarliest);
  ASSERT_TRUE(c.run_until([&] { return processed(c, "g").size() == 3; }));
  EXPECT_EQ(commits_seen, 2);
  EXPECT_GE(committed(c, "g"), 2);
}

// A crash at `point` of the third of six records, then a restart: how often each record was
// processed in all.
std::map<int64_t, int> crash_and_restart(kafka::CommitPolicy policy, const std::string& point, bool with_listener) {
  TestCluster c;
  with_records(c, 6);
  auto script = with_listener ? std::make_shared<Script>() : nullptr;
  const sim::NodeId m = c.consumer("m-1", "g", app_with(policy, script), kEarliest);
  c.world().invoke(m, [point](sim::Node& n, sim::Context&) { static_cast<kafka::Consumer&>(n).arm_crash({point, 3}); });
  EXPECT_TRUE(c.run_until([&] { return !c.events("consumer.crash_point").empty(); })) << point;
  c.run_for(Duration::millis(1));
  EXPECT_FALSE(c.world().alive(m));
  const std::string detail = c.events("consumer.crash_point")[0]->text("detail");
  EXPECT_NE(detail.find("of record 3 (orders-0@2)"), std::string::npos) << detail;
  c.restart(m);
  EXPECT_TRUE(c.run_until([&] { return processed(c, "g").size() == 6 && committed(c, "g") == 6; },
                          Duration::seconds(120)));
  return processed(c, "g");
}

TEST(AppListener, RecordRedeliversAtMostOneRecordAfterACrashBetweenProcessingAndCommit) {
  for (bool listener : {false, true}) {
    SCOPED_TRACE(listener ? "with a listener" : "without");
    const auto after = crash_and_restart(kafka::CommitPolicy::record, "after-process", listener);
    EXPECT_EQ(after, (std::map<int64_t, int>{{0, 1}, {1, 1}, {2, 2}, {3, 1}, {4, 1}, {5, 1}}));
    const auto before_commit = crash_and_restart(kafka::CommitPolicy::record, "before-commit", listener);
    EXPECT_EQ(before_commit.at(2), 2);
    EXPECT_EQ(before_commit.at(1), 1);
    const auto after_commit = crash_and_restart(kafka::CommitPolicy::record, "after-commit", listener);
    for (const auto& [offset, n] : after_commit) EXPECT_EQ(n, 1) << "committed, so never redelivered: " << offset;
    const auto before = crash_and_restart(kafka::CommitPolicy::record, "before-process", listener);
    for (const auto& [offset, n] : before) EXPECT_EQ(n, 1) << offset;
  }
}

TEST(AppListener, BatchRedeliversTheBatchProcessedSoFar) {
  // One poll returns all six records; BATCH commits after the last, so a crash after the third
  // redelivers the three processed since the last commit.
  for (kafka::CommitPolicy policy : {kafka::CommitPolicy::batch, kafka::CommitPolicy::after_process}) {
    const auto after = crash_and_restart(policy, "after-process", true);
    EXPECT_EQ(after, (std::map<int64_t, int>{{0, 2}, {1, 2}, {2, 2}, {3, 1}, {4, 1}, {5, 1}}));
    const auto before_commit = crash_and_restart(policy, "before-commit", true);
    for (const auto& [offset, n] : before_commit) EXPECT_EQ(n, 2) << "the whole batch was processed, none committed";
  }
}

TEST(AppListener, EveryPolicyReachesEachPerRecordCrashPoint) {
  using P = kafka::CommitPolicy;
  for (P policy : {P::kafka_auto, P::after_process, P::async, P::record, P::batch, P::time, P::count, P::count_time,
                   P::manual_immediate}) {
    for (const char* point : {"before-process", "after-process", "before-commit", "after-commit"}) {
      SCOPED_TRACE(std::string(to_string(policy)) + " " + point);
      const auto seen = crash_and_restart(policy, point, false);
      for (int64_t o = 0; o < 6; ++o) EXPECT_GE(seen.count(o) ? seen.at(o) : 0, 1) << "at-least-once holds";
      if (std::string(point) == "before-process") {
        EXPECT_EQ(seen.at(2), 1) << "record 3 was not processed before";
      }
      if (std::string(point) == "after-process") {
        EXPECT_EQ(seen.at(2), 2) << "record 3 is redelivered";
      }
    }
  }
}

}  // namespace
}  // namespace kafkasim_test
