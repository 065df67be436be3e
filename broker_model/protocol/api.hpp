#pragma once
// Every message of the model belongs to one of Kafka's APIs, as a request or its response, and
// carries the API's key as Kafka's wire protocol does (org.apache.kafka.common.protocol.ApiKeys).
// Nodes switch on the key; a message a node does not expect is a broken invariant, not a
// silent fall-through.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sim/assert.hpp"
#include "sim/message.hpp"

namespace kafka {

enum class ApiKey : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  create_topics = 19,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  write_txn_markers = 27,
  txn_offset_commit = 28,
  alter_partition = 56,
  broker_registration = 62,
  broker_heartbeat = 63,
  // Not one of Kafka's keys: KRaft brokers follow __cluster_metadata with the Raft Fetch API;
  // here a fetch of the controller's metadata log has an API of its own.
  metadata_log_fetch = 1000,
  // Not Kafka's either: the application's database (a store node, broker_model/app/).
  store = 1001,
};

// The message names the trace shows: "Produce" + "Request" / "Response".
constexpr std::string_view api_name(ApiKey k) {
  switch (k) {
    case ApiKey::produce: return "Produce";
    case ApiKey::fetch: return "Fetch";
    case ApiKey::list_offsets: return "ListOffsets";
    case ApiKey::metadata: return "Metadata";
    case ApiKey::offset_commit: return "OffsetCommit";
    case ApiKey::offset_fetch: return "OffsetFetch";
    case ApiKey::find_coordinator: return "FindCoordinator";
    case ApiKey::join_group: return "JoinGroup";
    case ApiKey::heartbeat: return "Heartbeat";
    case ApiKey::leave_group: return "LeaveGroup";
    case ApiKey::sync_group: return "SyncGroup";
    case ApiKey::create_topics: return "CreateTopics";
    case ApiKey::init_producer_id: return "InitProducerId";
    case ApiKey::offset_for_leader_epoch: return "OffsetsForLeaderEpoch";
    case ApiKey::add_partitions_to_txn: return "AddPartitionsToTxn";
    case ApiKey::add_offsets_to_txn: return "AddOffsetsToTxn";
    case ApiKey::end_txn: return "EndTxn";
    case ApiKey::write_txn_markers: return "WriteTxnMarkers";
    case ApiKey::txn_offset_commit: return "TxnOffsetCommit";
    case ApiKey::alter_partition: return "AlterPartition";
    case ApiKey::broker_registration: return "BrokerRegistration";
    case ApiKey::broker_heartbeat: return "BrokerHeartbeat";
    case ApiKey::metadata_log_fetch: return "MetadataFetch";
    case ApiKey::store: return "Store";
  }
  return "Unknown";
}

class KafkaMessage : public sim::Message {
 public:
  virtual ApiKey api() const = 0;
  virtual bool is_response() const = 0;
};

// "ProduceRequest": built at compile time from the API's name.
template <ApiKey K, bool Response>
struct MessageName {
  static constexpr auto make() {
    std::array<char, 48> text{};
    size_t n = 0;
    for (char c : api_name(K)) text[n++] = c;
    for (char c : std::string_view(Response ? "Response" : "Request")) text[n++] = c;
    return std::pair{text, n};
  }
  static constexpr auto built = make();
  static constexpr std::string_view value{built.first.data(), built.second};
};

template <ApiKey K, bool Response>
class ApiMessage : public KafkaMessage {
 public:
  static constexpr ApiKey kApi = K;
  static constexpr bool kResponse = Response;
  ApiKey api() const final { return K; }
  bool is_response() const final { return Response; }
  std::string_view name() const final { return MessageName<K, Response>::value; }
};

template <ApiKey K>
using Request = ApiMessage<K, false>;
template <ApiKey K>
using Response = ApiMessage<K, true>;

// What a node switches on: the API and which side of it the message is.
constexpr uint32_t route(ApiKey k, bool response) { return (static_cast<uint32_t>(k) << 1) | (response ? 1u : 0u); }
inline uint32_t route(const KafkaMessage& m) { return route(m.api(), m.is_response()); }
template <typename T>
inline constexpr uint32_t route_of = route(T::kApi, T::kResponse);

// A message no case of a node's switch takes: a broken invariant of the protocol.
[[noreturn]] inline void unexpected_message(const char* node, const KafkaMessage& m) {
  ::sim::assertion_failed("a node receives only the messages of its protocol", __FILE__, __LINE__,
                          std::string(node) + " received " + std::string(m.name()));
}

// The Kafka message behind a message a node received.
inline const KafkaMessage& kafka_message(const sim::MessagePtr& msg) { return static_cast<const KafkaMessage&>(*msg); }

// The message as T, which its key says it is.
template <typename T>
const T& message_as(const KafkaMessage& m) {
  SIM_ASSERT(m.api() == T::kApi && m.is_response() == T::kResponse, "a message is what its API key says");
  return static_cast<const T&>(m);
}

}  // namespace kafka
