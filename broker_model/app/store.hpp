#pragma once
// A store node: the database the application writes to, over the network (a PostgreSQL on one
// host, as a handler reaches it through JDBC). It answers StoreRequests, each after `latency`
// (the database's time to execute and commit, distinct from the network's).
//
// Transactions. A request without a transaction is one, applied atomically and in order on
// arrival. An interactive transaction (store_messages.hpp) is opened by its first statement
// and runs statement by statement, seeing its own writes; only its COMMIT applies them, makes
// them durable and traces them; ROLLBACK, its client's disconnect (the process died or the
// connection broke) or the idle-in-transaction timeout discard them.
//
// Isolation, a simplification: the store runs one transaction at a time. While an interactive
// transaction is open, every other request that would start one waits, in arrival order, until
// it ends (a store-wide lock, so every history is serial). PostgreSQL runs them concurrently
// under row locks and snapshot isolation; the anomalies that allows are not modelled, and a
// handler's transaction holds up every other client of the store while it is open.
//
// Durability: a transaction that wrote anything is committed durably before the reply is
// sent, as a database fsyncs its write-ahead log at commit: written to the node's disk and
// flushed, so it survives a crash. A crash between the commit and the reply loses the reply,
// not the transaction, so the client cannot tell whether it happened.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

#include "broker_model/app/store_messages.hpp"
#include "broker_model/app/store_state.hpp"
#include "sim/node.hpp"
#include "sim/random.hpp"

namespace kafka {

enum class StoreTimer : uint16_t { reply = 1, idle = 2 };

struct StoreConfig {
  // Time from a request's arrival to its reply.
  sim::DurationDist latency = sim::DurationDist::constant(sim::Duration::millis(1));
  // PostgreSQL's idle_in_transaction_session_timeout: an open transaction whose client has
  // sent nothing for this long since its last reply is rolled back and its connection closed.
  // PostgreSQL's default is 0 (off); here one minute, because the store runs one transaction
  // at a time: a client cut off without its connection breaking would otherwise hold every
  // other client up for the rest of the run. Zero turns it off.
  sim::Duration idle_in_transaction_timeout = sim::Duration::seconds(60);
};

class Store final : public sim::Node {
 public:
  Store(std::string name, StoreConfig config) : name_(std::move(name)), config_(config) {}

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;
  // Committed transactions are answered before the node exits; an open one is rolled back and
  // the requests waiting for it are refused: nothing is left unanswered.
  void on_shutdown(sim::Context& ctx) override;
  std::string invariants() const override;

  const std::string& name() const { return name_; }
  const StoreState& state() const { return state_; }
  size_t replies_pending() const { return replies_.size(); }
  // The open interactive transaction's client and number, if one is open.
  std::optional<std::pair<sim::NodeId, int64_t>> open_transaction() const;
  size_t requests_waiting() const { return waiting_.size(); }

 private:
  struct PendingReply {
    sim::NodeId to;
    std::shared_ptr<StoreResponse> response;
    bool arms_idle = false;  // a statement's reply: the transaction is idle once it is sent
  };
  // The interactive transaction that holds the store.
  struct OpenTxn {
    sim::NodeId client = sim::kNoNode;
    int64_t id = 0;
    StoreOrigin origin;
    StoreTxnWork work;
    std::string aborted;       // a statement failed: why. Its commit rolls it back.
    uint64_t idle_id = 0;      // its armed idle timer's number (in the timer's tag)
    sim::TimerId idle_timer;   // armed while it is idle
  };

  void serve(sim::Context& ctx, sim::NodeId from, const StoreRequest& req);
  void serve_one_shot(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, StoreResponse& resp);
  void serve_statement(sim::Context& ctx, sim::NodeId from, const StoreRequest& req, StoreResponse& resp);
  void serve_commit(sim::Context& ctx, StoreResponse& resp);
  // Serves the requests that waited for the lock, in order, until one opens a transaction.
  void serve_waiting(sim::Context& ctx);
  // Discards the open transaction's writes (why: rollback, disconnected, ...).
  void roll_back(sim::Context& ctx, const std::string& why);
  bool holds(sim::NodeId from, int64_t txn) const { return open_ && open_->client == from && open_->id == txn; }
  void refuse(sim::Context& ctx, sim::NodeId from, StoreResponse& resp, std::string error);
  void reply(sim::Context& ctx, sim::NodeId to, std::shared_ptr<StoreResponse> resp, bool arms_idle);
  void arm_idle_timer(sim::Context& ctx);
  // Makes the writes durable (fsync at commit) and traces them.
  void commit(sim::Context& ctx, sim::NodeId from, const StoreOrigin& origin, const std::vector<StoreWrite>& writes);

  std::string name_;
  StoreConfig config_;
  StoreState state_;
  sim::FileId file_ = 0;
  int64_t committed_ = 0;  // transactions on the disk: the next one's number
  uint64_t next_reply_ = 0;
  std::map<uint64_t, PendingReply> replies_;  // by timer id, in arrival order
  std::optional<OpenTxn> open_;
  uint64_t next_idle_id_ = 1;
  // Requests that would start a transaction while another is open, in arrival order.
  std::deque<std::pair<sim::NodeId, sim::MessagePtr>> waiting_;
};

// The committed transactions on a store's disk that a restart recovers (a torn last entry, which
// a crash may leave, is dropped as recovery drops it).
std::span<const sim::DiskEntryPtr> durable_store_log(sim::Disk& disk);

}  // namespace kafka
