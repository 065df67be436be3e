#include "sim/lua/group_app_options.hpp"

#include <fmt/format.h>

#include "sim/lua/cluster_handles.hpp"
#include "sim/lua/lua_util.hpp"

namespace sim::lua {

namespace {

int64_t millis(const Duration& d, const std::string& what) {
  if (d.ns < 0) fail(fmt::format("{}: must not be negative", what));
  return d.ns / 1'000'000;
}

int64_t positive_count(TableReader& r, const char* key, bool zero_ok) {
  const auto n = r.integer(key);
  if (!n || *n < (zero_ok ? 0 : 1)) fail(fmt::format("{}: a whole number{}", r.name(key), zero_ok ? " (0 or more)" : " (1 or more)"));
  return *n;
}

// FixedBackOff(interval, maxAttempts) or ExponentialBackOff, told apart by their keys.
kafka::BackOffSpec read_backoff(lua_State* L, int idx) {
  TableReader r(L, idx, "error_handler.backoff", {"interval", "max_attempts", "initial", "multiplier", "max", "max_elapsed"});
  const bool exponential = r.has("initial") || r.has("multiplier") || r.has("max") || r.has("max_elapsed");
  if (exponential && r.has("interval")) {
    fail("error_handler.backoff: interval is FixedBackOff's, initial/multiplier/max ExponentialBackOff's; give one of them");
  }
  if (!exponential) {
    // new FixedBackOff(): DEFAULT_INTERVAL 5000 ms, UNLIMITED_ATTEMPTS.
    kafka::BackOffSpec s = kafka::BackOffSpec::fixed(5000, std::numeric_limits<int64_t>::max());
    if (auto d = r.duration("interval")) s.interval_ms = millis(*d, r.name("interval"));
    if (r.has("max_attempts")) s.max_attempts = positive_count(r, "max_attempts", true);
    return s;
  }
  kafka::BackOffSpec s = kafka::BackOffSpec::exponential(2000, 1.5, 30'000);
  if (auto d = r.duration("initial")) s.initial_ms = millis(*d, r.name("initial"));
  if (auto m = r.number("multiplier")) {
    // ExponentialBackOff.checkMultiplier.
    if (*m < 1) fail(fmt::format("error_handler.backoff.multiplier: Invalid multiplier '{}': Should be greater than or equal to 1", *m));
    s.multiplier = *m;
  }
  if (auto d = r.duration("max")) s.max_interval_ms = millis(*d, r.name("max"));
  if (auto d = r.duration("max_elapsed")) s.max_elapsed_ms = millis(*d, r.name("max_elapsed"));
  if (r.has("max_attempts")) s.max_attempts = positive_count(r, "max_attempts", true);
  return s;
}

void read_error_handler(lua_State* L, int idx, kafka::ConsumerApp& app) {
  TableReader r(L, idx, "error_handler", {"backoff", "dead_letter"});
  if (r.has("backoff")) app.error_handler.backoff = read_backoff(L, r.push("backoff"));
  if (r.has("dead_letter")) {
    const int v = r.push("dead_letter");
    if (lua_type(L, v) == LUA_TBOOLEAN) {
      app.error_handler.dead_letter = lua_toboolean(L, v) != 0;
    } else if (lua_type(L, v) == LUA_TSTRING) {
      app.error_handler.dead_letter = true;
      app.error_handler.dead_letter_topic = lua_tostring(L, v);
      check_topic_name(app.error_handler.dead_letter_topic, "error_handler.dead_letter");
    } else {
      fail(fmt::format("error_handler.dead_letter: true (<topic>.DLT) or a topic name, got {}", describe(L, v)));
    }
  }
}

}  // namespace

namespace {

// processing_guarantee and commit_interval.
void read_processing_guarantee(lua_State* L, int idx, kafka::ConsumerApp& app, kafka::KafkaVersion version) {
  lua_getfield(L, idx, "processing_guarantee");
  if (!lua_isnil(L, -1)) {
    const std::string g = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : describe(L, -1);
    if (g == "exactly_once_v2") {
      app.guarantee = kafka::ProcessingGuarantee::exactly_once_v2;
    } else if (g == "exactly_once") {
      // StreamsConfig.EXACTLY_ONCE: deprecated in 3.0 (KIP-732), removed in 4.0.
      if (version >= kafka::kV4_0) {
        fail(fmt::format("group.processing_guarantee: \"exactly_once\" (v1, a producer per input partition) was "
                         "removed in Kafka 4.0 (KIP-732; this scenario runs {}); use \"exactly_once_v2\" (KIP-447)",
                         version.to_string()));
      }
      app.guarantee = kafka::ProcessingGuarantee::exactly_once_v1;
    } else if (g != "at_least_once") {
      fail(fmt::format("group.processing_guarantee: \"at_least_once\", \"exactly_once_v2\" or \"exactly_once\", got {}", g));
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "commit_interval");
  if (!lua_isnil(L, -1)) {
    if (!app.exactly_once()) fail("group.commit_interval: only with processing_guarantee = \"exactly_once_v2\" or \"exactly_once\"");
    app.commit_interval = to_duration(L, -1, "group.commit_interval");
    if (app.commit_interval.ns < 0) fail("group.commit_interval: must not be negative");
  }
  lua_pop(L, 1);
}

}  // namespace

void read_group_app_options(lua_State* L, int idx, kafka::ConsumerApp& app, kafka::KafkaVersion version) {
  idx = lua_absindex(L, idx);
  read_processing_guarantee(L, idx, app, version);
  lua_getfield(L, idx, "producer");
  if (!lua_isnil(L, -1) || app.exactly_once()) {
    kafka::ConfigSet cfg(kafka::ConfigScope::producer, version);
    if (!lua_isnil(L, -1)) read_config(L, -1, cfg, "group.producer", {});
    if (app.exactly_once()) {
      // The member's transactional.id is this prefix and its slot (Spring's
      // transactionIdPrefix and suffix): stable across restarts and m:replace(), so a new
      // process of the slot fences the old one's producer. Validated here with the prefix.
      // exactly_once (v1): each task's is the prefix and its input partition.
      if (cfg.string("transactional.id").empty()) cfg.put("transactional.id", kDefaultTransactionalIdPrefix);
    } else if (!cfg.string("transactional.id").empty()) {
      fail("group.producer: transactional.id in a group's producer needs processing_guarantee = \"exactly_once_v2\" "
           "or \"exactly_once\" "
           "(or use c:producer with transactional.id for transactions of your own)");
    }
    if (const std::string error = kafka::finalize_producer(cfg); !error.empty()) fail("group.producer: " + error);
    app.producer = std::move(cfg);
  }
  lua_pop(L, 1);
  lua_getfield(L, idx, "error_handler");
  if (!lua_isnil(L, -1)) read_error_handler(L, -1, app);
  lua_pop(L, 1);
  if (app.error_handler.dead_letter && !app.producer) {
    kafka::ConfigSet cfg(kafka::ConfigScope::producer, version);
    if (const std::string error = kafka::finalize_producer(cfg); !error.empty()) fail("group.producer: " + error);
    app.producer = std::move(cfg);
  }
}

std::string task_transactional_id_prefix(const std::string& prefix, const std::string& group, size_t slot,
                                        bool per_member) {
  // Streams: applicationId + "-" + taskId; Spring's producerPerConsumerPartition: prefix +
  // group.topic.partition. The bug switch eos_v1_transactional_id_per_member puts the member's
  // slot in it too, so the member a partition moves to uses another id and fences nothing.
  std::string base = prefix == kDefaultTransactionalIdPrefix ? group + "-tx-" : prefix;
  if (per_member) base += std::to_string(slot) + "-";
  return base;
}

std::string member_transactional_id(const std::string& prefix, const std::string& group, size_t slot) {
  const std::string base = prefix == kDefaultTransactionalIdPrefix ? group + "-tx-" : prefix;
  return base + std::to_string(slot);
}

}  // namespace sim::lua
