#pragma once
// A store node: the database the application writes to, over the network (a PostgreSQL on one
// host, as a handler reaches it through JDBC). It answers StoreRequests: the operations of one
// request are one transaction, applied atomically and in order on arrival, one transaction at a
// time (serial execution: no isolation anomalies, since nothing runs concurrently). A
// transaction that wrote anything is committed durably before the reply is sent, as a
// database fsyncs its write-ahead log at commit: written to the node's disk and flushed, so it
// survives a crash. The reply leaves `latency` after the request arrived (the database's
// time to execute and commit, distinct from the network's); a crash in between loses the
// reply, not the transaction, so the client cannot tell whether it happened.
#include <cstdint>
#include <map>
#include <string>

#include "broker_model/app/store_messages.hpp"
#include "broker_model/app/store_state.hpp"
#include "sim/node.hpp"
#include "sim/random.hpp"

namespace kafka {

enum class StoreTimer : uint16_t { reply = 1 };

struct StoreConfig {
  // Time from a request's arrival to its reply.
  sim::DurationDist latency = sim::DurationDist::constant(sim::Duration::millis(1));
};

class Store final : public sim::Node {
 public:
  Store(std::string name, StoreConfig config) : name_(std::move(name)), config_(config) {}

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  // Committed transactions are answered before the node exits; nothing is left unanswered.
  void on_shutdown(sim::Context& ctx) override;
  std::string invariants() const override;

  const std::string& name() const { return name_; }
  const StoreState& state() const { return state_; }
  size_t replies_pending() const { return replies_.size(); }

 private:
  struct PendingReply {
    sim::NodeId to;
    std::shared_ptr<StoreResponse> response;
  };
  void handle_request(sim::Context& ctx, sim::NodeId from, const StoreRequest& req);
  void commit(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, const StoreTxnOutcome& txn);

  std::string name_;
  StoreConfig config_;
  StoreState state_;
  sim::FileId file_ = 0;
  int64_t committed_ = 0;  // transactions on the disk: the next one's number
  uint64_t next_reply_ = 0;
  std::map<uint64_t, PendingReply> replies_;  // by timer id, in arrival order
};

// The committed transactions on a store's disk that a restart recovers (a torn last entry, which
// a crash may leave, is dropped as recovery drops it).
std::span<const sim::DiskEntryPtr> durable_store_log(sim::Disk& disk);

}  // namespace kafka
