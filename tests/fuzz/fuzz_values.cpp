// Fuzz target: the parsers of values a scenario or a command line gives: durations, config
// values of every key (as text and as numbers), metadata versions, seed ranges, and the text
// escapers (whose UTF-8 repair must agree with nlohmann's byte for byte).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "broker_model/config/config.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"
#include "sim/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // Durations: never negative, never past the longest time.
  if (auto d = sim::parse_duration(text)) {
    if (d->ns < 0) __builtin_trap();
  }
  // Every key of every scope, given the text, and a number read from the bytes.
  double number = 0;
  int64_t whole = 0;
  if (size >= 8) {
    std::memcpy(&number, data, 8);
    std::memcpy(&whole, data, 8);
  }
  for (auto scope : {kafka::ConfigScope::broker, kafka::ConfigScope::topic, kafka::ConfigScope::producer,
                     kafka::ConfigScope::consumer}) {
    for (const auto& def : kafka::config_defs(scope)) {
      kafka::ConfigSet c(scope, kafka::KafkaVersion{3, 9});
      c.set(def.name, std::string(text));
      c.set(def.name, number);
      c.set(def.name, whole);
      if (scope == kafka::ConfigScope::producer) kafka::finalize_producer(c);
      if (scope == kafka::ConfigScope::consumer) kafka::finalize_consumer(c);
      if (scope == kafka::ConfigScope::broker) kafka::finalize_broker(c);
    }
  }
  kafka::valid_metadata_version(text);
  sim::cli::parse_seed_range(std::string(text));
  // UTF-8 repair: the trace's escaper and nlohmann's replace handler agree.
  std::string ours;
  sim::append_json_string(ours, text);
  const std::string theirs = nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (ours != theirs) __builtin_trap();
  sim::xml_text(text);
  return 0;
}
