// The kafkasim binary: exit codes and the run summary.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <sys/wait.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;


TEST(Cli, VersionAndHelp) {
  auto v = kafkasim("version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("kafkasim 0."), std::string::npos);
  auto h = kafkasim("help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("run"), std::string::npos);
}

TEST(Cli, UsageErrorsExit64) {
  EXPECT_EQ(kafkasim("").code, 64);
  EXPECT_EQ(kafkasim("frobnicate").code, 64);
  EXPECT_EQ(kafkasim("run").code, 64);
  EXPECT_EQ(kafkasim("run /no/such/file.lua").code, 64);
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --until soon").code, 64);
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --set nope=1").code, 64);
}

TEST(Cli, RunPrintsTheSummaryAndReplayLine) {
  auto r = kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --seed 5 --quiet --until 3s");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* line : {"scenario   Kernel demo", "seed       5", "simulated  3s", "events     ", "events/s",
                           "trace      ", "hash ", "replay     kafkasim run "}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " missing in:\n" << r.out;
  }
  EXPECT_NE(r.out.find("--seed 5 --until 3s"), std::string::npos);
}

TEST(Cli, InvalidScenarioExits2WithFileAndLine) {
  const auto path = write_file("cli_bad.lua", "scenario { name = \"x\" }\nlocal t = testbed { nodes = 0 }\n");
  auto r = kafkasim("run " + path.string() + " --quiet");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("cli_bad.lua:2: testbed.nodes"), std::string::npos) << r.out;
}

TEST(Cli, TraceFileIsWrittenAndNeverOverwrittenWithoutForce) {
  const auto trace = scratch_dir() / "cli_trace.jsonl";
  std::filesystem::remove(trace);
  const std::string run = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 2s --trace " + trace.string();
  ASSERT_EQ(kafkasim(run).code, 0);
  ASSERT_TRUE(std::filesystem::exists(trace));
  const auto size = std::filesystem::file_size(trace);
  EXPECT_GT(size, 1000u);
  auto again = kafkasim(run);
  EXPECT_EQ(again.code, 64);
  EXPECT_NE(again.out.find("--force"), std::string::npos);
  EXPECT_EQ(kafkasim(run + " --force").code, 0);
  // Outputs are written to ".NAME.XXXXXX" beside the target first.
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir()))
    EXPECT_NE(e.path().filename().string().rfind(".cli_trace.jsonl.", 0), 0u) << "no temporary file is left behind: " << e.path();
}

TEST(Cli, HistoryFileHoldsEveryOperation) {
  const auto history = scratch_dir() / "cli_history.jsonl";
  std::filesystem::remove(history);
  auto r = kafkasim("run " + source_path("scenarios/quickstart.lua").string() + " --quiet --until 3s --history " + history.string());
  // 3 s end before the crash its expect_anomaly is about: a violated expectation (1), not an error.
  ASSERT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("history    "), std::string::npos);
  std::ifstream in(history);
  std::string line;
  int invokes = 0, oks = 0;
  while (std::getline(in, line)) {
    invokes += line.find("\"type\":\"invoke\"") != std::string::npos;
    oks += line.find("\"type\":\"ok\"") != std::string::npos;
    EXPECT_EQ(line.front(), '{');
  }
  EXPECT_GT(invokes, 1000);
  EXPECT_GT(oks, 1000);
  EXPECT_LE(oks, invokes) << "every completion has an invocation";
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/quickstart.lua").string() + " --quiet --until 1s --history " + history.string()).code, 64)
      << "an existing file is not overwritten without --force";
}

TEST(Cli, CheckReadsHistoriesFromElsewhere) {
  // Jepsen's shape: integer keys and values, pairing by process.
  const auto good = write_file("ext_good.json", R"([
    {"index":0,"process":0,"type":"invoke","f":"send","value":[["send",1,5]]},
    {"index":1,"process":0,"type":"ok","f":"send","value":[["send",1,[0,5]]]},
    {"index":2,"process":1,"type":"invoke","f":"poll","value":[["poll"]]},
    {"index":3,"process":1,"type":"ok","f":"poll","value":[["poll",{"1":[[0,5]]}]]}])");
  auto ok = kafkasim("check " + good.string());
  EXPECT_EQ(ok.code, 0) << ok.out;
  EXPECT_NE(ok.out.find("valid      true"), std::string::npos);
  // Two values at one offset, and a write of process 0 that is read later than a higher one.
  const auto bad = write_file("ext_bad.jsonl",
      "{\"process\":0,\"type\":\"invoke\",\"f\":\"send\",\"value\":[[\"send\",1,5]]}\n"
      "{\"process\":0,\"type\":\"ok\",\"f\":\"send\",\"value\":[[\"send\",1,[0,5]]]}\n"
      "{\"process\":1,\"type\":\"invoke\",\"f\":\"poll\",\"value\":[[\"poll\"]]}\n"
      "{\"process\":1,\"type\":\"ok\",\"f\":\"poll\",\"value\":[[\"poll\",{\"1\":[[0,6]]}]]}\n");
  const auto json = scratch_dir() / "ext_bad_result.json";
  std::filesystem::remove(json);
  auto found = kafkasim("check " + bad.string() + " --json " + json.string());
  EXPECT_EQ(found.code, 1) << found.out;
  EXPECT_NE(found.out.find("inconsistent-offsets"), std::string::npos) << found.out;
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("\"valid\": false"), std::string::npos) << text.str();
  // Malformed input: exit 2 with the operation named.
  const auto broken = write_file("ext_broken.jsonl", "{\"process\":0,\"type\":\"okk\",\"f\":\"send\"}\n");
  auto err = kafkasim("check " + broken.string());
  EXPECT_EQ(err.code, 2);
  EXPECT_NE(err.out.find("operation 1: type \"okk\""), std::string::npos) << err.out;
}

TEST(Cli, ARunsHistoryChecksTheSameOutsideTheRun) {
  const auto history = scratch_dir() / "roundtrip.jsonl";
  std::filesystem::remove(history);
  auto r = kafkasim("run " + source_path("scenarios/teaching/09_commit_before_process.lua").string() + " --quiet --history " + history.string());
  ASSERT_EQ(r.code, 0) << r.out;
  auto c = kafkasim("check " + history.string());
  EXPECT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("valid      true"), std::string::npos) << c.out;
}

namespace {
nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}
}  // namespace

// `kafkasim check` on a run's own history, with no options, says what the run said of it: the
// same anomalies with the same counts, the same ones marked allowed (the run's groups
// subscribe, so poll-skip and nonmonotonic-poll are), and the same verdict by Jepsen's rules.
TEST(Cli, CheckAgreesWithTheRunOnItsOwnHistoryByDefault) {
  const std::vector<std::string> runs = {"scenarios/quickstart.lua", "scenarios/teaching/08_auto_commit_duplicates.lua",
                                         "tests/scenarios/group_random_crashes.lua --seed 1",
                                         "tests/scenarios/group_random_crashes.lua --seed 4 --set bugs=consumer_commits_fetched",
                                         // transactions as txn operations: aborted and fenced ones read (G1a)
                                         "scenarios/teaching/18_read_uncommitted.lua", "scenarios/teaching/16_exactly_once_pipeline.lua"};
  bool saw_allowed = false;
  for (size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE(runs[i]);
    const auto history = scratch_dir() / fmt::format("agree_{}.jsonl", i);
    const auto run_json = scratch_dir() / fmt::format("agree_{}_run.json", i);
    const auto check_json = scratch_dir() / fmt::format("agree_{}_check.json", i);
    auto r = kafkasim("run " + source_path("").string() + "/" + runs[i] + " --quiet -f --history " + history.string() + " --json " +
                      run_json.string());
    ASSERT_TRUE(r.code == 0 || r.code == 1) << r.out;
    auto c = kafkasim("check " + history.string() + " -f --json " + check_json.string());
    ASSERT_TRUE(c.code == 0 || c.code == 1) << c.out;
    const auto run = read_json(run_json)["anomalies"];
    const auto check = read_json(check_json);
    ASSERT_TRUE(run.is_object() && check.is_object());
    EXPECT_EQ(run["history_valid"], check["valid"]);
    EXPECT_EQ(c.code, check["valid"].get<bool>() ? 0 : 1);
    EXPECT_EQ(run["sub_via"], check["sub_via"]);
    EXPECT_EQ(run["allowed"], check["allowed"]);
    const auto beyond = run.value("beyond_history", nlohmann::json::object());
    for (const auto& [name, list] : run["anomalies"].items()) {
      const size_t more = beyond.value(name, size_t{0});
      const size_t in_check = check["anomalies"].contains(name) ? check["anomalies"][name].size() : 0;
      EXPECT_EQ(list.size() - more, in_check) << name;
    }
    for (const auto& [name, list] : check["anomalies"].items())
      EXPECT_TRUE(run["anomalies"].contains(name) || list.empty()) << name << " found by check only";
    // Both summaries mark what they allow, alike.
    for (const auto& name : check["allowed"]) {
      saw_allowed = true;
      const std::string n = name.get<std::string>();
      EXPECT_NE(c.out.find(n + " x"), std::string::npos) << c.out;
      EXPECT_NE(c.out.find("(allowed under subscribe)"), std::string::npos) << c.out;
      EXPECT_NE(r.out.find(n + " " + std::to_string(check["anomalies"][n].size()) + " (allowed under subscribe)"), std::string::npos) << r.out;
    }
    EXPECT_NE(r.out.find(fmt::format("valid by Jepsen's rules: {}", check["valid"].get<bool>())), std::string::npos) << r.out;
  }
  EXPECT_TRUE(saw_allowed) << "no run showed an allowed anomaly: the marking was not tested";
}

TEST(Cli, RunWritesItsResultAsJson) {
  const auto json = scratch_dir() / "run_result.json";
  std::filesystem::remove(json);
  auto r = kafkasim("run " + source_path("scenarios/teaching/15_static_membership.lua").string() + " --quiet --json " + json.string());
  ASSERT_EQ(r.code, 0) << r.out;
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  for (const char* field : {"\"scenario\"", "\"seed\": 12", "\"exit_code\": 0", "\"trace_hash\"", "\"checks\"",
                            "expect delivery exactly-once (indexers)", "\"anomalies\"", "\"valid\": true"}) {
    EXPECT_NE(text.str().find(field), std::string::npos) << field << " missing in " << text.str().substr(0, 400);
  }
}

TEST(Cli, TestRunsEveryScenarioWithJunitAndAClosingLine) {
  const auto dir = scratch_dir() / "suite";
  std::filesystem::remove_all(dir);
  write_file("suite/good.lua", "scenario { name = \"good\", duration = \"1s\" }\ncheck(\"fine\", true)\n");
  write_file("suite/bad.lua", "scenario { name = \"bad\", duration = \"1s\" }\ncheck(\"broken\", false, \"it is broken\")\n");
  write_file("suite/lib/helper.lua", "return {}\n");
  // Subfolders are searched too (scenarios/teaching/...), and their own lib/ is skipped.
  write_file("suite/teaching/01_nested.lua", "scenario { name = \"nested\", duration = \"1s\" }\ncheck(\"fine\", true)\n");
  write_file("suite/teaching/lib/helper.lua", "return {}\n");
  const auto junit = scratch_dir() / "suite.xml";
  std::filesystem::remove(junit);
  auto r = kafkasim("test " + dir.string() + " --seeds 1..2 --junit " + junit.string());
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("4 passed, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("01_nested.lua"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAIL  "), std::string::npos);
  EXPECT_NE(r.out.find("replay: kafkasim run "), std::string::npos);
  EXPECT_EQ(r.out.find("helper.lua"), std::string::npos) << "lib/ holds modules, not scenarios";
  std::ifstream in(junit);
  std::stringstream x;
  x << in.rdbuf();
  EXPECT_NE(x.str().find("tests=\"6\" failures=\"2\""), std::string::npos) << x.str();
  EXPECT_NE(x.str().find("<failure message=\"broken: it is broken\">replay: kafkasim run "), std::string::npos) << x.str();
  auto gh = kafkasim("test " + (dir / "bad.lua").string() + " 2>&1; true; GITHUB_ACTIONS=true " + std::string(KAFKASIM_BINARY) + " test " + (dir / "bad.lua").string());
  EXPECT_NE(gh.out.find("::error file="), std::string::npos) << gh.out;
  EXPECT_EQ(kafkasim("test " + dir.string() + " --seeds 5..2").code, 64);
}

// Which seeds fail depends only on the seed: the same FAIL lines whatever the parallelism, and
// shards that partition the range.
TEST(Cli, SweepRunsSeedsInParallelProcessesAndNamesEveryFailingSeed) {
  write_file("sweep/dice.lua",
             "scenario { name = \"dice\", duration = \"1s\" }\n"
             "check(\"not a one\", math.random(1, 4) ~= 1, \"rolled a one\")\n");
  const std::string scenario = (scratch_dir() / "sweep/dice.lua").string();
  auto lines = [](const std::string& out, const std::string& prefix) {
    std::vector<std::string> found;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) == 0) found.push_back(line);
    return found;
  };
  auto serial = kafkasim("sweep " + scenario + " --seeds 1..40 -j 1 2>/dev/null");
  auto parallel = kafkasim("sweep " + scenario + " --seeds 1..40 -j 3 2>/dev/null");
  const auto failing = lines(serial.out, "FAIL  seed ");
  ASSERT_GT(failing.size(), 0u) << serial.out;
  ASSERT_LT(failing.size(), 40u) << serial.out;
  EXPECT_EQ(serial.code, 1);
  EXPECT_EQ(failing, lines(parallel.out, "FAIL  seed "));
  EXPECT_NE(serial.out.find(fmt::format("{} passed, {} failed", 40 - failing.size(), failing.size())), std::string::npos)
      << serial.out;
  EXPECT_EQ(lines(serial.out, "      replay: kafkasim run ").size(), failing.size()) << serial.out;
  EXPECT_NE(serial.out.find("--seed "), std::string::npos);

  // Two shards run disjoint halves whose failures add up to the whole.
  auto first = kafkasim("sweep " + scenario + " --seeds 1..40 --shard 1/2 2>/dev/null");
  auto second = kafkasim("sweep " + scenario + " --seeds 1..40 --shard 2/2 2>/dev/null");
  auto halves = lines(first.out, "FAIL  seed ");
  for (const auto& l : lines(second.out, "FAIL  seed ")) halves.push_back(l);
  std::sort(halves.begin(), halves.end());
  auto whole = failing;
  std::sort(whole.begin(), whole.end());
  EXPECT_EQ(halves, whole);

  auto stop = kafkasim("sweep " + scenario + " --seeds 1..40 -j 1 --stop-on-first 2>/dev/null");
  EXPECT_EQ(lines(stop.out, "FAIL  seed ").size(), 1u) << stop.out;
  EXPECT_NE(stop.out.find("stopped at the first failure"), std::string::npos) << stop.out;

  EXPECT_EQ(kafkasim("sweep " + scenario + " --seeds 1..4 --shard 3/2").code, 64);
  EXPECT_EQ(kafkasim("sweep " + scenario + " --seeds x").code, 64);
}
