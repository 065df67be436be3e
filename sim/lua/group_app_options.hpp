#pragma once
// The options of c:group(...) that configure the process around the consumer, rather than the
// consumer itself: the producer the process hosts and Spring's error handler.
//
//   producer = { acks = "all", ... }                  Kafka's producer configs (a KafkaTemplate)
//   error_handler = {
//     backoff = { interval = "200ms", max_attempts = 2 }              FixedBackOff
//             | { initial = "1s", multiplier = 2, max = "10s",        ExponentialBackOff
//                 max_elapsed = "1m", max_attempts = 5 },
//     dead_letter = true | "topic",                   DeadLetterPublishingRecoverer
//   }
//   processing_guarantee = "at_least_once" | "exactly_once_v2"
//                        | "exactly_once" (v1, below Kafka 4.0),  commit_interval = "100ms"
#include <lua5.4/lua.hpp>

#include <string>
#include <vector>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/config/config.hpp"

namespace sim::lua {

// The keys read_group_app_options reads, which the group's own Kafka configs must not take.
inline const std::vector<std::string> kGroupAppOptionKeys = {"producer", "error_handler", "processing_guarantee",
                                                            "commit_interval"};

// An exactly_once_v2 member's transactional.id without a prefix in producer = { ... }:
// "<group>-tx-<slot>" (the prefix then stands for the group's name); an exactly_once (v1) task
// producer's: "<group>-tx-<topic>-<partition>".
inline constexpr const char* kDefaultTransactionalIdPrefix = "<group>-tx-";

// The transactional.id of the member in slot `slot` (0-based) of `group`: the prefix and the
// slot, as Spring's DefaultKafkaProducerFactory appends a suffix to transactionIdPrefix.
std::string member_transactional_id(const std::string& prefix, const std::string& group, size_t slot);
// exactly_once (v1): the prefix of the member's task producers' transactional.ids, to which
// each task adds "<topic>-<partition>" (kafka::task_transactional_id).
std::string task_transactional_id_prefix(const std::string& prefix, const std::string& group, size_t slot,
                                        bool per_member);

// Reads producer and error_handler from the options table at idx into `app`. A dead-letter
// recoverer without a producer gets one with Kafka's defaults, as a KafkaTemplate would have.
void read_group_app_options(lua_State* L, int idx, kafka::ConsumerApp& app, kafka::KafkaVersion version);

}  // namespace sim::lua
