// Kafka's four classic consumer partition assignors (client side, classic group protocol):
// range, roundrobin, sticky and cooperative-sticky, giving exactly the assignments Kafka's Java
// classes give for the same input. Rack-aware assignment is not modelled (members have no racks).
//
// Kafka sources: clients/.../consumer/RangeAssignor.java, RoundRobinAssignor.java, StickyAssignor.java,
// CooperativeStickyAssignor.java, internals/AbstractPartitionAssignor.java,
// internals/AbstractStickyAssignor.java.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "broker_model/protocol/topic_partition.hpp"

namespace kafka {

// One member's JoinGroup subscription, as the group leader's assignor sees it.
struct MemberSubscription {
  std::string member_id;
  std::optional<std::string> group_instance_id;  // set for static members
  std::vector<std::string> topics;               // treated as a set
  // The partitions the member owned in its last generation (sticky: the user data's previous
  // assignment; cooperative-sticky: the subscription's owned partitions). Ignored by range and roundrobin.
  std::vector<TopicPartition> owned;
  int32_t generation = -1;  // -1: unknown (DEFAULT_GENERATION)
};

// Member id -> assigned partitions, each list sorted by (topic, partition). Every member appears.
using Assignment = std::map<std::string, std::vector<TopicPartition>>;

// Kafka's own assignor fails on this input, so the group leader has no assignment to send.
class AssignorFailure : public std::runtime_error {
 public:
  enum class Kind {
    throws,         // the Java assignor throws: the exception escapes from the leader's poll()
    never_returns,  // the Java assignor loops forever: the leader's poll() never returns
  };
  AssignorFailure(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Runs `strategy` ("range", "roundrobin", "sticky" or "cooperative-sticky") for the group.
//
// `partitions_per_topic` is the leader's metadata: topic -> partition count. Topics nobody
// subscribes to, and topics with no partitions, are left out, as the leader's metadata lookup
// leaves them out; subscribed topics missing from it get no assignment.
//
// `members` lists the group in JoinGroup response order, which is the insertion order of the Java
// HashMap the leader builds: the sticky assignors' tie-breaks depend on that map's iteration order.
//
// For "cooperative-sticky" the result leaves out every partition that must first be revoked from
// its current owner; the follow-up rebalance assigns it.
//
// Stateless: Kafka's sticky assignor object also remembers the highest generation it has seen in
// earlier calls, which matters only if generations went backwards.
//
// Throws std::invalid_argument for an unknown strategy, duplicate member ids or a negative
// partition count. Owned partitions beyond a topic's partition count are ignored (Kafka never
// shrinks a topic). Throws AssignorFailure where Kafka's sticky assignors fail: with unequal
// subscriptions they throw NullPointerException when a partition's previous owner (a member of an
// older generation) can no longer take part in balancing, and some inputs make them move one
// partition back and forth forever.
Assignment assign(std::string_view strategy, const std::map<std::string, int32_t>& partitions_per_topic,
                  const std::vector<MemberSubscription>& members);

enum class RebalanceProtocol { eager, cooperative };

// ConsumerPartitionAssignor.supportedProtocols(), in Kafka's order: {eager} for range, roundrobin
// and sticky; {cooperative, eager} for cooperative-sticky. Throws std::invalid_argument for an
// unknown strategy.
std::vector<RebalanceProtocol> supported_protocols(std::string_view strategy);

}  // namespace kafka
