// Proving the checker: each bug switch, a real class of replication bug, makes a standard fault
// scenario fail within 100 seeds, and with every switch off the same 100 seeds are clean.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"

using kafkasim_test::source_path;

namespace {

sim::lua::RunResult run_seed(uint64_t seed, const std::string& bugs) {
  sim::lua::RunOptions o;
  o.path = source_path("tests/scenarios/acks_all_random_crashes.lua");
  o.seed = seed;
  if (!bugs.empty()) o.sets.emplace_back("bugs", bugs);
  return sim::lua::run_scenario(o);
}

const sim::lua::Check* violated(const sim::lua::RunResult& r) {
  for (const auto& c : r.checks)
    if (!c.held) return &c;
  return nullptr;
}

}  // namespace

// The clean sweep, in four shards of 25 seeds so that ctest spreads them over the cores.
class CleanModel : public ::testing::TestWithParam<int> {};

TEST_P(CleanModel, RandomCrashesLoseNoAcknowledgedWrite) {
  for (uint64_t seed = GetParam() * 25 + 1; seed <= static_cast<uint64_t>(GetParam() + 1) * 25; ++seed) {
    const auto r = run_seed(seed, "");
    const auto* bad = violated(r);
    ASSERT_EQ(r.exit_code, 0) << "seed " << seed << ": " << (bad ? bad->name + ": " + bad->detail : r.error);
  }
}
INSTANTIATE_TEST_SUITE_P(Seeds1To100, CleanModel, ::testing::Range(0, 4));

TEST(BugSwitches, AcksAllBeforeIsrIsCaughtWithin100Seeds) {
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const auto r = run_seed(seed, "acks_all_before_isr");
    ASSERT_NE(r.exit_code, 2) << r.error;
    if (r.exit_code == 0) continue;
    const auto* bad = violated(r);
    ASSERT_NE(bad, nullptr) << "seed " << seed << " failed without a violated check: " << r.error;
    EXPECT_NE(bad->name.find("lost_acked_writes"), std::string::npos) << bad->name << ": " << bad->detail;
    return;
  }
  FAIL() << "acks=all answered before the ISR had the records, yet 100 seeds lost nothing";
}

TEST(BugSwitches, AnUnknownSwitchIsAnErrorNamingTheKnownOnes) {
  const auto r = run_seed(1, "acks_all_before_isr,no_such_bug");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.error.find("not a bug switch"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("acks_all_before_isr"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("acks_all_random_crashes.lua:"), std::string::npos) << r.error;
}
