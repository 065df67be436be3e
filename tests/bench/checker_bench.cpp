// Checker throughput. Target (issue 10): a history of 1,000,000 operations checked in under 2 s.
// Run: build/tests/kafkasim_checker_bench
#include <benchmark/benchmark.h>

#include <sstream>

#include "histories.hpp"
#include "sim/check/history_json.hpp"
#include "sim/check/jepsen.hpp"

using namespace check;

// Jepsen's checks alone, over a history already in memory.
static void BM_CheckHistory(benchmark::State& state) {
  const History h = bench::make_history(state.range(0));
  for (auto _ : state) {
    CheckOptions o;
    o.sub_via_subscribe = true;
    benchmark::DoNotOptimize(check_history(h, o));
  }
  state.counters["ops"] = static_cast<double>(h.ops.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(h.ops.size()));
}
BENCHMARK(BM_CheckHistory)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// The same over a history full of anomalies (every check reports, the cycle search runs).
static void BM_CheckFaultyHistory(benchmark::State& state) {
  const History h = bench::FaultyHistory(1).make(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(check_history(h, {}));
  state.counters["ops"] = static_cast<double>(h.ops.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(h.ops.size()));
}
BENCHMARK(BM_CheckFaultyHistory)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

// What `kafkasim check history.jsonl` does after reading the file: parse the JSON lines, check.
static void BM_ParseAndCheck(benchmark::State& state) {
  std::ostringstream out;
  write_history_jsonl(bench::make_history(state.range(0)), out);
  const std::string text = out.str();
  for (auto _ : state) {
    std::string error;
    const auto h = parse_history(text, error);
    CheckOptions o;
    o.sub_via_subscribe = true;
    benchmark::DoNotOptimize(check_history(*h, o));
  }
  state.counters["MB"] = static_cast<double>(text.size()) / 1e6;
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(BM_ParseAndCheck)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
