#pragma once
// The coordinators the ReplicaManager tells of leadership changes, in the order they were
// added (Kafka's BrokerMetadataPublisher calls the group and the transaction coordinator).
#include <vector>

#include "broker_model/group/partition_writer.hpp"

namespace kafka {

class LeadershipListeners final : public LeadershipListener {
 public:
  void add(LeadershipListener* listener) { listeners_.push_back(listener); }
  void on_election(sim::Context& ctx, const TopicPartition& tp) override {
    for (LeadershipListener* l : listeners_) l->on_election(ctx, tp);
  }
  void on_resignation(sim::Context& ctx, const TopicPartition& tp) override {
    for (LeadershipListener* l : listeners_) l->on_resignation(ctx, tp);
  }

 private:
  std::vector<LeadershipListener*> listeners_;
};

}  // namespace kafka
