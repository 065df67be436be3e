// The Kafka surface of the scenario language, each feature in a small scenario.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {
sim::lua::RunResult run_checks(const std::string& name, const std::string& text,
                               std::vector<std::pair<std::string, std::string>> sets = {}) {
  sim::lua::RunOptions o;
  o.sets = std::move(sets);
  return run_text(name, text, o);
}

void expect_all_held(const sim::lua::RunResult& r, size_t count) {
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.checks.size(), count);
  for (const auto& c : r.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
}
}  // namespace

TEST(KafkaLua, SyncSendsWaitForEachOtherAndCallbacksSeeOutcomes) {
  auto r = run_checks("sync.lua", R"(
scenario { name = "sync", duration = "5s" }
local c = cluster { brokers = 3, network = { latency = "1ms" } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local p = c:producer("app", {})
local seen = {}
at("1s", function()
  for i = 1, 3 do
    p:send("t", { key = "k", value = "v" .. i, sync = true, callback = function(r)
      seen[#seen + 1] = { i = i, outcome = r.outcome, offset = r.offset, t = now() }
    end })
  end
end)
at("4s", function()
  check("all three acknowledged in order", #seen == 3 and seen[1].offset == 0 and seen[2].offset == 1 and seen[3].offset == 2
        and seen[1].outcome == "ok")
  check("each waited for the previous", seen[2].t > seen[1].t and seen[3].t > seen[2].t)
end)
)");
  expect_all_held(r, 2);
}

TEST(KafkaLua, RackAwarePlacementPutsOneReplicaPerRack) {
  auto r = run_checks("racks.lua", R"(
scenario { name = "racks", duration = "3s" }
local c = cluster { brokers = 6, racks = { "a", "b", "c" } }
c:topic("t", { partitions = 12, replication_factor = 3 })
at("2s", function()
  local rack = { "a", "b", "c", "a", "b", "c" }
  local ok, used = true, {}
  for p = 0, 11 do
    local seen = {}
    for _, b in ipairs(c:replicas("t", p)) do
      if seen[rack[b]] then ok = false end
      seen[rack[b]] = true
      used[b] = true
    end
  end
  check("one replica per rack", ok)
  local n = 0 for _ in pairs(used) do n = n + 1 end
  check("every broker holds replicas", n == 6)
end)
)");
  expect_all_held(r, 2);
}

TEST(KafkaLua, HighWatermarkStandsStillBelowMinIsrFrom37) {
  const std::string text = R"(
local v = param("version", "3.7")
scenario { name = "hw", duration = "40s", kafka_version = v }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["replica.lag.time.max.ms"] = "3s" } }
c:topic("t", { partitions = 1, replicas = { { 1, 2, 3 } }, ["min.insync.replicas"] = 2 })
local p = c:producer("app", { acks = "1", ["enable.idempotence"] = false })
at("1s", function() p:load { topic = "t", rate = 100 } end)
at("5s", function() c:partition({ 1 }, { 2, 3 }) end)
local hw
at("15s", function() hw = c:hw("t", 0) check("isr is the leader alone", #c:isr("t", 0) == 1) end)
at("25s", function()
  if v == "3.7" then check("the HW stood still", c:hw("t", 0) == hw, hw .. " -> " .. c:hw("t", 0))
  else check("the HW moved on", c:hw("t", 0) > hw, hw .. " -> " .. c:hw("t", 0)) end
end)
)";
  expect_all_held(run_checks("hw37.lua", text), 2);
  expect_all_held(run_checks("hw36.lua", text, {{"version", "3.6"}}), 2);
}

TEST(KafkaLua, KafkaLibraryFunctions) {
  auto r = run_checks("lib.lua", R"(
scenario { name = "lib", duration = "1s" }
check("murmur2 matches Kafka's UtilsTest", kafka.murmur2("foobar") == -790332482)
check("partition_for is toPositive(murmur2) % n", kafka.partition_for("abc", 1000) == 107)
local d28, d40 = kafka.defaults("2.8"), kafka.defaults("4.0")
check("defaults follow the release", d28.producer.acks == "1" and d40.producer["linger.ms"] == "5"
      and d28.producer["enable.idempotence"] == "false")
)");
  expect_all_held(r, 3);
}

TEST(KafkaLua, ConfigErrorsNameTheLineAndSuggest) {
  auto r = run_text("cfg1.lua", "scenario { name = \"c\" }\nlocal c = cluster { brokers = 3 }\n"
                                "c:producer(\"p\", { ackz = \"all\" })\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("cfg1.lua:3: producer config: unknown setting 'ackz' (did you mean 'acks'?)"), std::string::npos) << r.error;
  auto r2 = run_text("cfg2.lua", "scenario { name = \"c\" }\nlocal c = cluster { brokers = 3 }\n"
                                 "c:producer(\"p\", { acks = \"1\", [\"enable.idempotence\"] = true })\n");
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_NE(r2.error.find("cfg2.lua:3: producer config: enable.idempotence=true needs acks=all"), std::string::npos) << r2.error;
  auto r3 = run_text("cfg3.lua", "scenario { name = \"c\" }\nlocal c = cluster { brokers = 3 }\n"
                                 "c:topic(\"t\", { partitions = 1, replication_factor = 4 })\n");
  EXPECT_EQ(r3.exit_code, 2);
  EXPECT_NE(r3.error.find("cfg3.lua:3: topic.replication_factor: 4 is more than the 3 brokers"), std::string::npos) << r3.error;
  auto r4 = run_text("cfg4.lua", "scenario { name = \"c\" }\nlocal c = cluster { brokers = 3, broker = { [\"min.insync.replica\"] = 2 } }\n");
  EXPECT_EQ(r4.exit_code, 2);
  EXPECT_NE(r4.error.find("did you mean 'min.insync.replicas'"), std::string::npos) << r4.error;
}

TEST(KafkaLua, AViolatedCheckFailsTheRun) {
  auto r = run_text("fails.lua", "scenario { name = \"f\", duration = \"1s\" }\ncheck(\"impossible\", 1 == 2, \"one is not two\")\n");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].held);
}

TEST(KafkaLua, AssignRunsKafkasAssignors) {
  auto r = run_checks("assign.lua", R"(
scenario { name = "assign", duration = "1s" }
local spec = { topics = { t1 = 3, t2 = 3 }, members = {
  { id = "consumer1", topics = { "t1", "t2" } }, { id = "consumer2", topics = { "t1", "t2" } } } }
local range = kafka.assign("range", spec)
check("range splits each topic", table.concat(range.consumer1, ",") == "t1-0,t1-1,t2-0,t2-1"
      and table.concat(range.consumer2, ",") == "t1-2,t2-2")
local rr = kafka.assign("roundrobin", spec)
check("roundrobin alternates", table.concat(rr.consumer1, ",") == "t1-0,t1-2,t2-1"
      and table.concat(rr.consumer2, ",") == "t1-1,t2-0,t2-2")
local coop = kafka.assign("cooperative-sticky", { topics = { t = 4 }, members = {
  { id = "a", topics = { "t" }, owned = { "t-0", "t-1", "t-2", "t-3" }, generation = 1 },
  { id = "b", topics = { "t" } } } })
check("cooperative-sticky withholds partitions that must be revoked first", #coop.a == 2 and #coop.b == 0)
check("the consumer defaults follow the release", kafka.defaults("2.8").consumer["session.timeout.ms"] == "10000"
      and kafka.defaults("3.9").consumer["session.timeout.ms"] == "45000")
)");
  expect_all_held(r, 4);
}

TEST(KafkaLua, SeekReplaysFromAnOffset) {
  auto r = run_checks("seek.lua", R"(
scenario { name = "seek", duration = "20s" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local p = c:producer("p", {})
local g = c:group("g", { members = 1, topics = { "t" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
at("4s", function() p:load { topic = "t", rate = 100, count = 100 } end)
at("8s", function() check("all read once", g:stats().processed == 100) g:member(1):seek("t", 0, 50) end)
at("15s", function() check("the last 50 read again", g:stats().processed == 150, g:stats().processed .. " processed") end)
)");
  expect_all_held(r, 2);
}

// m:replace() starts a new process in the member's slot while the old one runs on: m names the
// new process, the handle returned the old one. A dynamic member's replacement is a new member;
// both processes appear under their own names, and a replaced handle cannot be replaced again.
TEST(KafkaLua, ReplaceStartsANewProcessInTheMembersSlot) {
  auto r = run_checks("replace.lua", R"(
scenario { name = "replace", duration = "20s" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("t", { partitions = 4, replication_factor = 3 })
local p = c:producer("p", {})
local g = c:group("g", { members = 2, topics = { "t" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
local m = g:member(1)
local old
at("2s", function() p:load { topic = "t", rate = 100, count = 1000 } end)
at("5s", function()
  old = m:replace()
  check("the handle names the new process", m:name() == "g-1#2" and g:member(1):name() == "g-1#2", m:name())
  check("the returned handle names the old one", old:name() == "g-1" and old:state() == "running", old:name())
  local ok, err = pcall(old.replace, old)
  check("a replaced process cannot be replaced again", not ok and tostring(err):find("was itself replaced") ~= nil, tostring(err))
end)
at("18s", function()
  local by = {}
  for _, rec in ipairs(g:processed()) do by[rec.member] = (by[rec.member] or 0) + 1 end
  check("both processes consumed, under their own names", (by["g-1"] or 0) > 0 and (by["g-1#2"] or 0) > 0,
    tostring(by["g-1"]) .. " / " .. tostring(by["g-1#2"]))
  check("the group counts slots, not processes", g:stats().members == 2, tostring(g:stats().members))
end)
)");
  expect_all_held(r, 5);
}

TEST(KafkaLua, ConsumersDetectTruncationAfterAnUncleanElection) {
  // KIP-320: broker 3 falls behind and is elected uncleanly; the consumer had read past the new
  // leader's end and must notice the truncation instead of waiting for offsets that will hold
  // other records.
  auto r = run_checks("kip320.lua", R"(
scenario { name = "kip320", duration = "60s" }
local c = cluster { brokers = 3, network = { latency = "1ms" },
  broker = { ["unclean.leader.election.enable"] = true, ["flush.messages"] = 1, ["offsets.topic.num.partitions"] = 4 } }
c:topic("audit", { partitions = 1, replicas = { { 1, 2, 3 } } })
local p = c:producer("p", { acks = "all", ["delivery.timeout.ms"] = "15s", ["request.timeout.ms"] = "5s" })
local g = c:group("readers", { members = 1, topics = { "audit" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
at("1s", function() p:load { topic = "audit", rate = 100 } end)
at("5s", function() c:crash(3) end)
at("25s", function() c:crash(1) c:crash(2) end)
at("30s", function() c:restart(3) end)
at("59s", function()
  check("broker 3 was elected uncleanly", c:leader("audit", 0) == 3)
  check("the consumer detected the truncation", g:stats().truncations > 0, g:stats().truncations .. " truncations")
end)
)");
  expect_all_held(r, 2);
}

TEST(KafkaLua, ResetNoneStopsTheApplicationAsItsFrameworkDoes) {
  // No committed offset and auto.offset.reset=none: poll() throws NoOffsetForPartitionException.
  // Spring's container treats it as fatal (ListenerConsumer.run): it stops and closes its
  // consumer, which leaves the group at once. A plain poll loop does not catch it: the process
  // ends without close(), and the coordinator keeps the member until its session expires.
  auto r = run_checks("reset_none.lua", R"(
scenario { name = "reset none", duration = "10s" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 1 } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local spring = c:group("spring", { members = 1, topics = { "t" }, commit = "RECORD", ["auto.offset.reset"] = "none" })
local plain = c:group("plain", { members = 1, topics = { "t" }, commit = "auto", ["auto.offset.reset"] = "none" })
at("9s", function()
  check("the container stopped", spring:member(1):state() == "down", spring:member(1):state())
  check("its consumer left the group", spring:state() == "Empty", spring:state())
  check("the plain application's process ended", plain:member(1):state() == "down", plain:member(1):state())
  check("the member stays until its session expires", plain:state() == "Stable", plain:state())
end)
)");
  expect_all_held(r, 4);
}

TEST(KafkaLua, ExpectationsAreJudgedAgainstTheHistory) {
  const std::string text = R"(
local acks = param("acks", "1")
scenario { name = "expect", duration = "16s", drain = "10s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "5ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("orders", { partitions = 1, replication_factor = 3 })
local p = c:producer("w", { acks = acks, ["enable.idempotence"] = false })
local g = c:group("readers", { members = 1, topics = { "orders" }, commit = "after-process", ["auto.offset.reset"] = "earliest" })
at("2s", function() p:load { topic = "orders", rate = 1000, keys = 5 } end)
at("6s", function() c:crash(c:leader("orders", 0)) end)
if acks == "1" then expect_anomaly "lost-write" else expect { no_anomalies = { "lost-write", "unseen" } } end
)";
  // acks=1: the crash loses acknowledged writes and the checker finds them.
  auto lossy = run_checks("expect1.lua", text);
  ASSERT_EQ(lossy.exit_code, 0) << lossy.error;
  ASSERT_TRUE(lossy.anomalies.has_value());
  EXPECT_GT(lossy.anomalies->anomalies.count("lost-write"), 0u);
  // acks=all: nothing acknowledged is lost, and after the drain the consumer has seen it all.
  auto safe = run_checks("expect2.lua", text, {{"acks", "all"}});
  EXPECT_EQ(safe.exit_code, 0) << safe.error;
  for (const auto& c : safe.checks) EXPECT_TRUE(c.held) << c.name << ": " << c.detail;
}

TEST(KafkaLua, AProducerScopeLimitsLostWritesToItsOwnRecords) {
  // The quickstart in small: an acks=1 and an acks=all writer on one partition, its leader
  // crashes. The run loses the acks=1 writer's records only, and each scope says so.
  auto r = run_checks("producer_scope.lua", R"(
scenario { name = "scope", duration = "16s", drain = "10s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "5ms" } }
c:topic("orders", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
local fast = c:producer("fast", { acks = "1", ["enable.idempotence"] = false })
local safe = c:producer("safe", { acks = "all" })
at("2s", function()
  fast:load { topic = "orders", rate = 1000, keys = 5 }
  safe:load { topic = "orders", rate = 1000, keys = 5 }
end)
at("6s", function() c:crash(c:leader("orders", 0)) end)
expect { producer = "safe", lost_acked_writes = 0, max_duplicates = 0 }
expect { producer = "fast", lost_acked_writes = 0 }
expect { lost_acked_writes = 0 }
)");
  EXPECT_EQ(r.exit_code, 1) << r.error;
  ASSERT_EQ(r.checks.size(), 4u);
  EXPECT_EQ(r.checks[0].name, "expect lost_acked_writes (safe)");
  EXPECT_TRUE(r.checks[0].held) << r.checks[0].detail;
  EXPECT_EQ(r.checks[1].name, "expect max_duplicates (safe)");
  EXPECT_TRUE(r.checks[1].held) << r.checks[1].detail;
  EXPECT_EQ(r.checks[2].name, "expect lost_acked_writes (fast)");
  EXPECT_FALSE(r.checks[2].held) << "acks=1 lost acknowledged writes in the crash";
  EXPECT_NE(r.checks[2].detail.find("fast-"), std::string::npos) << r.checks[2].detail;
  EXPECT_FALSE(r.checks[3].held) << "the whole run includes the acks=1 writer's losses";
  EXPECT_EQ(r.checks[3].detail, r.checks[2].detail) << "every lost record was the acks=1 writer's";
}

TEST(KafkaLua, AProducerScopeMustNameAProducerAndScopeOnlyRecordCounts) {
  const std::string head = "scenario { name = \"s\", duration = \"2s\" }\n"
                           "local c = cluster { brokers = 1 }\nc:topic(\"t\")\n"
                           "local p = c:producer(\"payments-api\", {})\nat(\"1s\", function() p:send(\"t\", { value = \"v\" }) end)\n";
  auto unknown = run_checks("unknown_producer.lua", head + "expect { producer = \"payment-api\", lost_acked_writes = 0 }\n");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.error.find("unknown_producer.lua:6: expect.producer: the scenario has no producer 'payment-api' (did you mean "
                               "'payments-api'?) (producers: payments-api)"),
            std::string::npos)
      << unknown.error;
  auto anomalies = run_checks("scoped_anomalies.lua", head + "expect { producer = \"payments-api\", no_anomalies = true }\n");
  EXPECT_EQ(anomalies.exit_code, 2);
  EXPECT_NE(anomalies.error.find("scoped_anomalies.lua:6: expect.producer: limits lost_acked_writes and max_duplicates"),
            std::string::npos)
      << anomalies.error;
  auto known = run_checks("known_producer.lua", head + "expect { producer = \"payments-api\", lost_acked_writes = 0 }\n");
  EXPECT_EQ(known.exit_code, 0) << known.error;
}

TEST(KafkaLua, AnExpectedAnomalyThatDoesNotHappenFailsTheRun) {
  auto r = run_text("expect3.lua", R"(
scenario { name = "expect", duration = "8s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "1ms" } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local p = c:producer("w", {})
at("1s", function() p:load { topic = "t", rate = 100, count = 100 } end)
expect_anomaly "lost-write"
)");
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_FALSE(r.checks[0].held);
  EXPECT_EQ(r.checks[0].detail, "not found");
}

TEST(KafkaLua, ExpectValuesAreValidated) {
  auto r = run_text("expect4.lua", "scenario { name = \"e\" }\nexpect { delivery = \"at-least-one\" }\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("expect4.lua:2: expect.delivery: \"at-least-one\" is not at-most-once, at-least-once or exactly-once (did you mean 'at-least-once'?)"),
            std::string::npos) << r.error;
}

TEST(KafkaLua, DeliveryExpectationsFollowTheCommitPolicy) {
  // The group_commit_before_process scenario with expectations instead of hand-made checks:
  // before-process is at-most-once (a crash loses records); after-process is at-least-once.
  const std::string text = R"(
local policy = param("commit", "before-process")
local claimed = param("claim", "")
scenario { name = "delivery", duration = "40s", drain = "20s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("payments", { partitions = 2, replication_factor = 3 })
local p = c:producer("bank", {})
local g = c:group("ledger", { members = 2, topics = { "payments" }, commit = policy, ["session.timeout.ms"] = "10s",
  ["auto.offset.reset"] = "earliest", ["max.poll.records"] = 200, processing_time = "20ms" })
at("1s", function() p:load { topic = "payments", rate = 100, keys = 10, count = 2000 } end)
at("15s", function() g:member(1):crash() end)
if claimed ~= "" then
  expect { group = "ledger", delivery = claimed }
elseif policy == "before-process" then
  -- The crashed member polled its batch but never processed it: those records are late
  -- (in the log, never processed), not unseen (they were polled).
  expect { group = "ledger", delivery = "at-most-once", order = "per-key" }
else
  expect { group = "ledger", delivery = "at-least-once", order = "per-key" }
end
)";
  auto amo = run_checks("delivery1.lua", text);
  EXPECT_EQ(amo.exit_code, 0) << amo.error;
  for (const auto& ch : amo.checks) EXPECT_TRUE(ch.held) << ch.name << ": " << ch.detail;
  auto alo = run_checks("delivery2.lua", text, {{"commit", "after-process"}});
  EXPECT_EQ(alo.exit_code, 0) << alo.error;
  for (const auto& ch : alo.checks) EXPECT_TRUE(ch.held) << ch.name << ": " << ch.detail;
  // And the guarantee that does not hold is reported as violated.
  auto violated = run_checks("delivery3.lua", text, {{"claim", "at-least-once"}});
  EXPECT_EQ(violated.exit_code, 1);
  ASSERT_EQ(violated.checks.size(), 1u);
  EXPECT_NE(violated.checks[0].detail.find("late: "), std::string::npos) << violated.checks[0].detail;
}

TEST(KafkaLua, TheDrainPhaseHealsAndRestarts) {
  auto r = run_checks("drain.lua", R"(
scenario { name = "drain", duration = "10s", drain = "20s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "1ms" } }
c:topic("t", { partitions = 1, replication_factor = 3 })
at("5s", function() c:crash(2) c:partition({ 1 }, { 3 }) end)
at("9s", function() check("broker 2 is down before the drain", c:state(2) == "crashed") end)
at("29s", function()
  check("the drain restarted it", c:state(2) == "running")
  check("and healed the network", c:reachable(1, 3))
end)
)");
  expect_all_held(r, 3);
  EXPECT_EQ(r.end_time.ns, 30'000'000'000) << "duration + drain";
}

TEST(KafkaLua, AnomalyNamesAreCheckedWithASuggestion) {
  auto r = kafkasim_test::run_text("typo_anomaly.lua", "scenario { name = \"t\", duration = \"1s\" }\nexpect_anomaly \"lost-writes\"\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("typo_anomaly.lua:2"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("lost-write"), std::string::npos) << r.error;
  r = kafkasim_test::run_text("typo_absent.lua", "scenario { name = \"t\", duration = \"1s\" }\nexpect { no_anomalies = { \"G2\" } }\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("not an anomaly the checker reports"), std::string::npos) << r.error;
}
