#include "broker_model/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
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
  using J = JavaType;
  static const std::vector<Entry> all = [] {
    std::vector<Entry> e;
    auto add = [&](S scope, const char* name, T type, std::function<ConfigValue(KafkaVersion)> dflt, const char* doc,
                   ConfigRule rule) { e.push_back(Entry{scope, ConfigDef{name, type, doc, std::move(rule)}, std::move(dflt)}); };
    auto always = [](ConfigValue v) { return [v](KafkaVersion) { return v; }; };
    // A rule under construction: Kafka's type and class, then its validator.
    struct R {
      ConfigRule rule;
      R(JavaType java, const char* source) {
        rule.java = java;
        rule.source = source;
      }
      R& min(int64_t v) { return rule.at_least = v, *this; }
      R& max(int64_t v) { return rule.at_most = v, *this; }
      R& in(std::vector<std::string> v) { return rule.one_of = std::move(v), *this; }
      R& non_empty() { return rule.non_empty = true, *this; }
      R& not_applied(const char* why) { return rule.not_applied = why, *this; }
      operator ConfigRule() const { return rule; }
    };
    // Where Kafka defines each key (apache/kafka, 3.9 and trunk before 4.0).
    constexpr const char* kLog = "LogConfig";
    constexpr const char* kRepl = "ReplicationConfigs";
    constexpr const char* kKRaft = "KRaftConfigs";
    constexpr const char* kGroup = "GroupCoordinatorConfig";
    constexpr const char* kProd = "ProducerConfig";
    constexpr const char* kCons = "ConsumerConfig";

    // ---- broker (and topic overrides) ----
    add(S::broker, "min.insync.replicas", T::integer, always(int64_t{1}),
        "Replicas that must have a write before acks=all succeeds", R(J::int32, kLog).min(1));
    add(S::broker, "unclean.leader.election.enable", T::boolean, always(false),
        "Elect a replica outside the ISR when no ISR member is alive (may lose committed data)",
        R(J::boolean, kRepl));
    add(S::broker, "replica.lag.time.max.ms", T::duration_ms, always(int64_t{30000}),
        "A follower not caught up for this long leaves the ISR", R(J::int64, kRepl));
    add(S::broker, "replica.fetch.wait.max.ms", T::duration_ms, always(int64_t{500}),
        "Longest a follower's fetch waits at the leader for data", R(J::int32, kRepl));
    add(S::broker, "replica.fetch.min.bytes", T::integer, always(int64_t{1}), "Bytes a follower's fetch waits for",
        R(J::int32, kRepl).not_applied("kafkasim answers a fetch as soon as any data is there; other values than 1, the "
                                      "default, are not modelled yet"));
    add(S::broker, "replica.fetch.backoff.ms", T::duration_ms, always(int64_t{1000}),
        "Pause after a follower's fetch fails", R(J::int32, kRepl).min(0));
    add(S::broker, "replica.high.watermark.checkpoint.interval.ms", T::duration_ms, always(int64_t{5000}),
        "How often each broker writes its high watermarks to disk (0 or less: once, at start-up, as Kafka's scheduler "
        "does)", R(J::int64, kRepl));
    add(S::broker, "flush.messages", T::integer, always(kLongMax),
        "Force a flush after this many messages (default: never; Kafka relies on replication)",
        R(J::int64, kLog).min(1));
    add(S::broker, "flush.ms", T::duration_ms, always(kLongMax),
        "Force a flush when a message has waited this long (default: never)",
        R(J::int64, kLog).min(0));
    add(S::broker, "broker.session.timeout.ms", T::duration_ms, always(int64_t{9000}),
        "The controller fences a broker whose heartbeats stop for this long", R(J::int32, kKRaft));
    add(S::broker, "broker.heartbeat.interval.ms", T::duration_ms, always(int64_t{2000}),
        "How often a broker heartbeats to the controller", R(J::int32, kKRaft));
    add(S::broker, "default.replication.factor", T::integer, always(int64_t{1}), "Replication factor of new topics",
        R(J::int32, kRepl));
    add(S::broker, "num.partitions", T::integer, always(int64_t{1}), "Partitions of new topics",
        R(J::int32, kLog).min(1));
    add(S::broker, "auto.create.topics.enable", T::boolean, always(true),
        "A metadata request for an unknown topic creates it (num.partitions, default.replication.factor)",
        R(J::boolean, kLog));
    add(S::broker, "offsets.topic.replication.factor", T::integer, always(int64_t{3}), "Replication of __consumer_offsets",
        R(J::int16, kGroup).min(1));
    add(S::broker, "offsets.topic.num.partitions", T::integer, always(int64_t{50}), "Partitions of __consumer_offsets",
        R(J::int32, kGroup).min(1));
    constexpr const char* kTxnLog = "TransactionLogConfig";
    constexpr const char* kTxnState = "TransactionStateManagerConfig";
    add(S::broker, "transaction.state.log.num.partitions", T::integer, always(int64_t{50}), "Partitions of __transaction_state",
        R(J::int32, kTxnLog).min(1));
    add(S::broker, "transaction.state.log.replication.factor", T::integer, always(int64_t{3}),
        "Replication of __transaction_state", R(J::int16, kTxnLog).min(1));
    add(S::broker, "transaction.state.log.min.isr", T::integer, always(int64_t{2}),
        "min.insync.replicas of __transaction_state: a coordinator's write needs this many in-sync replicas",
        R(J::int32, kTxnLog).min(1));
    add(S::broker, "transaction.max.timeout.ms", T::duration_ms, always(int64_t{900000}),
        "The largest transaction.timeout.ms a producer may ask for (else INVALID_TRANSACTION_TIMEOUT)",
        R(J::int32, kTxnState).min(1));
    add(S::broker, "transaction.partition.verification.enable", T::boolean, [](KafkaVersion v) { return ConfigValue(v >= kV3_6); },
        "KIP-890 part 1 (3.6+): a partition leader asks the coordinator before a transactional batch opens a transaction "
        "there, so a late produce cannot start a hanging transaction (no effect before 3.6)",
        R(J::boolean, kTxnLog));
    add(S::broker, "transaction.abort.timed.out.transaction.cleanup.interval.ms", T::duration_ms, always(int64_t{10000}),
        "How often the transaction coordinator aborts transactions past their transaction.timeout.ms",
        R(J::int32, kTxnState).min(1));
    add(S::broker, "inter.broker.protocol.version", T::string, [](KafkaVersion v) { return ConfigValue(v.to_string()); },
        "Replication protocol: below 0.11 truncates to the high watermark (pre-KIP-101); 0.11-1.1 uses "
        "OffsetsForLeaderEpoch v0 (KIP-101); 2.0-2.6 adds KIP-279; 2.7+ detects divergence in Fetch",
        R(J::string, "ReplicationConfigs (MetadataVersionValidator)"));
    add(S::broker, "eligible.leader.replicas.version", T::integer, always(int64_t{0}),
        "1 enables KIP-966 eligible leader replicas (a feature level in Kafka 4.0+, set with kafka-features)",
        R(J::int16, "Feature eligible.leader.replicas.version").min(0).max(1));

    // ---- producer ----
    add(S::producer, "acks", T::string, [](KafkaVersion v) { return ConfigValue(std::string(v < kV3_0 ? "1" : "all")); },
        "0: no response; 1: the leader wrote it; all (-1): every ISR member has it",
        R(J::string, kProd).in({"all", "-1", "0", "1"}));
    add(S::producer, "retries", T::integer, always(kIntMax), "How often a failed batch is retried",
        R(J::int32, kProd).min(0).max(kIntMax));
    add(S::producer, "retry.backoff.ms", T::duration_ms, always(int64_t{100}), "Pause before a retry",
        R(J::int64, kProd).min(0));
    add(S::producer, "retry.backoff.max.ms", T::duration_ms, always(int64_t{1000}),
        "Upper bound of the exponential retry backoff (3.7+, KIP-580)", R(J::int64, kProd).min(0));
    add(S::producer, "delivery.timeout.ms", T::duration_ms, always(int64_t{120000}),
        "Time from send() to the final outcome, retries included", R(J::int32, kProd).min(0));
    add(S::producer, "request.timeout.ms", T::duration_ms, always(int64_t{30000}), "Time to wait for one response",
        R(J::int32, kProd).min(0));
    add(S::producer, "linger.ms", T::duration_ms, [](KafkaVersion v) { return ConfigValue(int64_t{v >= kV4_0 ? 5 : 0}); },
        "How long a batch waits for more records (5 ms from 4.0, KIP-1030)", R(J::int64, kProd).min(0));
    add(S::producer, "batch.size", T::integer, always(int64_t{16384}), "Bytes per batch",
        R(J::int32, kProd).min(0));
    add(S::producer, "max.in.flight.requests.per.connection", T::integer, always(int64_t{5}),
        "Unanswered requests per broker connection", R(J::int32, kProd).min(1));
    add(S::producer, "enable.idempotence", T::boolean, [](KafkaVersion v) { return ConfigValue(v >= kV3_0); },
        "Producer id, epoch and sequence numbers make retries safe (default true from 3.0)",
        R(J::boolean, kProd));
    add(S::producer, "partitioner.ignore.keys", T::boolean, always(false), "Do not hash keys (3.3+)",
        R(J::boolean, kProd));
    add(S::producer, "partitioner.adaptive.partitioning.enable", T::boolean, always(true),
        "Prefer partitions with shorter queues for records without keys (3.3+)", R(J::boolean, kProd));
    add(S::producer, "partitioner.availability.timeout.ms", T::duration_ms, always(int64_t{0}),
        "Avoid partitions whose leader has not accepted produce requests for this long (0: off)",
        R(J::int64, kProd).min(0));
    add(S::producer, "metadata.max.age.ms", T::duration_ms, always(int64_t{300000}), "Refresh metadata at least this often",
        R(J::int64, kProd).min(0));
    add(S::producer, "max.block.ms", T::duration_ms, always(int64_t{60000}), "How long send() may block",
        R(J::int64, kProd).min(0));
    add(S::producer, "client.id", T::string, always(std::string()), "Name in logs and the trace",
        R(J::string, kProd).not_applied("a producer's client.id is its name, the first argument of c:producer"));
    add(S::producer, "transactional.id", T::string, always(std::string()),
        "Enables transactions (p:begin, p:commit, ...); implies enable.idempotence",
        R(J::string, kProd).non_empty());
    add(S::producer, "transaction.timeout.ms", T::duration_ms, always(int64_t{60000}),
        "How long the coordinator lets a transaction stay open before it aborts it (sent in InitProducerId)",
        R(J::int32, kProd));

    // ---- consumer ----
    add(S::consumer, "group.id", T::string, always(std::string()), "The consumer group",
        R(J::string, kCons).not_applied("a group's group.id is the first argument of c:group"));
    add(S::consumer, "group.instance.id", T::string, always(std::string()), "Static membership (KIP-345)",
        R(J::string, kCons).non_empty().not_applied("static = true gives each member its own group.instance.id (<group>-<n>); one value for every "
                        "member of a group would fence all but one"));
    add(S::consumer, "enable.auto.commit", T::boolean, always(true), "Commit positions in poll() every auto.commit.interval.ms",
        R(J::boolean, kCons));
    add(S::consumer, "auto.commit.interval.ms", T::duration_ms, always(int64_t{5000}), "How often auto-commit commits",
        R(J::int32, kCons).min(0));
    add(S::consumer, "auto.offset.reset", T::string, always(std::string("latest")),
        "Where to start without a committed offset: earliest, latest or none",
        R(J::string, kCons).in({"latest", "earliest", "none"}));
    add(S::consumer, "session.timeout.ms", T::duration_ms, [](KafkaVersion v) { return ConfigValue(int64_t{v < kV3_0 ? 10000 : 45000}); },
        "The coordinator removes a member that sends no heartbeat for this long (45 s from 3.0, KIP-735)",
        R(J::int32, kCons));
    add(S::consumer, "heartbeat.interval.ms", T::duration_ms, always(int64_t{3000}), "How often the member heartbeats",
        R(J::int32, kCons));
    add(S::consumer, "max.poll.interval.ms", T::duration_ms, always(int64_t{300000}),
        "A member that does not poll for this long leaves the group; also the rebalance timeout",
        R(J::int32, kCons).min(1));
    add(S::consumer, "max.poll.records", T::integer, always(int64_t{500}), "Records one poll() returns at most",
        R(J::int32, kCons).min(1));
    add(S::consumer, "fetch.min.bytes", T::integer, always(int64_t{1}), "Bytes a fetch waits for",
        R(J::int32, kCons).min(0).not_applied("kafkasim answers a fetch as soon as any data is there; other values than 1, "
                                             "the default, are not modelled yet"));
    add(S::consumer, "fetch.max.wait.ms", T::duration_ms, always(int64_t{500}), "How long a fetch waits at the leader",
        R(J::int32, kCons).min(0));
    add(S::consumer, "max.partition.fetch.bytes", T::integer, always(int64_t{1048576}), "Bytes per partition per fetch",
        R(J::int32, kCons).min(0));
    add(S::consumer, "partition.assignment.strategy", T::list, [](KafkaVersion v) {
          return ConfigValue(v < kV3_0 ? std::vector<std::string>{"range"} : std::vector<std::string>{"range", "cooperative-sticky"});
        }, "Assignors in preference order: range, roundrobin, sticky, cooperative-sticky", R(J::list, kCons));
    add(S::consumer, "isolation.level", T::string, always(std::string("read_uncommitted")),
        "read_committed reads up to the last stable offset and drops aborted transactions' records; read_uncommitted reads to the high watermark",
        R(J::string, kCons).in({"read_committed", "read_uncommitted"}));
    add(S::consumer, "request.timeout.ms", T::duration_ms, always(int64_t{30000}), "Time to wait for one response",
        R(J::int32, kCons).min(0));
    add(S::consumer, "default.api.timeout.ms", T::duration_ms, always(int64_t{60000}),
        "Time limit of blocking calls such as commitSync", R(J::int32, kCons).min(0));
    add(S::consumer, "retry.backoff.ms", T::duration_ms, always(int64_t{100}), "Pause before a retry",
        R(J::int64, kCons).min(0));
    add(S::consumer, "metadata.max.age.ms", T::duration_ms, always(int64_t{300000}), "Refresh metadata at least this often",
        R(J::int64, kCons).min(0));
    add(S::consumer, "client.id", T::string, always(std::string()), "Name in logs and the trace",
        R(J::string, kCons).not_applied("each member's client.id is its node name (<group>-<n>)"));
    add(S::consumer, "allow.auto.create.topics", T::boolean, always(true),
        "Subscribing to an unknown topic creates it (when the broker's auto.create.topics.enable allows)",
        R(J::boolean, kCons));
    // broker side of groups
    add(S::broker, "group.initial.rebalance.delay.ms", T::duration_ms, always(int64_t{3000}),
        "How long a new group waits for more members before its first rebalance", R(J::int32, kGroup));
    add(S::broker, "group.min.session.timeout.ms", T::duration_ms, always(int64_t{6000}),
        "Smallest session timeout a member may ask for", R(J::int32, kGroup));
    add(S::broker, "group.max.session.timeout.ms", T::duration_ms, always(int64_t{1800000}),
        "Largest session timeout a member may ask for", R(J::int32, kGroup));
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

namespace {

std::string number_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "infinity" : "-infinity";
  return fmt::format("{}", d);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

const char* java_name(JavaType t) {
  switch (t) {
    case JavaType::int16: return "SHORT (a 16-bit integer)";
    case JavaType::int32: return "INT (a 32-bit integer)";
    case JavaType::int64: return "LONG (a 64-bit integer)";
    default: return "";
  }
}

std::pair<int64_t, int64_t> java_range(JavaType t) {
  switch (t) {
    case JavaType::int16: return {std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max()};
    case JavaType::int32: return {std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()};
    default: return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  }
}

// Text as Java's Long.parseLong reads it (ConfigDef.parseType, after trimming): an optional sign,
// then digits; nothing for anything else, or for a number past 64 bits.
std::optional<int64_t> java_integer(std::string_view text) {
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
    if (!text.empty() && text.front() == '-') return std::nullopt;
  }
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// A whole number from what the scenario gave: a Lua integer, a whole float, or text Kafka
// would parse (for milliseconds also a time such as "30s"). Sets `error` when there is none.
std::optional<int64_t> whole_number(const std::string& key, const RawValue& raw, bool millis, std::string& error) {
  const char* what = millis ? "a whole number of milliseconds or a time such as \"30s\"" : "a whole number";
  if (const auto* i = std::get_if<int64_t>(&raw)) return *i;
  if (const auto* d = std::get_if<double>(&raw)) {
    if (!std::isfinite(*d) || std::floor(*d) != *d) {
      error = fmt::format("{}: expected {}, got {}", key, what, number_text(*d));
      return std::nullopt;
    }
    if (*d < -9223372036854775808.0 || *d >= 9223372036854775808.0) {
      error = fmt::format("{}: {} does not fit in a 64-bit integer", key, number_text(*d));
      return std::nullopt;
    }
    return static_cast<int64_t>(*d);
  }
  if (const auto* s = std::get_if<std::string>(&raw)) {
    const std::string text = trim(*s);
    if (const auto v = java_integer(text)) return *v;
    // Kafka takes only digits; a time with its unit ("30s") is kafkasim's addition.
    if (millis && !text.empty() && std::isalpha(static_cast<unsigned char>(text.back()))) {
      const auto d = sim::parse_duration(text);
      if (!d) {
        error = fmt::format("{}: \"{}\" is not a time (write e.g. \"500ms\" or \"30s\", or a number of ms; at most 292 years)",
                            key, *s);
        return std::nullopt;
      }
      if (d->ns % 1'000'000 != 0) {
        error = fmt::format("{}: \"{}\" is not a whole number of milliseconds (Kafka's unit for it)", key, *s);
        return std::nullopt;
      }
      return d->ns / 1'000'000;
    }
    error = fmt::format("{}: expected {}, got \"{}\"", key, what, *s);
    return std::nullopt;
  }
  error = fmt::format("{}: expected {}", key, what);
  return std::nullopt;
}

// Kafka's checks of a number against the key's type and validator (ConfigDef.parseType,
// ConfigDef.Range.ensureValid).
std::string check_range(const std::string& key, int64_t v, const ConfigRule& rule) {
  const auto [lo, hi] = java_range(rule.java);
  if (v < lo || v > hi) return fmt::format("{}: {} is out of range: Kafka's type for it is {}", key, v, java_name(rule.java));
  if (rule.at_least && v < *rule.at_least) {
    return fmt::format("{}: invalid value {}: Value must be at least {} (Kafka's {} rejects it)", key, v, *rule.at_least, rule.source);
  }
  if (rule.at_most && v > *rule.at_most) {
    return fmt::format("{}: invalid value {}: Value must be no more than {} (Kafka's {} rejects it)", key, v, *rule.at_most,
                       rule.source);
  }
  return {};
}

// The parsers of ConfigDef.parseType, one per type: each returns the value, or nothing with
// `error` saying why.

std::optional<ConfigValue> boolean_value(const std::string& key, const RawValue& raw, std::string& error) {
  if (const auto* b = std::get_if<bool>(&raw)) return *b;
  if (const auto* s = std::get_if<std::string>(&raw)) {
    std::string t = trim(*s);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
    if (t == "true" || t == "false") return t == "true";
    error = fmt::format("{}: expected true or false, got \"{}\"", key, *s);
    return std::nullopt;
  }
  error = fmt::format("{}: expected true or false", key);
  return std::nullopt;
}

std::optional<ConfigValue> integer_value(const std::string& key, const RawValue& raw, bool millis, const ConfigRule& rule,
                                         std::string& error) {
  const auto v = whole_number(key, raw, millis, error);
  if (!v) return std::nullopt;
  if (error = check_range(key, *v, rule); !error.empty()) return std::nullopt;
  return *v;
}

std::optional<ConfigValue> string_value(const std::string& key, const RawValue& raw, const ConfigRule& rule, std::string& error) {
  std::string text;
  if (const auto* str = std::get_if<std::string>(&raw)) {
    text = *str;
  } else if (const auto* i = std::get_if<int64_t>(&raw)) {
    text = std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&raw); d && std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 9e15) {
    text = fmt::format("{}", static_cast<int64_t>(*d));
  } else {
    error = fmt::format("{}: expected a string", key);
    return std::nullopt;
  }
  text = trim(text);  // ConfigDef.parseType trims a STRING's value
  if (rule.non_empty && text.empty()) {
    error = fmt::format("{}: String must be non-empty (Kafka's {} rejects it)", key, rule.source);
  } else if (!rule.one_of.empty() && std::find(rule.one_of.begin(), rule.one_of.end(), text) == rule.one_of.end()) {
    std::string list;
    for (const auto& o : rule.one_of) list += (list.empty() ? "" : ", ") + o;
    error = fmt::format("{}: invalid value \"{}\": String must be one of: {} (Kafka's {} rejects it)", key, text, list, rule.source);
  } else if (key == "inter.broker.protocol.version" && !valid_metadata_version(text)) {
    error = fmt::format("{}: invalid value \"{}\": Version {} is not a valid version (write a Kafka release such as "
                        "\"3.9\" or \"0.10.2\", or a metadata version such as \"3.7-IV4\")",
                        key, text, text);
  }
  if (!error.empty()) return std::nullopt;
  return text;
}

// A list is taken as it is; text is trimmed and split at commas, keeping empty items
// (split(trimmed, -1)), which the key's own checks then refuse.
std::optional<ConfigValue> list_value(const std::string& key, const RawValue& raw, std::string& error) {
  if (const auto* list = std::get_if<std::vector<std::string>>(&raw)) return *list;
  if (const auto* str = std::get_if<std::string>(&raw)) {
    const std::string text = trim(*str);
    std::vector<std::string> items;
    for (size_t start = 0; !text.empty() && start <= text.size();) {
      size_t comma = text.find(',', start);
      if (comma == std::string::npos) comma = text.size();
      items.push_back(trim(std::string_view(text).substr(start, comma - start)));
      start = comma + 1;
    }
    return items;
  }
  error = fmt::format("{}: expected a comma-separated list", key);
  return std::nullopt;
}

}  // namespace

std::string ConfigSet::set(const std::string& key, const RawValue& raw) {
  const Entry* e = find_entry(scope_, key);
  if (!e || (scope_ == ConfigScope::topic && !is_topic_override(key))) return fmt::format("unknown config '{}'", key);
  const ConfigDef& def = e->def;
  std::string error;
  std::optional<ConfigValue> value;
  switch (def.type) {
    case ConfigType::boolean: value = boolean_value(key, raw, error); break;
    case ConfigType::integer:
    case ConfigType::duration_ms: value = integer_value(key, raw, def.type == ConfigType::duration_ms, def.rule, error); break;
    case ConfigType::string: value = string_value(key, raw, def.rule, error); break;
    case ConfigType::list: value = list_value(key, raw, error); break;
  }
  if (!value) return error;
  if (def.rule.not_applied && format_value(*value) != format_value(values_.at(key))) {
    return fmt::format("{}: {}", key, def.rule.not_applied);
  }
  put(key, std::move(*value));
  return {};
}

bool valid_metadata_version(std::string_view text) {
  // MetadataVersion's ibpVersion of each entry, and each production release line, which names
  // its last IV (MetadataVersion.fromVersionString).
  static const std::set<std::string> keys = [] {
    struct Release {
      const char* release;
      int ivs;  // -1: no IV suffix
    };
    static const Release releases[] = {
        {"0.8.0", -1}, {"0.8.1", -1}, {"0.8.2", -1}, {"0.9.0", -1}, {"0.10.0", 2}, {"0.10.1", 3}, {"0.10.2", 1},
        {"0.11.0", 3}, {"1.0", 1},    {"1.1", 1},    {"2.0", 2},    {"2.1", 3},    {"2.2", 2},    {"2.3", 2},
        {"2.4", 2},    {"2.5", 1},    {"2.6", 1},    {"2.7", 3},    {"2.8", 2},    {"3.0", 2},    {"3.1", 1},
        {"3.2", 1},    {"3.3", 4},    {"3.4", 1},    {"3.5", 3},    {"3.6", 3},    {"3.7", 5},    {"3.8", 1},
        {"3.9", 1},    {"4.0", 4}};
    std::set<std::string> out;
    for (const Release& r : releases) {
      out.insert(r.release);
      for (int i = 0; i < r.ivs; ++i) out.insert(fmt::format("{}-IV{}", r.release, i));
    }
    return out;
  }();
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    segments.push_back(text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  // Java's String.split drops trailing empty segments, so "3.9." has two and is looked up
  // whole (and refused), not as "3.9".
  while (!segments.empty() && segments.back().empty()) segments.pop_back();
  const size_t keep = text.substr(0, 2) == "0." ? 3 : 2;
  std::string key(text);
  if (segments.size() > keep) {
    key.clear();
    for (size_t i = 0; i < keep; ++i) key += (i ? "." : "") + std::string(segments[i]);
  }
  return keys.count(key) != 0;
}

std::string finalize_broker(const ConfigSet& b) {
  // KafkaConfig.validateValues.
  const int64_t fetch_wait = b.integer("replica.fetch.wait.max.ms");
  if (fetch_wait > 30000) {
    return "replica.fetch.wait.max.ms: replica.socket.timeout.ms should always be at least replica.fetch.wait.max.ms to "
           "prevent unnecessary socket timeouts (Kafka's replica.socket.timeout.ms is 30000 here)";
  }
  if (fetch_wait > b.integer("replica.lag.time.max.ms")) {
    return "replica.fetch.wait.max.ms should always be less than or equal to replica.lag.time.max.ms to prevent frequent "
           "changes in ISR";
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

ConfigSet default_config(ConfigScope scope, KafkaVersion version) {
  ConfigSet cfg(scope, version);
  // The defaults pass Kafka's own checks; what they resolve is what a client starts with.
  if (scope == ConfigScope::producer) (void)finalize_producer(cfg);
  if (scope == ConfigScope::consumer) (void)finalize_consumer(cfg);
  return cfg;
}

std::vector<ConfigChange> config_changes(const ConfigSet& cfg, const std::map<std::string, std::string>& base) {
  std::vector<ConfigChange> out;
  for (const auto& [key, value] : cfg.describe()) {
    auto d = base.find(key);
    const std::string default_value = d == base.end() ? "" : d->second;
    if (value != default_value) out.push_back({key, value, default_value, cfg.is_explicit(key)});
  }
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

namespace {
// Whether the producer is idempotent, and acks when that decides it.
// Before 3.0, ProducerConfig.maybeOverrideAcksAndRetries sets acks=all unless acks was given
// (then it must be all);
// KafkaProducer.configureInflightRequests allows at most 5 requests in flight.
// From 3.0, ProducerConfig.postProcessAndValidateIdempotenceConfigs checks retries, acks and
// max.in.flight in that order: an explicit enable.idempotence makes a conflict an error, the
// default quietly yields (KAFKA-13673), except that from 4.0 (KAFKA-17927) more than 5 in
// flight is an error whenever idempotence is still on at that check.
std::string settle_idempotence(ConfigSet& p) {
  const bool explicit_idem = p.is_explicit("enable.idempotence");
  const int64_t in_flight = p.integer("max.in.flight.requests.per.connection");
  const int64_t retries = p.integer("retries");
  bool idem = p.boolean("enable.idempotence");
  if (p.version() < kV3_0) {
    // ProducerConfig.maybeOverrideEnableIdempotence: a transactional.id turns idempotence on
    // unless enable.idempotence was given.
    if (!explicit_idem && !p.string("transactional.id").empty()) idem = true;
    if (idem) {
      if (retries <= 0) return "enable.idempotence=true needs retries > 0";
      if (p.is_explicit("acks") && producer_acks(p) != -1) {
        return "enable.idempotence=true needs acks=all (Kafka: \"Must set acks to all in order to use the idempotent producer\")";
      }
      p.resolve("acks", std::string("-1"));
      if (in_flight > 5) return "enable.idempotence=true needs max.in.flight.requests.per.connection <= 5";
    }
    p.resolve("enable.idempotence", idem);
    return {};
  }
  if (idem) {
    bool disable = false;
    if (retries <= 0) {
      if (explicit_idem) return "enable.idempotence=true needs retries > 0";
      disable = true;
    }
    if (producer_acks(p) != -1) {
      if (explicit_idem) return "enable.idempotence=true needs acks=all (Kafka: \"Must set acks to all in order to use the idempotent producer\")";
      disable = true;
    }
    if (in_flight > 5) {
      if (explicit_idem) return "enable.idempotence=true needs max.in.flight.requests.per.connection <= 5";
      if (p.version() >= kV4_0) return "max.in.flight.requests.per.connection > 5 is not allowed with idempotence (Kafka 4.0)";
      disable = true;
    }
    if (disable) idem = false;
  }
  p.resolve("enable.idempotence", idem);
  return {};
}
}  // namespace

std::string finalize_producer(ConfigSet& p) {
  const std::string acks = p.string("acks");
  if (acks != "all" && acks != "-1" && acks != "0" && acks != "1") {
    return fmt::format("acks: \"{}\" is not one of all, -1, 0, 1", acks);
  }
  if (p.integer("max.in.flight.requests.per.connection") < 1) return "max.in.flight.requests.per.connection: must be at least 1";
  if (p.integer("batch.size") < 0) return "batch.size: must not be negative";

  std::string why = settle_idempotence(p);
  if (!why.empty()) return why;
  const bool idem = p.boolean("enable.idempotence");
  // postProcessAndValidateIdempotenceConfigs, after idempotence is settled.
  if (!p.string("transactional.id").empty() && !idem) {
    return "transactional.id needs enable.idempotence=true (Kafka: \"Cannot set a transactional.id without also "
           "enabling idempotence.\")";
  }

  // KafkaProducer's constructor: batch.size 0 means batches of one record (Math.max(1, ...)),
  // and linger.ms is capped to an int.
  if (p.integer("batch.size") == 0) p.resolve("batch.size", int64_t{1});
  if (p.integer("linger.ms") > kIntMax) p.resolve("linger.ms", kIntMax);

  // KafkaProducer.configureDeliveryTimeout, which caps linger.ms + request.timeout.ms at
  // Integer.MAX_VALUE.
  const int64_t floor = std::min(p.integer("linger.ms") + p.integer("request.timeout.ms"), kIntMax);
  if (p.integer("delivery.timeout.ms") < floor) {
    if (p.is_explicit("delivery.timeout.ms")) {
      return fmt::format("delivery.timeout.ms should be equal to or larger than linger.ms + request.timeout.ms ({})", floor);
    }
    p.resolve("delivery.timeout.ms", floor);
  }
  return {};
}

}  // namespace kafka
