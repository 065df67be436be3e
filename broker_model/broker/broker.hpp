#pragma once
// A Kafka broker (Kafka's BrokerServer): registers with the controller and heartbeats
// (BrokerLifecycleManager), follows the controller's metadata log into its MetadataImage and
// publishes each change to its ReplicaManager and GroupCoordinator, answers Metadata and
// InitProducerId itself, and hands every other request to the part that serves it
// (KafkaApis's dispatch).
#include <memory>
#include <set>
#include <string>

#include "broker_model/broker/leadership_listeners.hpp"
#include "broker_model/broker/metadata_image.hpp"
#include "broker_model/broker/replica_manager.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "broker_model/group/group_coordinator.hpp"
#include "broker_model/txn/transaction_coordinator.hpp"
#include "sim/node.hpp"

namespace kafka {

class Broker final : public sim::Node {
 public:
  Broker(BrokerId id, std::string rack, ClusterLayout layout, ConfigSet config, Bugs bugs = {});
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  void on_start(sim::Context& ctx) override;
  void on_message(sim::Context& ctx, sim::NodeId from, const sim::MessagePtr& msg) override;
  void on_timer(sim::Context& ctx, uint64_t tag) override;
  void on_disconnect(sim::Context& ctx, sim::NodeId peer) override;
  void on_shutdown(sim::Context& ctx) override;
  std::string invariants() const override;

  // Read-only views for scenario queries.
  BrokerId id() const { return id_; }
  const Partition* partition(const std::string& topic, int32_t p) const { return replicas_.partition(topic, p); }
  const ReplicaManager::Partitions& partitions() const { return replicas_.partitions(); }
  const MetadataImage& image() const { return image_; }
  const std::map<std::string, Group>& groups() const { return coordinator_.groups(); }
  // The transactional ids this broker coordinates.
  const std::map<std::string, TransactionMetadata>& transactions() const { return txn_coordinator_.transactions(); }

 private:
  void register_with_controller(sim::Context& ctx);
  void send_heartbeat(sim::Context& ctx);
  void fetch_metadata(sim::Context& ctx);
  void handle_metadata(sim::Context& ctx, const MetadataFetchResponse& resp);
  void handle_heartbeat_response(sim::Context& ctx, const BrokerHeartbeatResponse& resp);
  void handle_registration_response(sim::Context& ctx, const BrokerRegistrationResponse& resp);
  // A request that reaches the broker before it listens: the connection is refused.
  void refuse(sim::Context& ctx, sim::NodeId from, const KafkaMessage& request);
  void handle_metadata_request(sim::Context& ctx, sim::NodeId from, const MetadataRequest& req);
  void handle_init_producer_id(sim::Context& ctx, sim::NodeId from, const InitProducerIdRequest& req);
  // The next producer id of this broker's durable block (ProducerIdManager.generateProducerId).
  int64_t generate_producer_id(sim::Context& ctx);
  // AutoTopicCreationManager: one CreateTopics per topic at a time.
  void maybe_auto_create(sim::Context& ctx, const std::string& topic);
  void arm_flush_check(sim::Context& ctx);
  void shut_down(sim::Context& ctx);

  BrokerId id_;
  std::string rack_;
  ClusterLayout layout_;
  ConfigSet config_;
  MetadataImage image_;
  ReplicaManager replicas_;
  GroupCoordinator coordinator_;
  TransactionCoordinator txn_coordinator_;
  LeadershipListeners coordinators_;  // both coordinators, told of leadership changes

  int64_t broker_epoch_ = -1;
  bool registered_ = false;
  bool fenced_ = true;
  // BrokerServer.startup enables its SocketServer only once the controller has unfenced it
  // (lifecycleManager.setReadyToUnfence(), after the initial catch-up and the first published
  // image); until then no request reaches KafkaApis. Set once: a broker fenced later (its
  // session expired) keeps its listeners, as Kafka's does.
  bool listening_ = false;
  bool metadata_in_flight_ = false;
  bool shutting_down_ = false;
  bool previous_clean_shutdown_ = true;
  uint64_t incarnation_id_ = 0;
  bool flush_check_armed_ = false;
  std::set<std::string> auto_creating_;  // topics a CreateTopics is in flight for
  sim::FileId clean_marker_ = 0;
  sim::FileId pid_file_ = 0;
  int64_t next_producer_id_ = 0;
};

}  // namespace kafka
