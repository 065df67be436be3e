#include "sim/emergency.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace sim {

namespace {

constexpr int kSlots = 16;
constexpr size_t kPathMax = 4096;

struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> ready{false};
  char path[kPathMax];
};
Slot g_slots[kSlots];

void remove_temporaries() {
  for (Slot& s : g_slots)
    if (s.ready.load()) ::unlink(s.path);
}

// Blocked while it runs, the signal raised again is delivered once the handler returns, with
// the default action SA_RESETHAND restored: the process dies of it, as it would have.
void on_fatal_signal(int sig) {
  remove_temporaries();
  ::raise(sig);
}

}  // namespace

int register_temporary(const char* path) {
  const size_t n = std::strlen(path);
  if (n >= kPathMax) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (!g_slots[i].used.compare_exchange_strong(expected, true)) continue;
    std::memcpy(g_slots[i].path, path, n + 1);
    g_slots[i].ready.store(true);
    return i;
  }
  return -1;
}

void unregister_temporary(int slot) {
  if (slot < 0 || slot >= kSlots) return;
  g_slots[slot].ready.store(false);
  g_slots[slot].used.store(false);
}

void forget_temporaries() {
  for (int i = 0; i < kSlots; ++i) unregister_temporary(i);
}

void emergency_exit(int code, const char* message) {
  const size_t n = std::strlen(message);
  size_t done = 0;
  while (done < n) {
    const ssize_t w = ::write(STDERR_FILENO, message + done, n - done);
    if (w <= 0) break;
    done += static_cast<size_t>(w);
  }
  remove_temporaries();
  ::_exit(code);
}

void remove_temporaries_on_fatal_signals() {
  for (int sig : {SIGHUP, SIGINT, SIGPIPE, SIGTERM}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0 || old.sa_handler == SIG_IGN) continue;
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;  // the handler runs once; the signal's own action follows
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

}  // namespace sim
