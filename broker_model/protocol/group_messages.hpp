#pragma once
// The classic consumer group protocol and the consumer's offset APIs, with Kafka's names:
// FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
// ListOffsets. Subscriptions and assignments travel as structured fields rather than the
// serialized ConsumerProtocol bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker_model/protocol/messages.hpp"
#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

struct FindCoordinatorRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string key;  // the group id
  std::string_view name() const override { return "FindCoordinatorRequest"; }
};

struct FindCoordinatorResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  BrokerId coordinator = kNoLeader;
  std::string_view name() const override { return "FindCoordinatorResponse"; }
};

// ConsumerProtocolSubscription: what a member runs and owns.
struct Subscription {
  std::vector<std::string> topics;
  std::vector<TopicPartition> owned;
  int32_t generation = -1;
};

struct JoinGroupRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;  // empty on the first join
  std::optional<std::string> group_instance_id;
  int32_t session_timeout_ms = 45000;
  int32_t rebalance_timeout_ms = 300000;
  std::vector<std::string> protocols;  // assignor names, in preference order
  Subscription subscription;
  std::string_view name() const override { return "JoinGroupRequest"; }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"group", sim::Value(group_id)});
    out.push_back({"member_id", sim::Value(member_id)});
  }
};

struct JoinGroupResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  int32_t generation = -1;
  std::string protocol;  // the chosen assignor
  std::string leader;
  std::string member_id;
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    Subscription subscription;
  };
  std::vector<Member> members;  // only for the leader
  std::string_view name() const override { return "JoinGroupResponse"; }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"error", sim::Value(error_name(error))});
    out.push_back({"generation", sim::Value(generation)});
  }
};

struct SyncGroupRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;
  std::vector<std::pair<std::string, std::vector<TopicPartition>>> assignments;  // leader only
  std::string_view name() const override { return "SyncGroupRequest"; }
};

struct SyncGroupResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::vector<TopicPartition> assignment;
  std::string_view name() const override { return "SyncGroupResponse"; }
};

struct HeartbeatRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;
  std::string_view name() const override { return "HeartbeatRequest"; }
};

struct HeartbeatResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::string_view name() const override { return "HeartbeatResponse"; }
};

struct LeaveGroupRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::string_view name() const override { return "LeaveGroupRequest"; }
};

struct LeaveGroupResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::string_view name() const override { return "LeaveGroupResponse"; }
};

struct OffsetCommitRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;  // -1: a commit from outside the group protocol
  struct Offset {
    TopicPartition tp;
    int64_t offset;
    int32_t leader_epoch = -1;
  };
  std::vector<Offset> offsets;
  std::string_view name() const override { return "OffsetCommitRequest"; }
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back({"group", sim::Value(group_id)});
    out.push_back({"generation", sim::Value(generation)});
    out.push_back({"offsets", sim::Value(offsets.size())});
  }
};

struct OffsetCommitResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::string_view name() const override { return "OffsetCommitResponse"; }
};

struct OffsetFetchRequest final : sim::Message {
  int32_t correlation_id = 0;
  std::string group_id;
  std::vector<TopicPartition> partitions;
  std::string_view name() const override { return "OffsetFetchRequest"; }
};

struct OffsetFetchResponse final : sim::Message {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  struct Offset {
    TopicPartition tp;
    int64_t offset;  // -1: none committed
    int32_t leader_epoch = -1;
  };
  std::vector<Offset> offsets;
  std::string_view name() const override { return "OffsetFetchResponse"; }
};

struct ListOffsetsRequest final : sim::Message {
  int32_t correlation_id = 0;
  static constexpr int64_t kLatest = -1;
  static constexpr int64_t kEarliest = -2;
  struct PartitionData {
    TopicPartition tp;
    int64_t timestamp;  // kLatest or kEarliest
    int32_t current_leader_epoch = -1;
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "ListOffsetsRequest"; }
};

struct ListOffsetsResponse final : sim::Message {
  int32_t correlation_id = 0;
  struct PartitionData {
    TopicPartition tp;
    Error error = Error::NONE;
    int64_t offset = -1;
    int32_t leader_epoch = -1;
  };
  std::vector<PartitionData> partitions;
  std::string_view name() const override { return "ListOffsetsResponse"; }
};

}  // namespace kafka
