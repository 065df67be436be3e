// Checker throughput. Target (issue 5): a history of 1,000,000 operations checked in under 5 s.
// Run: build/tests/kafkasim_checker_bench
#include <benchmark/benchmark.h>

#include "sim/check/jepsen.hpp"
#include "sim/random.hpp"

using namespace check;

namespace {
// A history of `ops` operations (invocations and completions): producers sending to 8 keys,
// consumers polling them back in batches, as a run of kafkasim writes them.
History make_history(int64_t ops) {
  History h;
  sim::Rng rng(1);
  std::map<std::string, int64_t> next_offset;
  std::map<std::string, std::vector<Read>> log;
  std::map<std::string, size_t> polled;
  int64_t id = 0;
  auto push = [&](Op op) {
    op.index = static_cast<int64_t>(h.ops.size());
    h.ops.push_back(std::move(op));
  };
  while (static_cast<int64_t>(h.ops.size()) < ops) {
    if (rng.uniform_int(0, 9) < 8) {  // a send
      const std::string key = "t-" + std::to_string(rng.uniform_int(0, 7));
      const std::string value = "v" + std::to_string(id);
      Op inv;
      inv.id = id;
      inv.process = "p" + std::to_string(id % 4);
      inv.f = "send";
      inv.type = OpType::invoke;
      inv.sends.push_back({key, value, std::nullopt});
      Op ok = inv;
      ok.type = OpType::ok;
      ok.sends[0].offset = next_offset[key]++;
      log[key].push_back({*ok.sends[0].offset, value});
      push(std::move(inv));
      push(std::move(ok));
    } else {  // a poll returning what is new on a key
      const std::string key = "t-" + std::to_string(rng.uniform_int(0, 7));
      Op inv;
      inv.id = id;
      inv.process = "c" + key;
      inv.f = "poll";
      inv.type = OpType::invoke;
      Op ok = inv;
      ok.type = OpType::ok;
      auto& from = polled[key];
      for (size_t i = from; i < log[key].size() && i < from + 50; ++i) ok.polls[key].push_back(log[key][i]);
      from += ok.polls[key].size();
      push(std::move(inv));
      push(std::move(ok));
    }
    ++id;
  }
  return h;
}
}  // namespace

static void BM_CheckHistory(benchmark::State& state) {
  const History h = make_history(state.range(0));
  for (auto _ : state) {
    CheckOptions o;
    o.sub_via_subscribe = true;
    benchmark::DoNotOptimize(check_history(h, o));
  }
  state.counters["ops"] = static_cast<double>(h.ops.size());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(h.ops.size()));
}
BENCHMARK(BM_CheckHistory)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
