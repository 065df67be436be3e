#pragma once
// What one run may ask the simulator for, where Kafka sets no bound of its own. Each is far
// above what a scenario needs and far below what exhausts a machine; a scenario past one gets
// an error naming the cap (docs/lua-reference.md lists them).
#include <cstdint>

namespace sim::lua::caps {

constexpr int64_t kPartitionsPerTopic = 10'000;
// Partitions times replicas, over every topic of a cluster (__consumer_offsets included).
constexpr int64_t kReplicasPerCluster = 100'000;
constexpr int64_t kMembersPerGroup = 1'000;
// Producers and group members a run starts, over its whole life: a stopped process stays in the
// world (its trace and history name it), so m:replace() or g:scale() in a loop would otherwise
// grow the model without bound, outside the Lua heap's limit.
constexpr int64_t kClientProcesses = 2'000;  // above a full group, with room to replace its members
constexpr int64_t kStores = 100;  // the application's databases (c:store), each a node
constexpr int64_t kLoadKeys = 1'000'000;
constexpr double kLoadRate = 10'000'000;  // records per simulated second, per load
constexpr int64_t kLoadThreads = 1'000;
constexpr int64_t kLoadsPerProducer = 100;
constexpr int64_t kValueBytes = 100 << 20;
constexpr int64_t kAssignMembers = 10'000;
constexpr int64_t kAssignPartitions = 100'000;  // over every topic of one kafka.assign
constexpr int64_t kScriptBytes = 64 << 20;  // a scenario file or a module it requires

}  // namespace sim::lua::caps
