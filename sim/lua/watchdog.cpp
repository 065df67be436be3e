#include "sim/lua/watchdog.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <atomic>
#include <cmath>

#include "sim/emergency.hpp"
#include "sim/lua/errors.hpp"

namespace sim::lua::watchdog {

namespace {

constexpr int kTicksPerSecond = 10;
// After the limit, how long a call stuck outside Lua's reach may run before the process ends.
constexpr int kGraceTicks = 5 * kTicksPerSecond;

std::atomic<int> g_depth{0};
std::atomic<uint64_t> g_call{0};     // which outermost call is running
std::atomic<int> g_limit_ticks{0};
std::atomic<bool> g_expired{false};
// Written only by the signal handler.
uint64_t g_seen_call = 0;
int g_ticks = 0;
bool g_started = false;

static_assert(std::atomic<int>::is_always_lock_free && std::atomic<uint64_t>::is_always_lock_free &&
                  std::atomic<bool>::is_always_lock_free,
              "the handler touches only lock-free atomics");

void on_tick(int) {
  if (g_depth.load(std::memory_order_relaxed) == 0) {
    g_ticks = 0;
    return;
  }
  const uint64_t call = g_call.load(std::memory_order_relaxed);
  if (call != g_seen_call) {
    g_seen_call = call;
    g_ticks = 0;
  }
  ++g_ticks;
  const int limit = g_limit_ticks.load(std::memory_order_relaxed);
  if (g_ticks >= limit) g_expired.store(true, std::memory_order_relaxed);
  if (g_ticks >= limit + kGraceTicks) {
    emergency_exit(kExitInvalid,
                   "error: CPU time limit exceeded: a call into the scenario's Lua code kept running inside a "
                   "library function past its limit; the process stopped it (no output file was written)\n");
  }
}

void start() {
  if (g_started) return;
  g_started = true;
  // A child of fork() has no interval timer: start it again there at the next call.
  static const bool registered = pthread_atfork(nullptr, nullptr, [] { g_started = false; }) == 0;
  (void)registered;
  struct sigaction sa {};
  sa.sa_handler = on_tick;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPROF, &sa, nullptr);
  itimerval tv{};
  tv.it_interval.tv_usec = 1'000'000 / kTicksPerSecond;
  tv.it_value = tv.it_interval;
  setitimer(ITIMER_PROF, &tv, nullptr);
}

}  // namespace

void enter(double limit_seconds) {
  if (g_depth.fetch_add(1) != 0) return;
  start();
  g_expired.store(false);
  const double ticks = std::ceil(limit_seconds * kTicksPerSecond);
  g_limit_ticks.store(ticks < 1 ? 1 : ticks > 1e9 ? 1'000'000'000 : static_cast<int>(ticks));
  g_call.fetch_add(1);
}

void leave() {
  if (g_depth.fetch_sub(1) == 1) g_expired.store(false);
}

bool expired() { return g_expired.load(std::memory_order_relaxed); }

}  // namespace sim::lua::watchdog
