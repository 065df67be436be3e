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
#include <lua5.4/lua.hpp>

#include <string>
#include <vector>

#include "broker_model/client/consumer_app.hpp"
#include "broker_model/config/config.hpp"

namespace sim::lua {

// The keys read_group_app_options reads, which the group's own Kafka configs must not take.
inline const std::vector<std::string> kGroupAppOptionKeys = {"producer", "error_handler"};

// Reads producer and error_handler from the options table at idx into `app`. A dead-letter
// recoverer without a producer gets one with Kafka's defaults, as a KafkaTemplate would have.
void read_group_app_options(lua_State* L, int idx, kafka::ConsumerApp& app, kafka::KafkaVersion version);

}  // namespace sim::lua
