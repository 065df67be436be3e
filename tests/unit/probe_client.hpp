#pragma once
// A hand-driven Kafka client for protocol tests: a node whose requests the test writes and
// which keeps every response it receives. The transaction, verification and group protocol
// tests talk to real brokers through it, request by request.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker_model/protocol/api.hpp"
#include "node_harness.hpp"

namespace kafkasim_test {

class ProbeClient {
 public:
  // Adds the probe to the cluster's world as `name` and starts it.
  ProbeClient(TestCluster& c, const std::string& name) : c_(c) {
    node_ = c_.world().add_node(name, [inbox = inbox_.get()] { return std::make_unique<Node>(*inbox); });
    c_.world().start(node_);
  }

  sim::NodeId node() const { return node_; }
  const std::vector<sim::MessagePtr>& inbox() const { return *inbox_; }

  // Sends `req` to `to` under the probe's next correlation id; returns it.
  template <typename Req>
  int32_t send(sim::NodeId to, std::shared_ptr<Req> req) {
    req->correlation_id = ++correlation_;
    c_.world().invoke(node_, [to, req](sim::Node&, sim::Context& ctx) { ctx.send(to, req); });
    return req->correlation_id;
  }

  // The response to request `correlation_id`, once it came; null if none came within `limit`.
  template <typename Resp>
  const Resp* await(int32_t correlation_id, sim::Duration limit = sim::Duration::seconds(5)) {
    const Resp* found = nullptr;
    c_.run_until(
        [&] {
          for (const auto& msg : *inbox_) {
            const kafka::KafkaMessage& m = kafka::kafka_message(msg);
            if (kafka::route(m) != kafka::route_of<Resp>) continue;
            if (const Resp& r = kafka::message_as<Resp>(m); r.correlation_id == correlation_id) found = &r;
          }
          return found != nullptr;
        },
        limit);
    return found;
  }

  // A request and its response.
  template <typename Resp, typename Req>
  const Resp* call(sim::NodeId to, std::shared_ptr<Req> req, sim::Duration limit = sim::Duration::seconds(5)) {
    return await<Resp>(send(to, std::move(req)), limit);
  }

 private:
  class Node final : public sim::Node {
   public:
    explicit Node(std::vector<sim::MessagePtr>& inbox) : inbox_(inbox) {}
    void on_start(sim::Context&) override {}
    void on_message(sim::Context&, sim::NodeId, const sim::MessagePtr& msg) override { inbox_.push_back(msg); }
    void on_timer(sim::Context&, uint64_t) override {}

   private:
    std::vector<sim::MessagePtr>& inbox_;
  };

  TestCluster& c_;
  // Its own allocation: the node holds it by reference, and the client may move.
  std::unique_ptr<std::vector<sim::MessagePtr>> inbox_ = std::make_unique<std::vector<sim::MessagePtr>>();
  sim::NodeId node_ = sim::kNoNode;
  int32_t correlation_ = 0;
};

}  // namespace kafkasim_test
