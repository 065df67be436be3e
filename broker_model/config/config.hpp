#pragma once
// Configuration with Kafka's own keys, defaults by Kafka version, and Kafka's validation rules.
// A ConfigSet holds the effective values of one entity (a broker, a topic, a producer...) and
// remembers which keys the user set, because Kafka's rules depend on it (an explicitly enabled
// idempotence conflicting with acks=1 is an error; the default one is quietly turned off).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker_model/config/version.hpp"

namespace kafka {

enum class ConfigScope { broker, topic, producer, consumer };
enum class ConfigType { boolean, integer, string, duration_ms, list };

// Kafka's type for a key (ConfigDef.Type), which bounds its values.
enum class JavaType { boolean, int16, int32, int64, string, list };

// Kafka's validation of a key: its type's range narrowed by a ConfigDef.Range (atLeast,
// between), a ValidString, NonEmptyString. `source` names the Kafka class that defines it.
struct ConfigRule {
  JavaType java = JavaType::string;
  std::optional<int64_t> at_least, at_most;
  std::vector<std::string> one_of;
  bool non_empty = false;
  const char* source = "";
  // Set when kafkasim does not apply the key (yet): only its default is accepted, and any
  // other value is an error saying why, rather than a silent no-op.
  const char* not_applied = nullptr;
};

struct ConfigDef {
  std::string name;
  ConfigType type;
  std::string doc;
  ConfigRule rule;
};

// What a scenario gave for a key: text, a number (a Lua integer stays exact), a boolean or a
// list of texts.
using RawValue = std::variant<std::string, double, bool, int64_t, std::vector<std::string>>;
// A parsed value: integers (also milliseconds), booleans, strings, lists.
using ConfigValue = std::variant<int64_t, bool, std::string, std::vector<std::string>>;

class ConfigSet {
 public:
  ConfigSet() = default;
  ConfigSet(ConfigScope scope, KafkaVersion version);

  ConfigScope scope() const { return scope_; }
  KafkaVersion version() const { return version_; }

  // Sets a key from a scenario value; returns an error message (empty when accepted). Unknown
  // keys are errors; the caller adds "did you mean" from known_keys().
  std::string set(const std::string& key, const RawValue& value);
  // Sets a value directly (from model code), marking it explicit.
  void put(const std::string& key, ConfigValue value);
  // Replaces a value as Kafka's own post-processing does, leaving it as explicit or default
  // as it was.
  void resolve(const std::string& key, ConfigValue value);
  bool is_explicit(const std::string& key) const { return explicit_.count(key) != 0; }
  bool has(const std::string& key) const { return values_.count(key) != 0; }

  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  const std::string& string(const std::string& key) const;
  const std::vector<std::string>& list(const std::string& key) const;
  // For display and kafka.defaults(): every key with its value as text.
  std::map<std::string, std::string> describe() const;

 private:
  ConfigScope scope_ = ConfigScope::broker;
  KafkaVersion version_;
  std::map<std::string, ConfigValue> values_;
  std::set<std::string> explicit_;
};

// Kafka's defaults for the version, as a client's constructor leaves them (a producer's and a
// consumer's after the post-processing of finalize_producer and finalize_consumer).
ConfigSet default_config(ConfigScope scope, KafkaVersion version);

// A key whose value differs from the default it is compared with.
struct ConfigChange {
  std::string key, value, default_value;
  bool set = false;  // the scenario set it (else it follows from what it set)
};
// Every key of `cfg` whose value differs from its default in `defaults` (a ConfigSet's
// describe()), in key order.
std::vector<ConfigChange> config_changes(const ConfigSet& cfg, const std::map<std::string, std::string>& defaults);

const std::vector<ConfigDef>& config_defs(ConfigScope scope);
std::vector<std::string> known_keys(ConfigScope scope);
// Topic-level keys that a topic may override from the broker's (e.g. min.insync.replicas).
bool is_topic_override(const std::string& key);

// Kafka's post-processing and validation of producer configs (ProducerConfig and
// KafkaProducer): resolves acks "all"/-1, idempotence defaults and conflicts, delivery.timeout.
// Returns an error message for a configuration Kafka rejects, or empty.
std::string finalize_producer(ConfigSet& producer);
// Kafka's validation of consumer configs (auto.offset.reset, assignors, heartbeat vs session).
std::string finalize_consumer(ConfigSet& consumer);
// Kafka's cross-checks of broker configs (KafkaConfig.validateValues).
std::string finalize_broker(const ConfigSet& broker);
// Whether `text` names a metadata version as Kafka's MetadataVersion.fromVersionString reads
// it ("3.9", "3.9-IV0", "0.10.2", "2.8.1").
bool valid_metadata_version(std::string_view text);
// The effective acks as Kafka's wire value: -1 (all), 0 or 1.
int16_t producer_acks(const ConfigSet& producer);

std::string format_value(const ConfigValue& v);

}  // namespace kafka
