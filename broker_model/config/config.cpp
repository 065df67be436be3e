#include "broker_model/config/config.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/time.hpp"

namespace kafka {

std::optional<KafkaVersion> KafkaVersion::parse(std::string_view text) {
  const size_t dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 >= text.size()) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<int> {
    int v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  std::string_view minor = text.substr(dot + 1);
  if (const size_t dot2 = minor.find('.'); dot2 != std::string_view::npos) minor = minor.substr(0, dot2);
  auto maj = number(text.substr(0, dot)), min = number(minor);
  if (!maj || !min) return std::nullopt;
  return KafkaVersion{*maj, *min};
}

namespace {

constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

struct Entry {
  ConfigScope scope;
  ConfigDef def;
  std::function<ConfigValue(KafkaVersion)> default_for;
};

const std::vector<Entry>& entries() {
  using S = ConfigScope;
  using T = ConfigType;
  static const std::vector<Entry> all = [] {
    std::vector<Entry> e;
    auto add = [&](S scope, const char* name, T type, std::function<ConfigValue(KafkaVersion)> dflt, const char* doc) {
      e.push_back(Entry{scope, ConfigDef{name, type, doc}, std::move(dflt)});
    };
    auto always = [](ConfigValue v) { return [v](KafkaVersion) { return v; }; };

    // ---- broker (and topic overrides) ----
    add(S::broker, "min.insync.replicas", T::integer, always(int64_t{1}),
        "Replicas that must have a write before acks=all succeeds");
    add(S::broker, "unclean.leader.election.enable", T::boolean, always(false),
        "Elect a replica outside the ISR when no ISR member is alive (may lose committed data)");
    add(S::broker, "replica.lag.time.max.ms", T::duration_ms, always(int64_t{30000}),
        "A follower not caught up for this long leaves the ISR");
    add(S::broker, "replica.fetch.wait.max.ms", T::duration_ms, always(int64_t{500}),
        "Longest a follower's fetch waits at the leader for data");
    add(S::broker, "replica.fetch.min.bytes", T::integer, always(int64_t{1}), "Bytes a follower's fetch waits for");
    add(S::broker, "replica.fetch.backoff.ms", T::duration_ms, always(int64_t{1000}),
        "Pause after a follower's fetch fails");
    add(S::broker, "replica.high.watermark.checkpoint.interval.ms", T::duration_ms, always(int64_t{5000}),
        "How often each broker writes its high watermarks to disk");
    add(S::broker, "flush.messages", T::integer, always(kLongMax),
        "Force a flush after this many messages (default: never; Kafka relies on replication)");
    add(S::broker, "flush.ms", T::duration_ms, always(kLongMax),
        "Force a flush when a message has waited this long (default: never)");
    add(S::broker, "broker.session.timeout.ms", T::duration_ms, always(int64_t{9000}),
        "The controller fences a broker whose heartbeats stop for this long");
    add(S::broker, "broker.heartbeat.interval.ms", T::duration_ms, always(int64_t{2000}),
        "How often a broker heartbeats to the controller");
    add(S::broker, "default.replication.factor", T::integer, always(int64_t{1}), "Replication factor of new topics");
    add(S::broker, "num.partitions", T::integer, always(int64_t{1}), "Partitions of new topics");
    add(S::broker, "offsets.topic.replication.factor", T::integer, always(int64_t{3}), "Replication of __consumer_offsets");
    add(S::broker, "offsets.topic.num.partitions", T::integer, always(int64_t{50}), "Partitions of __consumer_offsets");
    add(S::broker, "inter.broker.protocol.version", T::string, [](KafkaVersion v) { return ConfigValue(v.to_string()); },
        "Replication protocol: below 0.11 truncates to the high watermark (pre-KIP-101); 0.11-1.1 uses "
        "OffsetsForLeaderEpoch v0 (KIP-101); 2.0-2.6 adds KIP-279; 2.7+ detects divergence in Fetch");
    add(S::broker, "eligible.leader.replicas.version", T::integer, always(int64_t{0}),
        "1 enables KIP-966 eligible leader replicas (Kafka 4.0+)");

    // ---- producer ----
    add(S::producer, "acks", T::string, [](KafkaVersion v) { return ConfigValue(std::string(v < kV3_0 ? "1" : "all")); },
        "0: no response; 1: the leader wrote it; all (-1): every ISR member has it");
    add(S::producer, "retries", T::integer, always(kIntMax), "How often a failed batch is retried");
    add(S::producer, "retry.backoff.ms", T::duration_ms, always(int64_t{100}), "Pause before a retry");
    add(S::producer, "retry.backoff.max.ms", T::duration_ms, always(int64_t{1000}),
        "Upper bound of the exponential retry backoff (3.7+, KIP-580)");
    add(S::producer, "delivery.timeout.ms", T::duration_ms, always(int64_t{120000}),
        "Time from send() to the final outcome, retries included");
    add(S::producer, "request.timeout.ms", T::duration_ms, always(int64_t{30000}), "Time to wait for one response");
    add(S::producer, "linger.ms", T::duration_ms, [](KafkaVersion v) { return ConfigValue(int64_t{v >= kV4_0 ? 5 : 0}); },
        "How long a batch waits for more records (5 ms from 4.0, KIP-1030)");
    add(S::producer, "batch.size", T::integer, always(int64_t{16384}), "Bytes per batch");
    add(S::producer, "max.in.flight.requests.per.connection", T::integer, always(int64_t{5}),
        "Unanswered requests per broker connection");
    add(S::producer, "enable.idempotence", T::boolean, [](KafkaVersion v) { return ConfigValue(v >= kV3_0); },
        "Producer id, epoch and sequence numbers make retries safe (default true from 3.0)");
    add(S::producer, "partitioner.ignore.keys", T::boolean, always(false), "Do not hash keys (3.3+)");
    add(S::producer, "partitioner.adaptive.partitioning.enable", T::boolean, always(true),
        "Prefer partitions with shorter queues for records without keys (3.3+)");
    add(S::producer, "partitioner.availability.timeout.ms", T::duration_ms, always(int64_t{0}),
        "Avoid partitions whose leader has not accepted produce requests for this long (0: off)");
    add(S::producer, "metadata.max.age.ms", T::duration_ms, always(int64_t{300000}), "Refresh metadata at least this often");
    add(S::producer, "max.block.ms", T::duration_ms, always(int64_t{60000}), "How long send() may block");
    add(S::producer, "client.id", T::string, always(std::string()), "Name in logs and the trace");
    add(S::producer, "transactional.id", T::string, always(std::string()), "Enables transactions (later)");
    add(S::producer, "transaction.timeout.ms", T::duration_ms, always(int64_t{60000}), "Transaction timeout");

    // ---- consumer ----
    add(S::consumer, "group.id", T::string, always(std::string()), "The consumer group");
    add(S::consumer, "group.instance.id", T::string, always(std::string()), "Static membership (KIP-345)");
    add(S::consumer, "enable.auto.commit", T::boolean, always(true), "Commit positions in poll() every auto.commit.interval.ms");
    add(S::consumer, "auto.commit.interval.ms", T::duration_ms, always(int64_t{5000}), "How often auto-commit commits");
    add(S::consumer, "auto.offset.reset", T::string, always(std::string("latest")),
        "Where to start without a committed offset: earliest, latest or none");
    add(S::consumer, "session.timeout.ms", T::duration_ms, [](KafkaVersion v) { return ConfigValue(int64_t{v < kV3_0 ? 10000 : 45000}); },
        "The coordinator removes a member that sends no heartbeat for this long (45 s from 3.0, KIP-735)");
    add(S::consumer, "heartbeat.interval.ms", T::duration_ms, always(int64_t{3000}), "How often the member heartbeats");
    add(S::consumer, "max.poll.interval.ms", T::duration_ms, always(int64_t{300000}),
        "A member that does not poll for this long leaves the group; also the rebalance timeout");
    add(S::consumer, "max.poll.records", T::integer, always(int64_t{500}), "Records one poll() returns at most");
    add(S::consumer, "fetch.min.bytes", T::integer, always(int64_t{1}), "Bytes a fetch waits for");
    add(S::consumer, "fetch.max.wait.ms", T::duration_ms, always(int64_t{500}), "How long a fetch waits at the leader");
    add(S::consumer, "max.partition.fetch.bytes", T::integer, always(int64_t{1048576}), "Bytes per partition per fetch");
    add(S::consumer, "partition.assignment.strategy", T::list, [](KafkaVersion v) {
          return ConfigValue(v < kV3_0 ? std::vector<std::string>{"range"} : std::vector<std::string>{"range", "cooperative-sticky"});
        }, "Assignors in preference order: range, roundrobin, sticky, cooperative-sticky");
    add(S::consumer, "isolation.level", T::string, always(std::string("read_uncommitted")), "read_committed arrives with transactions");
    add(S::consumer, "request.timeout.ms", T::duration_ms, always(int64_t{30000}), "Time to wait for one response");
    add(S::consumer, "default.api.timeout.ms", T::duration_ms, always(int64_t{60000}), "Time limit of blocking calls such as commitSync");
    add(S::consumer, "retry.backoff.ms", T::duration_ms, always(int64_t{100}), "Pause before a retry");
    add(S::consumer, "metadata.max.age.ms", T::duration_ms, always(int64_t{300000}), "Refresh metadata at least this often");
    add(S::consumer, "client.id", T::string, always(std::string()), "Name in logs and the trace");
    // broker side of groups
    add(S::broker, "group.initial.rebalance.delay.ms", T::duration_ms, always(int64_t{3000}),
        "How long a new group waits for more members before its first rebalance");
    add(S::broker, "group.min.session.timeout.ms", T::duration_ms, always(int64_t{6000}), "Smallest session timeout a member may ask for");
    add(S::broker, "group.max.session.timeout.ms", T::duration_ms, always(int64_t{1800000}), "Largest session timeout a member may ask for");
    return e;
  }();
  return all;
}

const Entry* find_entry(ConfigScope scope, const std::string& key) {
  const ConfigScope lookup = scope == ConfigScope::topic ? ConfigScope::broker : scope;
  for (const auto& e : entries())
    if (e.scope == lookup && e.def.name == key) return &e;
  return nullptr;
}

}  // namespace

bool is_topic_override(const std::string& key) {
  static const std::set<std::string> keys = {"min.insync.replicas", "unclean.leader.election.enable", "flush.messages",
                                             "flush.ms"};
  return keys.count(key) != 0;
}

const std::vector<ConfigDef>& config_defs(ConfigScope scope) {
  static std::map<ConfigScope, std::vector<ConfigDef>> cache;
  auto& out = cache[scope];
  if (out.empty()) {
    for (const auto& e : entries()) {
      const bool topic_ok = scope == ConfigScope::topic && e.scope == ConfigScope::broker && is_topic_override(e.def.name);
      if (e.scope == scope || topic_ok) out.push_back(e.def);
    }
  }
  return out;
}

std::vector<std::string> known_keys(ConfigScope scope) {
  std::vector<std::string> out;
  for (const auto& d : config_defs(scope)) out.push_back(d.name);
  return out;
}

ConfigSet::ConfigSet(ConfigScope scope, KafkaVersion version) : scope_(scope), version_(version) {
  for (const auto& d : config_defs(scope)) values_[d.name] = find_entry(scope, d.name)->default_for(version);
}

std::string ConfigSet::set(const std::string& key, const RawValue& raw) {
  const Entry* e = find_entry(scope_, key);
  if (!e || (scope_ == ConfigScope::topic && !is_topic_override(key))) return fmt::format("unknown config '{}'", key);
  const auto& def = e->def;
  switch (def.type) {
    case ConfigType::boolean:
      if (auto* b = std::get_if<bool>(&raw)) {
        put(key, *b);
        return {};
      }
      if (auto* s = std::get_if<std::string>(&raw); s && (*s == "true" || *s == "false")) {
        put(key, *s == "true");
        return {};
      }
      return fmt::format("{}: expected true or false", key);
    case ConfigType::integer:
      if (auto* d = std::get_if<double>(&raw)) {
        if (std::floor(*d) != *d) return fmt::format("{}: expected a whole number, got {}", key, *d);
        put(key, static_cast<int64_t>(*d));
        return {};
      }
      return fmt::format("{}: expected a whole number", key);
    case ConfigType::duration_ms:
      if (auto* d = std::get_if<double>(&raw)) {
        if (*d < 0) return fmt::format("{}: must not be negative", key);
        put(key, static_cast<int64_t>(std::llround(*d)));
        return {};
      }
      if (auto* s = std::get_if<std::string>(&raw)) {
        if (auto dur = sim::parse_duration(*s)) {
          put(key, dur->ns / 1'000'000);
          return {};
        }
        return fmt::format("{}: \"{}\" is not a time (write e.g. \"500ms\" or \"30s\", or a number of ms)", key, *s);
      }
      return fmt::format("{}: expected a time such as \"30s\" or a number of milliseconds", key);
    case ConfigType::string:
      if (auto* s = std::get_if<std::string>(&raw)) {
        put(key, *s);
        return {};
      }
      if (auto* d = std::get_if<double>(&raw); d && std::floor(*d) == *d) {
        put(key, fmt::format("{}", static_cast<int64_t>(*d)));
        return {};
      }
      return fmt::format("{}: expected a string", key);
    case ConfigType::list:
      if (auto* s = std::get_if<std::string>(&raw)) {
        std::vector<std::string> items;
        size_t start = 0;
        while (start <= s->size()) {
          size_t comma = s->find(',', start);
          if (comma == std::string::npos) comma = s->size();
          std::string item = s->substr(start, comma - start);
          while (!item.empty() && item.front() == ' ') item.erase(0, 1);
          while (!item.empty() && item.back() == ' ') item.pop_back();
          if (!item.empty()) items.push_back(item);
          start = comma + 1;
        }
        put(key, items);
        return {};
      }
      return fmt::format("{}: expected a comma-separated list", key);
  }
  return {};
}

void ConfigSet::resolve(const std::string& key, ConfigValue value) { values_[key] = std::move(value); }

void ConfigSet::put(const std::string& key, ConfigValue value) {
  values_[key] = std::move(value);
  explicit_.insert(key);
}

namespace {
template <typename T>
const T& get(const std::map<std::string, ConfigValue>& values, const std::string& key) {
  auto it = values.find(key);
  if (it == values.end()) throw std::logic_error("no config " + key);
  const T* v = std::get_if<T>(&it->second);
  if (!v) throw std::logic_error("config " + key + " has another type");
  return *v;
}
}  // namespace

int64_t ConfigSet::integer(const std::string& key) const { return get<int64_t>(values_, key); }
bool ConfigSet::boolean(const std::string& key) const { return get<bool>(values_, key); }
const std::string& ConfigSet::string(const std::string& key) const { return get<std::string>(values_, key); }
const std::vector<std::string>& ConfigSet::list(const std::string& key) const {
  return get<std::vector<std::string>>(values_, key);
}

std::string format_value(const ConfigValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return fmt::format("{}", *i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  std::string out;
  for (const auto& item : std::get<std::vector<std::string>>(v)) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::map<std::string, std::string> ConfigSet::describe() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : values_) out[k] = format_value(v);
  return out;
}

int16_t producer_acks(const ConfigSet& p) {
  const std::string& a = p.string("acks");
  if (a == "all" || a == "-1") return -1;
  if (a == "0") return 0;
  return 1;
}

std::string finalize_consumer(ConfigSet& c) {
  const std::string& reset = c.string("auto.offset.reset");
  if (reset != "earliest" && reset != "latest" && reset != "none") {
    return fmt::format("auto.offset.reset: \"{}\" is not one of earliest, latest, none", reset);
  }
  // Java class names are accepted as Kafka users write them.
  std::vector<std::string> assignors;
  for (std::string a : c.list("partition.assignment.strategy")) {
    const size_t dot = a.rfind('.');
    if (dot != std::string::npos) a = a.substr(dot + 1);
    if (a == "RangeAssignor") a = "range";
    else if (a == "RoundRobinAssignor") a = "roundrobin";
    else if (a == "StickyAssignor") a = "sticky";
    else if (a == "CooperativeStickyAssignor") a = "cooperative-sticky";
    assignors.push_back(a);
  }
  c.resolve("partition.assignment.strategy", assignors);
  for (const std::string& a : assignors) {
    if (a != "range" && a != "roundrobin" && a != "sticky" && a != "cooperative-sticky") {
      return fmt::format("partition.assignment.strategy: unknown assignor \"{}\" (range, roundrobin, sticky, cooperative-sticky)", a);
    }
  }
  if (c.list("partition.assignment.strategy").empty()) return "partition.assignment.strategy: at least one assignor";
  if (c.integer("max.poll.records") < 1) return "max.poll.records: at least 1";
  if (c.integer("heartbeat.interval.ms") >= c.integer("session.timeout.ms")) {
    return "heartbeat.interval.ms must be lower than session.timeout.ms";
  }
  return {};
}

std::string finalize_producer(ConfigSet& p) {
  const std::string acks = p.string("acks");
  if (acks != "all" && acks != "-1" && acks != "0" && acks != "1") {
    return fmt::format("acks: \"{}\" is not one of all, -1, 0, 1", acks);
  }
  if (p.integer("max.in.flight.requests.per.connection") < 1) return "max.in.flight.requests.per.connection: must be at least 1";
  if (p.integer("batch.size") < 0) return "batch.size: must not be negative";

  // ProducerConfig.postProcessAndValidateIdempotenceConfigs.
  const bool explicit_idem = p.is_explicit("enable.idempotence");
  bool idem = p.boolean("enable.idempotence");
  const int16_t a = producer_acks(p);
  const int64_t in_flight = p.integer("max.in.flight.requests.per.connection");
  const int64_t retries = p.integer("retries");
  if (idem) {
    if (explicit_idem) {
      if (a != -1) return "enable.idempotence=true needs acks=all (Kafka: \"Must set acks to all in order to use the idempotent producer\")";
      if (retries <= 0) return "enable.idempotence=true needs retries > 0";
      if (in_flight > 5) return "enable.idempotence=true needs max.in.flight.requests.per.connection <= 5";
    } else {
      // On by default only: a conflicting setting quietly turns it off (KAFKA-13673), except
      // that from 4.0 too many requests in flight is an error.
      if (p.version() >= kV4_0 && in_flight > 5 && a == -1 && retries > 0) {
        return "max.in.flight.requests.per.connection > 5 is not allowed with idempotence (Kafka 4.0)";
      }
      if (a != -1 || retries <= 0 || in_flight > 5) idem = false;
    }
  }
  if (!p.string("transactional.id").empty() && !idem) return "transactional.id needs enable.idempotence=true";
  p.resolve("enable.idempotence", idem);

  // KafkaProducer.configureDeliveryTimeout.
  const int64_t floor = p.integer("linger.ms") + p.integer("request.timeout.ms");
  if (p.integer("delivery.timeout.ms") < floor) {
    if (p.is_explicit("delivery.timeout.ms")) {
      return fmt::format("delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms ({})", floor);
    }
    p.resolve("delivery.timeout.ms", floor);
  }
  return {};
}

}  // namespace kafka
