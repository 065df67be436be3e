// Same binary + scenario + seed => the same trace, byte for byte; another seed => another run;
// and --paranoid, which only reads state after each event, changes neither trace nor verdict.
#include <gtest/gtest.h>

#include <algorithm>

#include "scenario_helpers.hpp"
#include "sim/hash.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {
// Hashes the JSONL text of the trace as it streams, so a long run is compared byte for byte
// without being held in memory.
class JsonlHashSink final : public sim::TraceSink {
 public:
  void write(const sim::Event& e) override {
    line_.clear();
    sim::format_event_json(e, line_);
    hash_.bytes(line_);
    ++lines_;
  }
  uint64_t hash() const { return hash_.value(); }
  uint64_t lines() const { return lines_; }

 private:
  std::string line_;
  sim::StreamHash hash_;
  uint64_t lines_ = 0;
};

struct Outcome {
  uint64_t trace_hash;
  uint64_t jsonl_hash;
  uint64_t events;
  std::string verdict;  // every check's name, whether it held and its detail; the anomalies found
};

// The verdict of a run as one text, so two runs' verdicts compare with one EXPECT_EQ.
std::string verdict_of(const sim::lua::RunResult& r) {
  std::string out = "exit " + std::to_string(r.exit_code) + "\n";
  for (const auto& c : r.checks) out += (c.held ? "held " : "VIOLATED ") + c.name + ": " + c.detail + "\n";
  if (r.anomalies) {
    out += r.anomalies->valid ? "valid\n" : "invalid\n";
    for (const auto& [name, list] : r.anomalies->anomalies) out += name + " x" + std::to_string(list.size()) + "\n";
  }
  return out;
}

Outcome run(const std::filesystem::path& path, std::optional<uint64_t> seed, bool paranoid = false) {
  JsonlHashSink sink;
  sim::lua::RunOptions o;
  o.path = path;
  o.seed = seed;
  o.sinks = {&sink};
  o.paranoid = paranoid;
  const auto r = sim::lua::run_scenario(o);
  EXPECT_EQ(r.exit_code, 0) << path << ": " << r.error;
  EXPECT_EQ(sink.lines(), r.trace_events);
  return {r.trace_hash, sink.hash(), r.trace_events, verdict_of(r)};
}

// Every scenario: the examples in scenarios/ and the tests' own in tests/scenarios/.
std::vector<std::string> all_scenarios() {
  std::vector<std::string> out = scenario_files("scenarios");
  for (const auto& f : scenario_files("tests/scenarios")) out.push_back(f);
  std::sort(out.begin(), out.end());
  return out;
}

class Replay : public ::testing::TestWithParam<std::string> {};

// The second run is paranoid: it checks every invariant after every event, which must read
// state and change nothing, so the same seed gives the same trace and the same verdict.
TEST_P(Replay, TwoRunsOfOneSeedAreIdenticalParanoidOrNot) {
  const auto path = source_path(GetParam());
  const Outcome a = run(path, std::nullopt), b = run(path, std::nullopt, /*paranoid=*/true);
  EXPECT_GT(a.events, 10u);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.jsonl_hash, b.jsonl_hash) << "the JSONL traces differ";
  EXPECT_EQ(a.verdict, b.verdict);
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Replay, ::testing::ValuesIn(all_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param.substr(0, param_info.param.size() - 4);
                           if (name.rfind("scenarios/", 0) == 0) name = name.substr(10);
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });
}  // namespace

TEST(Determinism, ScenariosAreFound) {
  const auto all = all_scenarios();
  EXPECT_GE(all.size(), 11u);
  EXPECT_GE(std::count_if(all.begin(), all.end(), [](const std::string& s) { return s.rfind("tests/", 0) == 0; }), 2)
      << "the tests' own scenarios are replayed too";
  EXPECT_NE(std::find(all.begin(), all.end(), "scenarios/teaching/01_acks_leader_crash.lua"), all.end())
      << "the library's subfolders are searched";
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const std::string& s) { return s.find("/lib/") != std::string::npos; }), 0)
      << "lib/ holds modules, not scenarios";
}

TEST(Determinism, AnotherSeedGivesAnotherRun) {
  const auto path = source_path("scenarios/kernel_demo.lua");
  const Outcome a = run(path, 1), b = run(path, 2);
  EXPECT_NE(a.trace_hash, b.trace_hash);
  EXPECT_NE(a.jsonl_hash, b.jsonl_hash);
}

TEST(Determinism, SinksDoNotChangeTheRun) {
  const auto path = source_path("scenarios/kernel_demo.lua");
  sim::lua::RunOptions o;
  o.path = path;
  const auto bare = sim::lua::run_scenario(o);
  EXPECT_EQ(bare.trace_hash, run(path, std::nullopt).trace_hash);
}
