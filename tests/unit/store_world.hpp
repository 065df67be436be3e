#pragma once
// A store node and processes that call it through StoreClient, in a paranoid world: what the
// store's tests drive it with (store_test.cpp, store_txn_test.cpp).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "broker_model/app/store.hpp"
#include "broker_model/app/store_client.hpp"
#include "broker_model/cluster_builder.hpp"
#include "sim/world.hpp"

namespace store_test {

using namespace sim;
using kafka::StoreCallOutcome;
using kafka::StoreOp;
using kafka::StoreOpKind;
using kafka::StoreReply;

inline StoreOp put(std::string k, std::string v) { return StoreOp{StoreOpKind::put, std::move(k), std::move(v), 0}; }
inline StoreOp get(std::string k) { return StoreOp{StoreOpKind::get, std::move(k), {}, 0}; }
inline StoreOp insert(std::string k, std::string v) { return StoreOp{StoreOpKind::insert_if_absent, std::move(k), std::move(v), 0}; }
inline StoreOp incr(std::string k, int64_t n) { return StoreOp{StoreOpKind::increment, std::move(k), {}, n}; }

enum class AppTimer : uint16_t { store = 7 };

// A process that calls the store, as a handler's process does, and records each reply.
class AppNode final : public Node {
 public:
  explicit AppNode(Duration timeout) : client(static_cast<uint16_t>(AppTimer::store), timeout) {}
  void on_start(Context&) override {}
  void on_message(Context& ctx, NodeId, const MessagePtr& msg) override {
    const auto& m = kafka::kafka_message(msg);
    late += client.on_response(ctx, kafka::message_as<kafka::StoreResponse>(m)) ? 0 : 1;
  }
  void on_timer(Context& ctx, uint64_t tag) override { client.on_timer(ctx, tag); }
  void on_disconnect(Context& ctx, NodeId peer) override { client.on_disconnect(ctx, peer); }
  kafka::StoreClient client;
  int late = 0;  // replies to calls that had already timed out
};

struct Call {
  std::optional<StoreReply> reply;
  Time at;
  int replies = 0;
};

// A store and two processes calling it ("app" and "app2"), in a paranoid world.
struct StoreWorld {
  explicit StoreWorld(Duration latency = Duration::millis(2), Duration timeout = kafka::StoreClient::kDefaultTimeout,
                      Duration idle_timeout = kafka::StoreConfig{}.idle_in_transaction_timeout)
      : w(1) {
    w.set_paranoid(true);
    w.trace().add_sink(&trace);
    kafka::StoreConfig config;
    config.latency = DurationDist::constant(latency);
    config.idle_in_transaction_timeout = idle_timeout;
    store = kafka::start_store(w, layout, "read-model", config);
    app = w.add_node("app", [timeout] { return std::make_unique<AppNode>(timeout); });
    app2 = w.add_node("app2", [timeout] { return std::make_unique<AppNode>(timeout); });
    w.start(app);
    w.start(app2);
  }

  std::shared_ptr<Call> call(std::vector<StoreOp> ops, kafka::StoreOrigin origin = {}) {
    return step(app, 0, kafka::StoreTxnPhase::none, std::move(ops), std::move(origin));
  }
  // One step of an interactive transaction from process `from` (or a call, with phase none).
  std::shared_ptr<Call> step(NodeId from, int64_t txn, kafka::StoreTxnPhase phase, std::vector<StoreOp> ops = {},
                             kafka::StoreOrigin origin = {}) {
    auto c = std::make_shared<Call>();
    const NodeId to = layout.store_of("read-model");
    w.invoke(from, [c, to, txn, phase, ops = std::move(ops), origin](Node& n, Context& ctx) {
      static_cast<AppNode&>(n).client.step(ctx, to, txn, phase, ops, origin, [c](Context& cx, const StoreReply& r) {
        c->reply = r;
        c->at = cx.now();
        ++c->replies;
      });
    });
    return c;
  }
  std::shared_ptr<Call> step_and_wait(NodeId from, int64_t txn, kafka::StoreTxnPhase phase, std::vector<StoreOp> ops = {},
                                      kafka::StoreOrigin origin = {}) {
    auto c = step(from, txn, phase, std::move(ops), std::move(origin));
    w.run_until(w.now() + Duration::seconds(1));
    EXPECT_TRUE(c->reply) << "no reply within a second";
    return c;
  }
  std::shared_ptr<Call> call_and_wait(std::vector<StoreOp> ops, kafka::StoreOrigin origin = {}) {
    auto c = call(std::move(ops), std::move(origin));
    w.run_until(w.now() + Duration::seconds(1));
    EXPECT_TRUE(c->reply) << "no reply within a second";
    return c;
  }
  const kafka::Store* node() const { return dynamic_cast<const kafka::Store*>(w.node(store)); }
  // The store's durable state, as the scenario reads it after a run.
  std::optional<std::string> durable(const std::string& key) {
    kafka::StoreState s;
    s.replay(kafka::durable_store_log(w.disk(store)));
    return s.get(key);
  }

  World w;
  MemorySink trace;
  kafka::ClusterLayout layout;
  NodeId store = kNoNode, app = kNoNode, app2 = kNoNode;
};

}  // namespace store_test
