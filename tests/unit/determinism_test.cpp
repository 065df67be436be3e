// Same binary + scenario + seed => the same trace, byte for byte; another seed => another run.
#include <gtest/gtest.h>

#include <sstream>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {
struct Outcome {
  uint64_t hash;
  std::string jsonl;
  uint64_t events;
};

Outcome run(const std::filesystem::path& path, std::optional<uint64_t> seed) {
  std::ostringstream out;
  sim::JsonlSink sink(out);
  sim::lua::RunOptions o;
  o.path = path;
  o.seed = seed;
  o.sinks = {&sink};
  const auto r = sim::lua::run_scenario(o);
  EXPECT_EQ(r.exit_code, 0) << path << ": " << r.error;
  return {r.trace_hash, out.str(), r.trace_events};
}

std::vector<std::filesystem::path> all_scenarios() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(source_path("scenarios")))
    if (e.path().extension() == ".lua") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST(Determinism, EveryScenarioReplaysByteForByte) {
  const auto scenarios = all_scenarios();
  ASSERT_FALSE(scenarios.empty());
  for (const auto& path : scenarios) {
    const Outcome a = run(path, std::nullopt), b = run(path, std::nullopt);
    EXPECT_GT(a.events, 10u) << path;
    EXPECT_EQ(a.hash, b.hash) << path;
    EXPECT_TRUE(a.jsonl == b.jsonl) << path << ": the JSONL traces differ";
  }
}

TEST(Determinism, AnotherSeedGivesAnotherRun) {
  const auto path = source_path("scenarios/kernel_demo.lua");
  const Outcome a = run(path, 1), b = run(path, 2);
  EXPECT_NE(a.hash, b.hash);
  EXPECT_NE(a.jsonl, b.jsonl);
}

TEST(Determinism, TheHashIsTheHashOfTheTraceContent) {
  // Running with and without a JSONL sink must not change the run.
  const auto path = source_path("scenarios/kernel_demo.lua");
  sim::lua::RunOptions o;
  o.path = path;
  const auto bare = sim::lua::run_scenario(o);
  EXPECT_EQ(bare.trace_hash, run(path, std::nullopt).hash);
}
