// Kernel throughput. Targets (issue 2): scheduler dispatch >= 5M events/s and network
// delivery >= 2M messages/s on one core. Run: build/kafkasim_bench
#include <benchmark/benchmark.h>

#include <memory>

#include "sim/random.hpp"
#include "sim/scheduler.hpp"
#include "sim/world.hpp"

using namespace sim;

// A queue of `pending` timers that each reschedule themselves at a random offset: the shape of
// a simulation's event queue (many timers, random horizons).
static void BM_SchedulerDispatch(benchmark::State& state) {
  const auto pending = static_cast<int>(state.range(0));
  Scheduler s;
  Rng rng(1);
  std::function<void()> tick;
  uint64_t ran = 0;
  tick = [&] {
    ++ran;
    s.after(Duration{rng.uniform_int(1, 1'000'000)}, [&tick] { tick(); });
  };
  for (int i = 0; i < pending; ++i) s.after(Duration{rng.uniform_int(1, 1'000'000)}, [&tick] { tick(); });
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) s.step();
  }
  state.SetItemsProcessed(static_cast<int64_t>(ran));
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(ran), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerDispatch)->Arg(100)->Arg(10'000);

namespace {
struct Ball final : Message {
  std::string_view name() const override { return "Ball"; }
};

// Returns every message to its sender.
class Bouncer final : public Node {
 public:
  void on_start(Context&) override {}
  void on_message(Context& ctx, NodeId from, const MessagePtr& msg) override { ctx.send(from, msg); }
  void on_timer(Context&, uint64_t) override {}
};
}  // namespace

static void BM_NetworkDelivery(benchmark::State& state) {
  const bool traced = state.range(0) != 0;
  World w(1);
  w.network().options().trace_messages = traced;
  LinkParams p;
  p.latency = DurationDist::constant(Duration::micros(500));
  p.jitter = Duration::micros(100);
  w.topology().set_default(p);
  const NodeId a = w.add_node("a", [] { return std::make_unique<Bouncer>(); });
  const NodeId b = w.add_node("b", [] { return std::make_unique<Bouncer>(); });
  w.start(a);
  w.start(b);
  // 64 messages stay in flight between the two nodes.
  w.invoke(a, [b](Node&, Context& ctx) {
    for (int i = 0; i < 64; ++i) ctx.send(b, std::make_shared<Ball>());
  });
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) w.step();
  }
  const double delivered = static_cast<double>(w.network().stats().delivered);
  state.counters["messages/s"] = benchmark::Counter(delivered, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_NetworkDelivery)->Arg(0)->Arg(1)->ArgName("traced");
