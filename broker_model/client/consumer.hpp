#pragma once
// The consumer client (KafkaConsumer with the classic group protocol) and the application that
// runs its poll loop, as one node: one process. The node composes the parts Kafka's consumer
// is made of and hands each input to the part it concerns:
//
//   ConsumerNetworkClient  correlation ids, the broker to ask when any will do
//   ConsumerMetadata       leaders and leader epochs of the subscribed topics
//   SubscriptionState      the assignment, positions and fetch states
//   ConsumerCoordinator    the member's life in the group, OffsetFetch and commits
//   OffsetFetcher          auto.offset.reset (ListOffsets), KIP-320 validation
//   Fetcher, FetchBuffer   fetching and the records poll() returns
//   ApplicationLoop        poll -> process -> commit by the policy, crash points, close()
//   Producer               the process's own producer, when the group configures one
//                          (producer = { ... }): a KafkaTemplate in a Spring listener, Kafka
//                          Streams' producer. Its client.id is "<member>-producer"; its timers
//                          are ConsumerTimer::producer with its own tag as the id, its
//                          correlation ids start above kHostedProducerCorrelationIds.
//   TaskProducers          exactly_once (v1): instead, a producer per assigned input partition
//
// As in the Java client, heartbeats and the max.poll.interval.ms check run in the background,
// while joining the group, syncing, the rebalance listener and auto-commit happen inside
// poll(), on the application's thread. The parts talk through plain calls; only the node
// receives messages, timers and disconnects.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "broker_model/client/commit_policy.hpp"
#include "broker_model/client/consumer_app.hpp"
#include "broker_model/client/consumer_coordinator.hpp"
#include "broker_model/client/consumer_metadata.hpp"
#include "broker_model/client/consumer_network_client.hpp"
#include "broker_model/client/fetch_buffer.hpp"
#include "broker_model/client/fetcher.hpp"
#include "sim/time.hpp"
#include "broker_model/client/offset_fetcher.hpp"
#include "broker_model/client/producer.hpp"
#include "broker_model/client/subscription_state.hpp"
#include "broker_model/client/task_producers.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "sim/node.hpp"

namespace kafka {

// The hosted producer's correlation ids start above this, so a response (a Metadata response
// above all, which both ask for) reaches the part that sent the request.
inline constexpr int32_t kHostedProducerCorrelationIds = 1 << 30;
std::string hosted_producer_client_id(const std::string& member_name);

class Consumer final : public sim::Node {
 public:
  // producer_first_op: the first operation id of the hosted producer (when app.producer is set).
  // task_first_op: the first operation id of an exactly_once (v1) task producer, by client id.
  Consumer(std::string member_name, ClusterLayout layout, ConfigSet config, ConsumerApp app, uint64_t first_op = 0,
           Bugs bugs = {}, uint64_t producer_first_op = 0, TaskProducers::FirstOp task_first_op = {});

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;
  void on_shutdown(sim::Context& ctx) override;
  std::string invariants() const override { return subscriptions_.invariants(); }

  // Application controls.
  void set_processing_time(sim::DurationDist d) { app_.settings().processing_time = d; }
  void arm_crash(CrashPoint point) { app_.settings().crash_at = std::move(point); }
  // KafkaConsumer.seek: the next records of an assigned partition start at offset. Returns
  // false when the partition is not assigned to this member.
  bool seek(sim::Context& ctx, const TopicPartition& tp, int64_t offset);
  // The process's producer (KafkaTemplate.send, KafkaProducer.send): false when the group
  // configured none. The send is an operation of the producer's client id in the trace.
  bool send(sim::Context& ctx, SendSpec spec, Producer::Callback done = {});
  // KafkaProducer.flush(): `done` runs once every earlier send has completed.
  bool flush(sim::Context& ctx, std::function<void(sim::Context&)> done);
  const Producer* producer() const { return producer_.get(); }

  // Read-only views.
  std::vector<TopicPartition> assignment() const { return subscriptions_.assigned_partitions(); }
  int32_t generation() const { return coordinator_.generation().generation_id; }
  const std::string& member_id() const { return coordinator_.generation().member_id; }
  bool stable() const { return coordinator_.state() == MemberState::stable; }
  AppState app_state() const { return app_.state(); }
  const SubscriptionState& subscriptions() const { return subscriptions_; }

 private:
  // The hosted producer with `config`; and one with Kafka's defaults, started at the first
  // send of a process whose group configured none.
  std::unique_ptr<Producer> make_producer(const ConfigSet& config) const;
  Producer* start_default_producer(sim::Context& ctx);
  // Whether a response answers the hosted producer's request.
  bool for_producer(const KafkaMessage& m) const;
  void handle_metadata(sim::Context& ctx, const MetadataResponse& resp);
  void handle_fetch(sim::Context& ctx, sim::NodeId from, const FetchResponse& resp);
  void handle_offset_fetch(sim::Context& ctx, const OffsetFetchResponse& resp);
  void handle_commit_response(sim::Context& ctx, const OffsetCommitResponse& resp);
  // The subscribe op in the history, once the subscribed topics' partitions are known.
  void record_subscribe(sim::Context& ctx);

  ConfigSet config_;
  ConsumerNetworkClient client_;
  SubscriptionState subscriptions_;
  FetchBuffer buffer_;
  ConsumerMetadata metadata_;
  ConsumerCoordinator coordinator_;
  OffsetFetcher offset_fetcher_;
  Fetcher fetcher_;
  ApplicationLoop app_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<TaskProducers> tasks_;  // exactly_once (v1): a producer per input partition
  struct HostedProducerSpec {
    std::string client_id;
    ClusterLayout layout;
    uint64_t first_op;
    Bugs bugs;
  } producer_spec_;
  bool subscribe_recorded_ = false;
};

}  // namespace kafka
