// Liveness verdicts: a run cut by --until judges safety only, and a group that has not caught up
// by the end of the drain is stalled only when it stopped progressing; a slow one is behind,
// and its at-least-once is not judged rather than failed.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "scenario_helpers.hpp"
#include "sim/check/liveness.hpp"

using namespace kafkasim_test;

namespace {

const sim::lua::Check& check_named(const sim::lua::RunResult& r, const std::string& name) {
  auto it = std::find_if(r.checks.begin(), r.checks.end(), [&](const auto& c) { return c.name == name; });
  if (it == r.checks.end()) throw std::runtime_error("no check " + name);
  return *it;
}

// One member committing after every record (synchronously) against a producer three times
// faster: `processing` sets how long each record takes.
std::string behind_scenario(const std::string& processing) {
  return R"(scenario { name = "a group behind its producer", seed = 1, duration = "20s", drain = "5s" }
expect { group = "slow", delivery = "at-least-once" }
local c = cluster { brokers = 1, network = { latency = "1ms" } }
c:topic("events", { partitions = 1, replication_factor = 1 })
local p = c:producer("feed", {})
c:group("slow", { members = 1, topics = { "events" }, commit = "RECORD", ["auto.offset.reset"] = "earliest", processing_time = ")" +
         processing + R"(" })
at("1s", function() p:load { topic = "events", rate = 1000, count = 15000 } end)
)";
}

}  // namespace

TEST(Liveness, UntilCutsTheDrainSoOnlySafetyIsJudged) {
  sim::lua::RunOptions o;
  o.path = source_path("scenarios/teaching/08_auto_commit_duplicates.lua");
  o.until = sim::Duration::seconds(20);
  const auto r = sim::lua::run_scenario(o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  // Records not yet processed at 20 s prove nothing: the group had no drain to reach them.
  const auto& delivery = check_named(r, "expect delivery at-least-once (billing)");
  EXPECT_FALSE(delivery.judged);
  EXPECT_NE(delivery.detail.find("cut at 20.000s by --until"), std::string::npos) << delivery.detail;
  EXPECT_EQ(delivery.detail.find("liveness failure"), std::string::npos) << delivery.detail;
  // Order is safety: judged as ever.
  EXPECT_TRUE(check_named(r, "expect order per-key (billing)").judged);

  // Safety still fails a cut run: commit-before-process skips records before 30 s.
  o.path = source_path("scenarios/teaching/09_commit_before_process.lua");
  o.until = sim::Duration::seconds(30);
  const auto skip = sim::lua::run_scenario(o);
  const auto& most = check_named(skip, "expect delivery at-most-once (ledger)");
  EXPECT_TRUE(most.judged);

  // The summary says plainly that the run was cut and what was not judged.
  auto cli = kafkasim("run " + source_path("scenarios/teaching/08_auto_commit_duplicates.lua").string() + " --quiet --until 20s");
  EXPECT_EQ(cli.code, 0) << cli.out;
  EXPECT_NE(cli.out.find("cut        at 20s by --until: no drain, so safety is judged and liveness is not"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("check      NOT JUDGED expect delivery at-least-once (billing)"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("result     ok (1 expectation not judged)"), std::string::npos) << cli.out;
}

TEST(Liveness, UntilLeavesUnseenUnjudged) {
  sim::lua::RunOptions o;
  o.until = sim::Duration::seconds(5);
  const auto r = run_text("cut_unseen.lua", R"(scenario { name = "cut", seed = 1, duration = "20s" }
expect { no_anomalies = { "unseen" } }
local c = cluster { brokers = 1 }
c:topic("t", { partitions = 1, replication_factor = 1 })
local p = c:producer("w", {})
c:group("g", { members = 1, topics = { "t" }, processing_time = "50ms", ["auto.offset.reset"] = "earliest" })
at("1s", function() p:load { topic = "t", rate = 200, count = 2000 } end)
)", o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const auto& c = check_named(r, "expect no_anomalies");
  EXPECT_FALSE(c.judged) << c.detail;
  EXPECT_NE(c.detail.find("unseen"), std::string::npos) << c.detail;
}

TEST(Liveness, AGroupStillProgressingAtTheEndOfTheDrainIsBehindNotStalled) {
  const auto r = run_text("behind.lua", behind_scenario("0ms"));
  ASSERT_EQ(r.exit_code, 0) << r.error << " " << (r.checks.empty() ? "" : r.checks[0].detail);
  const auto& c = check_named(r, "expect delivery at-least-once (slow)");
  EXPECT_FALSE(c.judged);
  EXPECT_NE(c.detail.find("still behind at the end of the drain but progressing, not stalled: events-0"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("records/s"), std::string::npos) << c.detail;
  EXPECT_EQ(c.detail.find("liveness failure"), std::string::npos) << c.detail;

  // JSON says so, and `test` passes it with the reason shown (JUnit: the case's output).
  const auto path = write_file("behind_cli.lua", behind_scenario("0ms"));
  const auto json = scratch_dir() / "behind.json";
  auto run = kafkasim("run " + path.string() + " --quiet -f --json " + json.string());
  EXPECT_EQ(run.code, 0) << run.out;
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"status\": \"not judged\""), std::string::npos) << text.str().substr(0, 800);
  const auto junit = scratch_dir() / "behind.xml";
  auto t = kafkasim("test " + path.string() + " -f --junit " + junit.string());
  EXPECT_EQ(t.code, 0) << t.out;
  EXPECT_NE(t.out.find("not judged: expect delivery at-least-once (slow)"), std::string::npos) << t.out;
  std::ifstream jin(junit);
  std::stringstream jtext;
  jtext << jin.rdbuf();
  EXPECT_NE(jtext.str().find("<system-out>not judged: expect delivery at-least-once (slow)"), std::string::npos) << jtext.str();
}

TEST(Liveness, AGroupThatStoppedProgressingIsAStall) {
  // Each record takes 30 s: nothing is processed in the drain's second half.
  const auto r = run_text("stalled.lua", behind_scenario("30s"));
  ASSERT_EQ(r.exit_code, 1) << r.error;
  const auto& c = check_named(r, "expect delivery at-least-once (slow)");
  EXPECT_TRUE(c.judged);
  EXPECT_FALSE(c.held);
  EXPECT_NE(c.detail.find("stalled (a liveness failure): events-0"), std::string::npos) << c.detail;
  EXPECT_NE(c.detail.find("never processed a record of it"), std::string::npos) << c.detail;
  EXPECT_EQ(c.detail.find("progressing at"), std::string::npos) << c.detail;
}

TEST(Liveness, ProgressSplitsStalledFromBehindByTheSecondHalfOfTheDrain) {
  check::GroundTruth truth;
  const int64_t s = 1'000'000'000;
  // events-0: processed until 22 s (drain 20-30 s): stalled for 8 s. events-1: 2 records a
  // second through the drain: progressing.
  truth.processed.push_back({"g", "g-1", "events-0", 0, "", "a", 22 * s});
  for (int64_t t = 20; t < 30; ++t) {
    truth.processed.push_back({"g", "g-1", "events-1", 2 * t, "", "b", t * s});
    truth.processed.push_back({"g", "g-1", "events-1", 2 * t + 1, "", "c", t * s + s / 2});
  }
  check::RunEnd end{false, 30 * s, 20 * s};
  const auto p = check::progress_of(truth, "g", {"x@events-0", "y@events-1", "z@events-1"}, end);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_FALSE(p[0].progressing);
  EXPECT_TRUE(p[1].progressing);
  EXPECT_EQ(check::describe_stalls(p, end), "events-0 (1 records behind, no progress for the last 8.0 s)");
  EXPECT_EQ(check::describe_lag(p, end), "events-1 (2 records behind, progressing at 2 records/s: about 1 s more)");
  // A cut run has no drain: nothing is progressing, and the verdict does not ask.
  EXPECT_FALSE(check::RunEnd({true, 30 * s, -1}).drained());
}
