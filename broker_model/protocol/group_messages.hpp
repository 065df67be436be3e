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

// FindCoordinatorRequest.KeyType: a group's coordinator, or a transactional id's.
enum class CoordinatorType : int8_t { group = 0, transaction = 1 };

struct FindCoordinatorRequest final : Request<ApiKey::find_coordinator> {
  int32_t correlation_id = 0;
  std::string key;  // the group id, or the transactional id
  CoordinatorType key_type = CoordinatorType::group;
};

struct FindCoordinatorResponse final : Response<ApiKey::find_coordinator> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  BrokerId coordinator = kNoLeader;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

// ConsumerProtocolSubscription: what a member runs and owns.
struct Subscription {
  std::vector<std::string> topics;
  std::vector<TopicPartition> owned;
  int32_t generation = -1;
  bool operator==(const Subscription&) const = default;
};

struct JoinGroupRequest final : Request<ApiKey::join_group> {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;  // empty on the first join
  std::optional<std::string> group_instance_id;
  int32_t session_timeout_ms = 45000;
  int32_t rebalance_timeout_ms = 300000;
  std::vector<std::string> protocols;  // assignor names, in preference order
  Subscription subscription;
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::group(group_id));
    out.push_back(event::message::member_id(member_id));
  }
};

struct JoinGroupResponse final : Response<ApiKey::join_group> {
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
  void describe(std::vector<sim::Field>& out) const override {
    describe_error(out, error);
    out.push_back(event::message::generation(generation));
  }
};

struct SyncGroupRequest final : Request<ApiKey::sync_group> {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;
  std::vector<std::pair<std::string, std::vector<TopicPartition>>> assignments;  // leader only
};

struct SyncGroupResponse final : Response<ApiKey::sync_group> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  std::vector<TopicPartition> assignment;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

struct HeartbeatRequest final : Request<ApiKey::heartbeat> {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  int32_t generation = -1;
};

struct HeartbeatResponse final : Response<ApiKey::heartbeat> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

// LeaveGroup v3+ names members by MemberIdentity; a consumer leaves with one, its own.
struct LeaveGroupRequest final : Request<ApiKey::leave_group> {
  int32_t correlation_id = 0;
  std::string group_id;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveGroupResponse final : Response<ApiKey::leave_group> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

struct OffsetCommitRequest final : Request<ApiKey::offset_commit> {
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
  void describe(std::vector<sim::Field>& out) const override {
    out.push_back(event::message::group(group_id));
    out.push_back(event::message::generation(generation));
    out.push_back(event::message::offsets(offsets.size()));
  }
};

struct OffsetCommitResponse final : Response<ApiKey::offset_commit> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, error); }
};

struct OffsetFetchRequest final : Request<ApiKey::offset_fetch> {
  int32_t correlation_id = 0;
  std::string group_id;
  std::vector<TopicPartition> partitions;
  // KIP-447 (OffsetFetch v7): a partition with transactional offsets still pending answers
  // UNSTABLE_OFFSET_COMMIT instead of its committed offset. Consumers set it for
  // isolation.level=read_committed.
  bool require_stable = false;
};

struct OffsetFetchResponse final : Response<ApiKey::offset_fetch> {
  int32_t correlation_id = 0;
  Error error = Error::NONE;
  struct Offset {
    TopicPartition tp;
    int64_t offset;  // -1: none committed
    int32_t leader_epoch = -1;
    Error error = Error::NONE;  // the partition's (UNSTABLE_OFFSET_COMMIT, KIP-447)
  };
  std::vector<Offset> offsets;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, first_error(error, offsets, [](const Offset& o) { return o.error; })); }
};

struct ListOffsetsRequest final : Request<ApiKey::list_offsets> {
  int32_t correlation_id = 0;
  static constexpr int64_t kLatest = -1;
  static constexpr int64_t kEarliest = -2;
  // IsolationLevel (ListOffsets v2+): READ_COMMITTED's latest is the last stable offset.
  int8_t isolation_level = 0;
  struct PartitionData {
    TopicPartition tp;
    int64_t timestamp;  // kLatest or kEarliest
    int32_t current_leader_epoch = -1;
  };
  std::vector<PartitionData> partitions;
};

struct ListOffsetsResponse final : Response<ApiKey::list_offsets> {
  int32_t correlation_id = 0;
  struct PartitionData {
    TopicPartition tp;
    Error error = Error::NONE;
    int64_t offset = -1;
    int32_t leader_epoch = -1;
  };
  std::vector<PartitionData> partitions;
  void describe(std::vector<sim::Field>& out) const override { describe_error(out, first_error(partitions)); }
};

}  // namespace kafka
