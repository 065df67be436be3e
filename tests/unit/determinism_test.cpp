// Same binary + scenario + seed => the same trace, byte for byte; another seed => another run.
#include <gtest/gtest.h>

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
};

Outcome run(const std::filesystem::path& path, std::optional<uint64_t> seed) {
  JsonlHashSink sink;
  sim::lua::RunOptions o;
  o.path = path;
  o.seed = seed;
  o.sinks = {&sink};
  const auto r = sim::lua::run_scenario(o);
  EXPECT_EQ(r.exit_code, 0) << path << ": " << r.error;
  EXPECT_EQ(sink.lines(), r.trace_events);
  return {r.trace_hash, sink.hash(), r.trace_events};
}

std::vector<std::string> all_scenarios() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(source_path("scenarios")))
    if (e.path().extension() == ".lua") out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class Replay : public ::testing::TestWithParam<std::string> {};

TEST_P(Replay, TwoRunsOfOneSeedAreIdentical) {
  const auto path = source_path("scenarios/" + GetParam());
  const Outcome a = run(path, std::nullopt), b = run(path, std::nullopt);
  EXPECT_GT(a.events, 10u);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.jsonl_hash, b.jsonl_hash) << "the JSONL traces differ";
}

INSTANTIATE_TEST_SUITE_P(Scenarios, Replay, ::testing::ValuesIn(all_scenarios()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param.substr(0, param_info.param.size() - 4);
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });
}  // namespace

TEST(Determinism, ScenariosAreFound) { EXPECT_GE(all_scenarios().size(), 9u); }

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
