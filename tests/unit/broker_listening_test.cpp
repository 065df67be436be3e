// A broker accepts connections only once the controller has unfenced it, as BrokerServer.startup
// enables its SocketServer after BrokerLifecycleManager's initialUnfenceFuture. A coordinator
// that crashed and came back within broker.session.timeout.ms must not answer from the empty
// image it restarts with (its registration waits for the old session to expire): a producer's
// AddPartitionsToTxn would come back UNKNOWN_TOPIC_OR_PARTITION, a member's OffsetFetch
// NOT_COORDINATOR, for seconds. The connection is refused instead, as after the crash.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "broker_model/protocol/group_messages.hpp"
#include "broker_model/protocol/txn_messages.hpp"
#include "node_harness.hpp"

namespace kafkasim_test {
namespace {

using sim::Duration;

const std::string kTxnId = "orders-writer";
const std::string kGroup = "readers";

// A node the test sends requests from; it keeps every response and every disconnect.
class Probe final : public sim::Node {
 public:
  Probe(std::vector<sim::MessagePtr>& inbox, std::vector<sim::NodeId>& disconnects) : inbox_(inbox), disconnects_(disconnects) {}
  void on_start(sim::Context&) override {}
  void on_message(sim::Context&, sim::NodeId, const sim::MessagePtr& msg) override { inbox_.push_back(msg); }
  void on_timer(sim::Context&, uint64_t) override {}
  void on_disconnect(sim::Context&, sim::NodeId peer) override { disconnects_.push_back(peer); }

 private:
  std::vector<sim::MessagePtr>& inbox_;
  std::vector<sim::NodeId>& disconnects_;
};

class BrokerListening : public ::testing::Test {
 protected:
  BrokerListening() : c_(options()) {
    c_.topic(one_partition_topic("orders"));
    c_.offsets_topic();
    c_.transaction_state_topic();
    probe_ = c_.world().add_node("probe", [this] { return std::make_unique<Probe>(inbox_, disconnects_); });
    c_.world().start(probe_);
  }

  static TestCluster::Options options() {
    TestCluster::Options o;
    o.broker = {{"transaction.state.log.num.partitions", 1}, {"offsets.topic.num.partitions", 1}};
    return o;
  }

  void send(sim::NodeId to, std::shared_ptr<kafka::KafkaMessage> req) {
    c_.world().invoke(probe_, [to, req](sim::Node&, sim::Context& ctx) { ctx.send(to, req); });
  }
  template <typename Resp>
  size_t received() const {
    size_t n = 0;
    for (const auto& msg : inbox_) n += std::dynamic_pointer_cast<const Resp>(msg) != nullptr;
    return n;
  }
  std::shared_ptr<kafka::AddPartitionsToTxnRequest> add_partitions() const {
    auto req = std::make_shared<kafka::AddPartitionsToTxnRequest>();
    req->transactional_id = kTxnId;
    req->producer_id = 0;
    req->producer_epoch = 0;
    req->partitions = {{"orders", 0}};
    return req;
  }
  std::shared_ptr<kafka::OffsetFetchRequest> offset_fetch() const {
    auto req = std::make_shared<kafka::OffsetFetchRequest>();
    req->group_id = kGroup;
    return req;
  }
  // broker.listening of `b` after `since`, or null.
  const sim::StoredEvent* listening(kafka::BrokerId b, sim::Time since) const {
    for (const auto* e : c_.events("broker.listening"))
      if (e->integer("broker") == b && e->time >= since) return e;
    return nullptr;
  }

  TestCluster c_;
  sim::NodeId probe_ = sim::kNoNode;
  std::vector<sim::MessagePtr> inbox_;
  std::vector<sim::NodeId> disconnects_;
};

TEST_F(BrokerListening, ACoordinatorBackWithinItsSessionRefusesConnectionsUntilUnfenced) {
  // One __transaction_state and one __consumer_offsets partition: their leaders coordinate.
  const sim::NodeId coordinator = c_.txn_coordinator(kTxnId);
  kafka::BrokerId b = 1;
  while (c_.node(b) != coordinator) ++b;
  c_.crash(coordinator);
  c_.run_for(Duration::seconds(1));
  const sim::Time restarted = c_.world().now();
  c_.restart(coordinator);
  c_.run_for(Duration::millis(200));
  // The old incarnation's session (9 s) still holds: the new one's registration was refused.
  ASSERT_FALSE(c_.events("broker.registration_rejected", coordinator).empty());

  send(coordinator, add_partitions());
  send(coordinator, offset_fetch());
  c_.run_for(Duration::millis(100));
  // On main the empty image answered: UNKNOWN_TOPIC_OR_PARTITION, NOT_COORDINATOR.
  EXPECT_EQ(received<kafka::AddPartitionsToTxnResponse>(), 0u);
  EXPECT_EQ(received<kafka::OffsetFetchResponse>(), 0u);
  ASSERT_FALSE(disconnects_.empty());
  EXPECT_EQ(disconnects_.front(), coordinator);
  std::vector<std::string> refused;
  for (const auto* e : c_.events("broker.request_refused", coordinator))
    if (e->text("from") == "probe") refused.push_back(e->text("request"));
  EXPECT_EQ(refused, (std::vector<std::string>{"AddPartitionsToTxnRequest", "OffsetFetchRequest"}));

  // It listens once unfenced, with an image at least as new as its registration record.
  ASSERT_TRUE(c_.run_until([&] { return listening(b, restarted) != nullptr; }, Duration::seconds(20)));
  const sim::StoredEvent* registered = nullptr;
  for (const auto* e : c_.events("controller.register"))
    if (e->integer("broker") == b && e->time >= restarted) registered = e;
  ASSERT_NE(registered, nullptr);
  EXPECT_GT(listening(b, restarted)->integer("metadata_offset"), registered->integer("broker_epoch"));
  bool unfenced_first = false;
  for (const auto* e : c_.events("controller.unfence"))
    unfenced_first |= e->integer("broker") == b && e->time >= registered->time && e->time <= listening(b, restarted)->time;
  EXPECT_TRUE(unfenced_first);

  // Now it answers.
  send(coordinator, offset_fetch());
  ASSERT_TRUE(c_.run_until([&] { return received<kafka::OffsetFetchResponse>() == 1; }, Duration::seconds(5)));
}

TEST_F(BrokerListening, ABrokerListensOnlyOnceUnfencedAndKeepsListeningWhenFencedLater) {
  // Every broker of the cluster listened once the controller unfenced it, never before.
  for (kafka::BrokerId b = 1; b <= 3; ++b) {
    const sim::StoredEvent* l = listening(b, sim::Time{});
    ASSERT_NE(l, nullptr) << "broker " << b;
    const sim::StoredEvent* unfenced = nullptr;
    for (const auto* e : c_.events("controller.unfence"))
      if (e->integer("broker") == b && !unfenced) unfenced = e;
    ASSERT_NE(unfenced, nullptr);
    EXPECT_LE(unfenced->time, l->time);
  }
  // A broker fenced later (its session expired while it was cut off) keeps its listener.
  const sim::NodeId coordinator = c_.coordinator(kGroup);
  std::vector<sim::NodeId> others;
  for (kafka::BrokerId b = 1; b <= 3; ++b)
    if (c_.node(b) != coordinator) others.push_back(c_.node(b));
  others.push_back(c_.layout().controller);
  c_.partition({{coordinator, probe_}, others});
  c_.run_for(Duration::seconds(12));
  bool fenced = false;
  for (const auto* e : c_.events("controller.fence")) fenced |= c_.node(static_cast<kafka::BrokerId>(e->integer("broker"))) == coordinator;
  ASSERT_TRUE(fenced);
  send(coordinator, offset_fetch());
  ASSERT_TRUE(c_.run_until([&] { return received<kafka::OffsetFetchResponse>() == 1; }, Duration::seconds(5)));
  EXPECT_TRUE(c_.events("broker.request_refused", coordinator).empty());
}

TEST_F(BrokerListening, AControlledShutdownEndsTheSessionSoTheNextIncarnationRegistersAtOnce) {
  // ReplicationControlManager.processBrokerHeartbeat fences a broker whose controlled shutdown
  // may proceed (SHUTDOWN_NOW); BrokerHeartbeatManager.hasValidSession is false for a fenced
  // broker, so a restart within broker.session.timeout.ms is no DUPLICATE_BROKER_REGISTRATION.
  const kafka::BrokerId b = 2;
  const sim::NodeId broker = c_.node(b);
  c_.shutdown(broker);
  ASSERT_TRUE(c_.run_until([&] { return c_.world().state(broker) == sim::NodeState::down; }, Duration::seconds(10)));
  bool fenced = false;
  for (const auto* e : c_.events("controller.fence"))
    fenced |= e->integer("broker") == b && e->text("reason") == "controlled-shutdown";
  EXPECT_TRUE(fenced);
  const sim::Time restarted = c_.world().now();
  c_.restart(broker);
  ASSERT_TRUE(c_.run_until([&] { return listening(b, restarted) != nullptr; }, Duration::seconds(3)))
      << "a new incarnation registers, catches up and is unfenced well within the 9 s session";
  EXPECT_TRUE(c_.events("broker.registration_rejected", broker).empty());
}

}  // namespace
}  // namespace kafkasim_test
