// The Kafka failure modes, each in the configuration that shows it and the one that prevents
// it. A case passes only if the run completes and every named check held; a model change that
// hides a failure mode, or introduces one where Kafka has none, fails here.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <cctype>
#include <map>
#include <set>

#include "sim/check/explain.hpp"

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {

struct Case {
  std::string label;
  std::string file;
  std::vector<std::pair<std::string, std::string>> sets;
  std::vector<std::string> checks;  // must all be present and held
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.label; }

// The check called `name` in a run's result, or null.
const sim::lua::Check* find_check(const sim::lua::RunResult& r, const std::string& name) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const auto& ch) { return ch.name == name; });
  return it == r.checks.end() ? nullptr : &*it;
}

class KafkaScenario : public ::testing::TestWithParam<Case> {};

TEST_P(KafkaScenario, ChecksHold) {
  const Case& c = GetParam();
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/" + c.file);
  o.sets = c.sets;
  o.paranoid = true;  // the model's invariants are checked after every event as well
  const auto r = sim::lua::run_scenario(o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  for (const std::string& name : c.checks) {
    const auto* check = find_check(r, name);
    ASSERT_NE(check, nullptr) << "check '" << name << "' was not made";
    EXPECT_TRUE(check->held) << name << ": " << check->detail;
  }
  for (const auto& ch : r.checks) EXPECT_TRUE(ch.held) << ch.name << ": " << ch.detail;
}

INSTANTIATE_TEST_SUITE_P(
    FailureModes, KafkaScenario,
    ::testing::Values(
        Case{"Quickstart", "quickstart.lua", {}, {"expect_anomaly lost-write", "expect lost_acked_writes (safe-writer)"}},
        Case{"Acks1LosesWrites", "teaching/01_acks_leader_crash.lua", {}, {"expect_anomaly lost-write"}},
        Case{"AcksAllKeepsWrites", "teaching/01_acks_leader_crash.lua", {{"acks", "all"}},
             {"expect no_anomalies", "expect no_anomalies lost_acked_writes"}},
        Case{"Acks0LosesWhatItCountedAsSent", "teaching/01_acks_leader_crash.lua", {{"acks", "0"}},
             {"acks=0 loses records the application counted as sent"}},
        Case{"SyncSendIsCappedByLatency", "teaching/07_sync_vs_async_send.lua", {},
             {"send().get() is capped at threads / latency", "one waiting thread sends a small fraction of the async sender's records"}},
        Case{"SpringAckModesCompared", "teaching/10_spring_ack_modes.lua", {},
             {"RECORD repeats only the record the crash interrupted", "BATCH repeats the poll's records handled before the crash",
              "RECORD pays a commit per record, BATCH far fewer"}},
        Case{"ExactlyOnceStopsAtTheDatabase", "teaching/19_exactly_once_and_the_database.lua", {},
             {"expect_anomaly duplicate-effect", "expect exactly_once payments -> receipts (billing)",
              "balances are too high: payments applied twice"}},
        Case{"IdempotentDatabaseWriteAppliesOnce", "teaching/19_exactly_once_and_the_database.lua", {{"fix", "true"}},
             {"expect effects exactly-once in ledger (billing)", "balances equal the sums of the payments"}},
        Case{"OrderFanoutEveryGroupGetsEveryOrder", "systems/order_fanout.lua", {},
             {"expect delivery at-least-once (inventory)", "expect delivery at-least-once (analytics)"}},
        Case{"OrderFanoutAcks1LosesForEveryGroup", "systems/order_fanout.lua", {{"acks", "1"}}, {"expect_anomaly lost-write"}},
        Case{"NotificationSpikeFallsBehind", "systems/notification_spike.lua", {}, {"two members are still far behind after the sale"}},
        Case{"NotificationSpikeAutoscaledDrains", "systems/notification_spike.lua", {{"autoscale", "true"}},
             {"the autoscaled group has drained the sale's backlog"}},
        Case{"AcksAllSurvivesCrashes", "failure-modes/acks_all_survives_crashes.lua", {}, {"expect lost_acked_writes", "the load was acknowledged"}},
        Case{"IsrBelowMinRefusesWrites", "teaching/02_min_insync_replicas.lua", {},
             {"the ISR shrank to the leader alone", "acks=all sends fail with NOT_ENOUGH_REPLICAS",
              "with retries they time out after NOT_ENOUGH_REPLICAS", "expect lost_acked_writes", "the ISR is whole again"}},
        Case{"Kip101HwTruncationLoses", "teaching/04_kip101_hw_truncation.lua", {}, {"expect_anomaly lost-write", "broker 1 leads"}},
        Case{"Kip101LeaderEpochsKeep", "teaching/04_kip101_hw_truncation.lua", {{"ibp", "3.9"}},
             {"expect no_anomalies", "expect no_anomalies lost_acked_writes", "broker 1 leads"}},
        Case{"Kip279V0Diverges", "failure-modes/kip279_fast_failover.lua", {}, {"expect_anomaly replica-divergence"}},
        Case{"Kip279V1Agrees", "failure-modes/kip279_fast_failover.lua", {{"ibp", "2.0"}}, {"expect no_anomalies"}},
        Case{"Kip279FetchAgrees", "failure-modes/kip279_fast_failover.lua", {{"ibp", "3.9"}}, {"expect no_anomalies"}},
        Case{"Kip966LastReplicaLoses", "teaching/05_kip966_last_replica_standing.lua", {}, {"expect_anomaly lost-write"}},
        Case{"EosV2PipelineThroughCrashAndZombie", "teaching/16_exactly_once_pipeline.lua", {},
             {"expect delivery exactly-once (audit)", "expect exactly_once payments -> enriched (enricher)", "expect_anomaly G1a"}},
        Case{"EosV1PipelineThroughCrashAndZombie", "teaching/16_exactly_once_pipeline_v1.lua", {},
             {"expect delivery exactly-once (audit)", "expect exactly_once payments -> enriched (enricher)", "expect_anomaly G1a"}},
        Case{"TxnReadCommittedSkipsAborted", "teaching/18_read_uncommitted.lua", {},
             {"expect_anomaly G1a", "expect delivery exactly-once (committed-reader)", "expect order per-partition (committed-reader)"}},
        Case{"Kip966ElrKeeps", "teaching/05_kip966_last_replica_standing.lua", {{"elr", "1"}},
             {"expect no_anomalies", "expect no_anomalies lost_acked_writes"}},
        Case{"RetriesReorderAndDuplicate", "teaching/06_retries_reorder_idempotence.lua", {},
             {"expect_anomaly duplicate", "expect_anomaly nonmonotonic-send", "expect lost_acked_writes"}},
        Case{"IdempotenceKeepsOrder", "teaching/06_retries_reorder_idempotence.lua", {{"idempotence", "true"}},
             {"expect no_anomalies", "expect no_anomalies max_duplicates", "expect no_anomalies lost_acked_writes"}},
        Case{"UncleanElectionLoses", "teaching/03_unclean_leader_election.lua", {},
             {"the out-of-sync replica is elected", "expect_anomaly lost-write"}},
        Case{"CleanElectionWaits", "teaching/03_unclean_leader_election.lua", {{"unclean", "false"}},
             {"no leader until an ISR member returns", "expect no_anomalies", "expect no_anomalies lost_acked_writes"}},
        Case{"AutoCommitRedelivers", "teaching/08_auto_commit_duplicates.lua", {},
             {"records are processed twice", "expect delivery at-least-once (billing)"}},
        Case{"CommitBeforeProcessLoses", "teaching/09_commit_before_process.lua", {},
             {"records are never processed (at-most-once)", "expect delivery at-most-once (ledger)"}},
        Case{"CommitAfterProcessKeeps", "teaching/09_commit_before_process.lua", {{"commit", "after-process"}},
             {"expect delivery at-least-once (ledger)"}},
        Case{"SlowConsumerIsFenced", "teaching/12_slow_consumer.lua", {},
             {"the slow member's late commit is fenced", "its uncommitted records are processed again",
              "expect delivery at-least-once (workers)"}},
        Case{"RebalanceStorm", "teaching/14_rebalance_storm.lua", {},
             {"with 6 members on 4 partitions, 2 are idle (eager)", "with 6 members on 4 partitions, 2 are idle (cooperative)",
              "eager rebalancing pauses consumption far longer", "expect delivery at-least-once (coop)",
              "expect delivery at-least-once (eager)", "expect no_anomalies"}},
        Case{"StaticMemberRestart", "teaching/15_static_membership.lua", {}, {"no rebalance", "expect delivery exactly-once (indexers)"}},
        Case{"DynamicMemberRestart", "teaching/15_static_membership.lua", {{"static", "false"}},
             {"the restart rebalanced the group", "expect delivery at-least-once (indexers)"}},
        Case{"StaticZombieIsFenced", "failure-modes/group_static_zombie.lua", {},
             {"the zombie processed nothing after it woke", "the new instance holds member 2's partitions", "no rebalance",
              "the zombie was fenced", "expect delivery at-least-once (indexers)"}},
        Case{"CoordinatorFailover", "failure-modes/group_coordinator_failover.lua", {},
             {"another broker took over as coordinator", "committed offsets survived", "the group kept consuming",
              "expect delivery at-least-once (analytics)"}},
        Case{"Kip320GroupResumesAtTheDivergence", "failure-modes/kip320_group_restart.lua", {},
             {"broker 3 leads orders-0", "it resumed at the divergence point", "and read each new record once",
              "the truncation was detected"}},
        Case{"OffsetResetLatestMisses", "teaching/13_offset_reset_latest.lua", {},
             {"latest misses the records produced before it joined", "earliest processes every record"}},
        Case{"PausedMemberLosesItsPartitions", "failure-modes/group_paused_member.lua", {},
             {"the group rebalanced without the member and again when it rejoined", "all three members hold partitions",
              "expect delivery at-least-once (indexers)"}},
        Case{"PauseWithinTheSessionKeepsThem", "failure-modes/group_paused_member.lua", {{"session_s", "60"}},
             {"no rebalance", "all three members hold partitions", "expect delivery exactly-once (indexers)"}},
        Case{"BankForgePlainIncrementAppliesTwice", "systems/bank_read_model.lua", {},
             {"expect_anomaly duplicate-effect", "expect effects at-least-once in read-model (projector)",
              "balances are wrong: transfers applied twice", "expect delivery at-least-once (projector)"}},
        Case{"BankForgeIdempotentWritesApplyOnce", "systems/bank_read_model.lua", {{"mode", "idempotent"}},
             {"expect effects exactly-once in read-model (projector)", "balances equal the sums of the transfers",
              "expect delivery at-least-once (projector)"}},
        Case{"BankForgeOffsetInTheStoreAppliesOnce", "systems/bank_read_model.lua", {{"mode", "offset"}},
             {"expect effects exactly-once in read-model (projector)", "balances equal the sums of the transfers",
              "the seek to the stored offset: no transfer delivered again", "expect delivery exactly-once (projector)"}},
        Case{"AnalyticsAutoCommitLosesCounts", "systems/analytics_every_minute.lua", {},
             {"counts were lost: committed before they were published", "expect delivery at-least-once (analytics)",
              "expect delivery exactly-once (dashboard)"}},
        Case{"AnalyticsCommitAfterPublishCountsTwice", "systems/analytics_every_minute.lua", {{"mode", "after-publish"}},
             {"views were counted twice: published, then crashed before the commit", "expect delivery at-least-once (analytics)",
              "expect delivery exactly-once (dashboard)"}},
        Case{"AnalyticsExactlyOnceV2CountsOnce", "systems/analytics_every_minute.lua", {{"mode", "exactly_once_v2"}},
             {"every view counted once: the aggregates commit with the offsets", "expect delivery at-least-once (analytics)",
              "expect delivery exactly-once (dashboard)"}},
        Case{"SeekReplays", "failure-modes/group_seek_replay.lua", {},
             {"the replayed records are processed again", "expect delivery at-least-once (auditors)"}},
        Case{"LateProduceHangsTheTransaction", "failure-modes/txn_hanging_transaction.lua", {},
             {"payer-tx's coordinator is not payments-0's leader", "expect_anomaly hanging-transaction"}},
        Case{"Kip890LeaderRefusesTheLateProduce", "failure-modes/txn_hanging_transaction.lua", {{"version", "3.9"}},
             {"payer-tx's coordinator is not payments-0's leader", "expect delivery exactly-once (ledger)",
              "expect order per-partition (ledger)", "expect hanging_transactions"}},
        Case{"Kip360BumpsTheEpochAfterAnUncleanElection", "failure-modes/kip360_unclean_epoch_bump.lua", {},
             {"no send failed: the producer bumped its epoch instead (KIP-360)", "expect_anomaly lost-write", "expect no_anomalies"}},
        Case{"DeliveryTimeoutResendDuplicates", "failure-modes/delivery_timeout_maybe_written.lua", {},
             {"sends timed out with their outcome unknown (op.info)", "expect_anomaly duplicate"}},
        Case{"DeliveryTimeoutResendDuplicatesWithoutIdempotence", "failure-modes/delivery_timeout_maybe_written.lua", {{"idempotence", "false"}},
             {"expect_anomaly duplicate"}},
        Case{"DeliveryTimeoutWithoutResendKeepsOneCopy", "failure-modes/delivery_timeout_maybe_written.lua", {{"resend", "false"}},
             {"sends timed out with their outcome unknown (op.info)", "expect no_anomalies"}},
        Case{"TxnZombieReplacedIsFenced", "teaching/17_zombie_fencing.lua", {},
             {"the zombie's late sends failed", "expect no_anomalies", "expect delivery exactly-once (auditors)"}},
        Case{"TxnZombieTimedOutIsFenced", "teaching/17_zombie_fencing.lua", {{"how", "timeout"}},
             {"the zombie's late sends failed", "expect no_anomalies", "expect delivery exactly-once (auditors)"}},
        Case{"CtpIdempotenceDuplicatesOutput", "failure-modes/ctp_at_least_once.lua", {},
             {"expect_anomaly duplicated-output", "expect delivery at-least-once (enricher)"}},
        Case{"CtpWithoutCrashesOutputsOnce", "failure-modes/ctp_at_least_once.lua", {{"crash", "no"}},
             {"expect exactly_once payments -> payments.enriched (enricher)", "expect delivery at-least-once (enricher)"}}),
    [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.label; });

// The teaching text under a verdict: each failure mode's explanation names the events that led
// to it, from the trace.
struct Story {
  std::string label;
  std::string file;
  std::string check;               // the verdict whose explanation is read
  std::vector<std::string> facts;  // each must appear in it
};

std::ostream& operator<<(std::ostream& os, const Story& s) { return os << s.label; }

class KafkaScenarioExplanation : public ::testing::TestWithParam<Story> {};

TEST_P(KafkaScenarioExplanation, NamesTheEventsThatLedToIt) {
  const Story& story = GetParam();
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/" + story.file);
  const auto r = sim::lua::run_scenario(o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto* check = find_check(r, story.check);
  ASSERT_NE(check, nullptr) << "no check " << story.check;
  for (const std::string& fact : story.facts)
    EXPECT_NE(check->explanation.find(fact), std::string::npos) << "missing: " << fact << "\nin: " << check->explanation;
}

INSTANTIATE_TEST_SUITE_P(
    FailureModes, KafkaScenarioExplanation,
    ::testing::Values(
        Story{"Acks1LossTellsTheCrashTheElectionAndTheLostFlush", "teaching/01_acks_leader_crash.lua", "expect_anomaly lost-write",
              {"leader in epoch 0", "crashed at 6.000s", "elected broker-", "leader in epoch 1", "it did not have offset",
               "restarted at 25.000s", "No replica's log holds"}},
        Story{"Kip279DivergenceTellsTheEpochQuestionAndItsAnswer", "failure-modes/kip279_fast_failover.lua", "expect_anomaly replica-divergence",
              {"broker-1 holds the record it appended as leader in epoch 0", "broker-2 holds the record it appended as leader in epoch 1",
               "broker-2 became a follower in epoch 2", "broker-2 asked where epoch 1 ends and was told offset 2",
               "never truncated below offset 1"}},
        Story{"CommitBeforeProcessTellsThePollTheEarlyCommitTheCrashAndTheResume", "teaching/09_commit_before_process.lua",
              "expect delivery at-most-once (ledger)",
              {"was returned by a poll to ledger-1", "(before-process), before processing it", "ledger-1 crashed at 15.000s",
               "resumed payments-0 at the committed offset", "No member of ledger processed"}},
        Story{"AutoCommitRedeliveryTellsTheLastCommitTheCrashAndTheReprocessing", "teaching/08_auto_commit_duplicates.lua",
              "expect delivery at-least-once (billing)",
              {"billing-1 committed orders-0 offset", "(auto), the group's last commit of it before it was taken up again",
               "was processed by billing-1", "billing-1 crashed at 17.500s", "billing-2 resumed", "again at"}},
        Story{"ResendDuplicateTellsTheTimeoutAndTheApplicationsResend", "failure-modes/delivery_timeout_maybe_written.lua", "expect_anomaly duplicate",
              {"appended it at", "its send of event-81 timed out, its outcome unknown (op.info: maybe written)",
               "events-api's application sent event-81 again at 8.200s", "appended it again at",
               "neither idempotence nor the leader could tell it from the first"}},
        Story{"RetryDuplicateTellsBothAppendsAndTheRetry", "teaching/06_retries_reorder_idempotence.lua", "expect_anomaly duplicate",
              {"appended it at", "appended it again at", "(no producer id)", "retried a batch of",
               "Without idempotence the leader cannot tell a retry from new records"}},
        Story{"HangingTransactionTellsTheCoordinatorsLastState", "failure-modes/txn_hanging_transaction.lua", "expect_anomaly hanging-transaction",
              {"last state for payer-tx", "payments-0", "no marker will ever end the transaction", "KIP-890"}},
        Story{"CtpDuplicateTellsBothRunsTheirSendsAndTheCrash", "failure-modes/ctp_at_least_once.lua", "expect_anomaly duplicated-output",
              {"committed 2 times, from 2 handler runs", "enricher-1's handler (run 101) sent enriched:", "enricher-1 crashed at",
               "enricher-1 restarted at 6.000s", "(run 1) sent enriched:", "Idempotence does not help"}}),
    [](const ::testing::TestParamInfo<Story>& param_info) { return param_info.param.label; });

}  // namespace

// KafkaScheduler.schedule runs a task whose period is 0 or less once and never again
// (server-common KafkaScheduler.java): ISR expiration, every replica.lag.time.max.ms / 2, with a
// lag of 1 ms never runs after start-up, so a stopped follower stays in the ISR; with 2 ms it
// runs every millisecond and the follower leaves.
TEST(KafkaScheduler, APeriodOfZeroRunsOnce) {
  auto isr_after_pause = [](int lag_ms) {
    const std::string text =
        "scenario { name = \"isr\", duration = \"3s\" }\n"
        "local c = cluster { brokers = 2, broker = { [\"replica.lag.time.max.ms\"] = " + std::to_string(lag_ms) +
        ", [\"replica.fetch.wait.max.ms\"] = 0 } }\n"
        "c:topic(\"t\", { replicas = { { 1, 2 } } })\n"
        "local p = c:producer(\"p\", { acks = \"1\", [\"enable.idempotence\"] = false })\n"
        "p:load { topic = \"t\", rate = 100 }\n"
        "at(\"1s\", function() c:pause(2) end)\n"
        "at(\"2500ms\", function() check(\"isr\", true, table.concat(c:isr(\"t\", 0), \",\")) end)\n";
    const auto r = run_text("kafka_scheduler.lua", text);
    EXPECT_EQ(r.exit_code, 0) << r.error;
    return r.checks.empty() ? std::string() : r.checks.back().detail;
  };
  EXPECT_EQ(isr_after_pause(1), "1,2") << "the check ran once, at start-up";
  EXPECT_EQ(isr_after_pause(2), "1") << "the check runs every millisecond";
}

// The lessons of the application scenarios do not hang on one seed: each variant's verdict
// (a duplicate effect or none, counts lost or doubled) holds over a sweep.
TEST(ApplicationScenarios, VerdictsHoldOverSeeds) {
  const std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> runs = {
      {"systems/bank_read_model.lua", {}},
      {"systems/bank_read_model.lua", {{"mode", "idempotent"}}},
      {"systems/bank_read_model.lua", {{"mode", "offset"}}},
      {"systems/analytics_every_minute.lua", {}},
      {"systems/analytics_every_minute.lua", {{"mode", "after-publish"}}},
      {"systems/analytics_every_minute.lua", {{"mode", "exactly_once_v2"}}},
  };
  for (const auto& [file, sets] : runs) {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      sim::lua::RunOptions o;
      o.path = source_path("scenarios/" + file);
      o.sets = sets;
      o.seed = seed;
      const auto r = sim::lua::run_scenario(o);
      const std::string run = file + (sets.empty() ? "" : " " + sets[0].second) + " seed " + std::to_string(seed);
      EXPECT_EQ(r.exit_code, 0) << run << ": " << r.error;
      for (const auto& ch : r.checks) EXPECT_TRUE(ch.held) << run << ": " << ch.name << ": " << ch.detail;
    }
  }
}

// Every explanation a failure mode gives is told in time order, and every time it cites is the
// time of an event in the run's trace, of a node the sentence names: a story that tells a later
// commit before an earlier crash reads as the wrong cause, and one that puts an event on the
// wrong broker sends the reader to the wrong log.
namespace {

class TraceTimes final : public sim::TraceSink {
 public:
  void write(const sim::Event& e) override {
    std::set<std::string>& who = at[check::format_time(e.time.ns)];
    if (!e.node_name.empty()) {
      nodes.emplace(e.node_name);
      who.emplace(e.node_name);
    }
    // World events (a crash, a partition) name their nodes in fields.
    for (const sim::Field& f : e.fields)
      if (f.value.type() == sim::Value::Type::text) who.emplace(f.value.text());
  }
  std::map<std::string, std::set<std::string>> at;  // time -> the nodes of its events and the names they mention
  std::set<std::string> nodes;                     // every node of the trace
};

// The times an explanation cites ("4.219519s", "6.000s": digits, a point, three or six digits,
// "s" ending the word), in its order. Scanned by hand: GCC 12's <regex> does not build warning-free
// under the sanitizers.
std::vector<std::string> cited_times(const std::string& text) {
  auto digit = [&](size_t i) { return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); };
  auto word = [&](size_t i) { return i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_'); };
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!digit(i)) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (digit(i)) ++i;
    if (i >= text.size() || text[i] != '.') continue;
    size_t frac = i + 1;
    size_t j = frac;
    while (digit(j)) ++j;
    const size_t n = j - frac;
    if ((n == 3 || n == 6) && j < text.size() && text[j] == 's' && !word(j + 1)) {
      out.push_back(text.substr(start, j - start));
      i = j + 1;
    } else {
      i = frac;
    }
  }
  return out;
}

// The nodes of the trace `clause` names as words ("broker-1", but not inside "broker-12", and
// not producer "feed" inside its value "feed-1224").
std::vector<std::string> named_nodes(const std::string& clause, const std::set<std::string>& nodes) {
  auto in_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; };
  std::vector<std::string> out;
  for (const std::string& n : nodes)
    for (size_t at = clause.find(n); at != std::string::npos; at = clause.find(n, at + 1)) {
      const size_t end = at + n.size();
      if ((end < clause.size() && in_word(clause[end])) || (at > 0 && in_word(clause[at - 1]))) continue;
      out.push_back(n);
      break;
    }
  return out;
}

// Each time a clause of `text` (between "." or ";" and the next) cites, with the nodes that clause names.
std::vector<std::pair<std::string, std::vector<std::string>>> cited_with_nodes(const std::string& text,
                                                                                const std::set<std::string>& nodes) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  size_t from = 0;
  while (from <= text.size()) {
    size_t cut = from;
    while (cut + 1 < text.size() && !((text[cut] == '.' || text[cut] == ';') && text[cut + 1] == ' ')) ++cut;
    if (cut + 1 >= text.size()) cut = text.size();
    const std::string clause = text.substr(from, cut - from);
    for (const auto& time : cited_times(clause)) out.emplace_back(time, named_nodes(clause, nodes));
    from = cut + 2;
  }
  return out;
}

struct Told {
  std::string label;
  std::string file;
  std::vector<std::pair<std::string, std::string>> sets;
  uint64_t seed = 0;  // 0: the scenario's own
};
std::ostream& operator<<(std::ostream& os, const Told& t) { return os << t.label; }

class ExplanationOrder : public ::testing::TestWithParam<Told> {};

// The hanging-transaction check proved on the bug itself: expecting no hanging transaction of
// Kafka 3.5's late produce is a violation that names the transactional id and the partition.
TEST(HangingTransactionCheck, ExpectingNoneFailsWithoutKip890) {
  std::ifstream in(source_path("scenarios/failure-modes/txn_hanging_transaction.lua"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string declared = "expect_anomaly \"hanging-transaction\"";
  const size_t at = text.find(declared);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, declared.size(), "expect { hanging_transactions = 0 }");
  const auto r = run_text("txn_hanging_expect_none.lua", text);
  const auto* check = find_check(r, "expect hanging_transactions");
  ASSERT_NE(check, nullptr) << r.error;
  EXPECT_FALSE(check->held);
  EXPECT_NE(check->detail.find("payer-tx"), std::string::npos) << check->detail;
  EXPECT_NE(check->detail.find("payments-0"), std::string::npos) << check->detail;
  EXPECT_NE(check->explanation.find("no marker will ever end"), std::string::npos) << check->explanation;
  EXPECT_EQ(r.exit_code, 1);
}

// A run cut before the late produce arrives cannot show that nothing hangs: not judged, not a
// violation.
TEST(HangingTransactionCheck, ARunCutShortIsNotJudged) {
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/failure-modes/txn_hanging_transaction.lua");
  o.until = sim::Duration::seconds(8);
  const auto r = sim::lua::run_scenario(o);
  const auto* check = find_check(r, "expect_anomaly hanging-transaction");
  ASSERT_NE(check, nullptr) << r.error;
  EXPECT_FALSE(check->judged);
  EXPECT_EQ(r.exit_code, 0);
}

}  // namespace

TEST_P(ExplanationOrder, InTimeOrderAndEveryTimeInTheTrace) {
  const Told& t = GetParam();
  TraceTimes trace;
  sim::lua::RunOptions o;
  o.path = source_path(t.file);
  o.sets = t.sets;
  if (t.seed) o.seed = t.seed;
  o.sinks.push_back(&trace);
  const auto r = sim::lua::run_scenario(o);
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.error;
  std::vector<std::pair<std::string, std::string>> told;  // (what, explanation)
  for (const auto& c : r.checks)
    if (!c.explanation.empty()) told.emplace_back(c.name, c.explanation);
  ASSERT_TRUE(r.anomalies.has_value());
  // The explanations told as stories (sim/check/story.hpp).
  for (const char* kind : {"lost-write", "duplicate", "unseen", "poll-skip", "nonmonotonic-poll", "replica-divergence",
                           "nonmonotonic-send", "commit-past-unprocessed", "G1a", "inconsistent-offsets",
                           "duplicate-effect", "fenced-zombie-read"}) {
    auto it = r.anomalies->anomalies.find(kind);
    if (it == r.anomalies->anomalies.end()) continue;
    for (size_t i = 0; i < it->second.size() && i < 20; ++i)
      if (!it->second[i].explanation.empty()) told.emplace_back(kind, it->second[i].explanation);
  }
  for (const auto& [what, text] : told) {
    if (what.starts_with("expect") && !what.starts_with("expect delivery") && !what.starts_with("expect_anomaly") &&
        !what.starts_with("expect lost_acked_writes"))
      continue;
    const auto times = cited_times(text);
    for (size_t i = 1; i < times.size(); ++i)
      EXPECT_LE(std::stod(times[i - 1]), std::stod(times[i])) << what << ": " << times[i] << " told after " << times[i - 1] << "\n" << text;
    for (const auto& [time, named] : cited_with_nodes(text, trace.nodes)) {
      const auto at = trace.at.find(time + "s");
      if (at == trace.at.end()) {
        ADD_FAILURE() << what << ": no event of the trace at " << time << "\n" << text;
        continue;
      }
      const bool seen = named.empty() || std::any_of(named.begin(), named.end(), [&](const auto& n) { return at->second.count(n); });
      std::string names;
      for (const auto& n : named) names += (names.empty() ? "" : " or ") + n;
      EXPECT_TRUE(seen) << what << ": no event at " << time << " of " << names << "\n" << text;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    FailureModes, ExplanationOrder,
    ::testing::Values(Told{"Quickstart", "scenarios/quickstart.lua", {}}, Told{"Acks1", "scenarios/teaching/01_acks_leader_crash.lua", {}},
                      Told{"Kip966", "scenarios/teaching/05_kip966_last_replica_standing.lua", {}},
                      Told{"Kip279", "scenarios/failure-modes/kip279_fast_failover.lua", {}},
                      Told{"AcksAllBeforeIsr", "tests/scenarios/acks_all_random_crashes.lua", {{"bugs", "acks_all_before_isr"}}},
                      Told{"FollowerSkipsTruncation", "tests/scenarios/acks_all_random_crashes.lua", {{"bugs", "follower_skips_truncation"}}},
                      Told{"UncleanElection", "scenarios/teaching/03_unclean_leader_election.lua", {}},
                      Told{"RetriesDuplicate", "scenarios/teaching/06_retries_reorder_idempotence.lua", {}},
                      Told{"AutoCommitCrash", "scenarios/teaching/08_auto_commit_duplicates.lua", {}},
                      Told{"CommitBeforeProcess", "scenarios/teaching/09_commit_before_process.lua", {}},
                      Told{"SeekReplay", "scenarios/failure-modes/group_seek_replay.lua", {}},
                      Told{"RandomCrashes1", "tests/scenarios/group_random_crashes.lua", {}},
                      Told{"RandomCrashesCommitsFetched", "tests/scenarios/group_random_crashes.lua", {{"bugs", "consumer_commits_fetched"}}},
                      Told{"RandomCrashesSeed4", "tests/scenarios/group_random_crashes.lua", {{"bugs", "consumer_commits_fetched"}}, 4},
                      Told{"RandomCrashesSeed5", "tests/scenarios/group_random_crashes.lua", {}, 5},
                      Told{"BankForgePlain", "scenarios/systems/bank_read_model.lua", {}},
                      Told{"DeliveryTimeoutResend", "scenarios/failure-modes/delivery_timeout_maybe_written.lua", {}},
                      Told{"ZombieLeaderAcceptsFencedEpoch", "scenarios/teaching/17_zombie_fencing.lua", {{"bugs", "leader_accepts_fenced_epoch"}}}),
    [](const ::testing::TestParamInfo<Told>& p) { return p.param.label; });

// KIP-360 in the trace: after the unclean election the producer bumps its own epoch
// (producer.bump_epoch) once a batch comes back OUT_OF_ORDER_SEQUENCE_NUMBER, and a send whose
// batch was retried at the new epoch is acknowledged.
TEST(Kip360Scenario, TheProducerBumpsItsEpochAndItsRetriesSucceed) {
  class Kinds final : public sim::TraceSink {
   public:
    void write(const sim::Event& e) override {
      const std::string kind(e.kind);
      if (kind == "producer.bump_epoch") ++bumps;
      if (kind == "producer.retry" && sim::StoredEvent(e).text("error") == "OUT_OF_ORDER_SEQUENCE_NUMBER") ++out_of_order;
      if (kind == "op.fail") ++failed;
    }
    int bumps = 0, out_of_order = 0, failed = 0;
  } kinds;
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/failure-modes/kip360_unclean_epoch_bump.lua");
  o.sinks.push_back(&kinds);
  const auto r = sim::lua::run_scenario(o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_GE(kinds.out_of_order, 1);
  EXPECT_GE(kinds.bumps, 1);
  EXPECT_EQ(kinds.failed, 0);
}

// A zombie is fenced on every seed, in both ways, and its records never reach the
// read_committed auditor (the bug switch that breaks this is in bug_switch_test.cpp).
TEST(TxnZombieScenario, FencedOnSeeds1To5) {
  for (const char* how : {"replace", "timeout"})
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      sim::lua::RunOptions o;
      o.path = source_path("scenarios/teaching/17_zombie_fencing.lua");
      o.seed = seed;
      o.sets = {{"how", how}};
      const auto r = sim::lua::run_scenario(o);
      ASSERT_EQ(r.exit_code, 0) << how << " seed " << seed << ": " << r.error;
      for (const auto& ch : r.checks) EXPECT_TRUE(ch.held) << how << " seed " << seed << ": " << ch.name << ": " << ch.detail;
    }
}
