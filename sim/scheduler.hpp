#pragma once
// The event queue. One total order: time, then the sequence number given at scheduling, so
// two events at the same instant always run in the order they were scheduled.
#include <cstdint>
#include <functional>
#include <vector>

#include "sim/time.hpp"

namespace sim {

// Identifies a scheduled event for cancellation. Stale ids (already run or cancelled) are
// recognised by their generation and ignored.
struct EventId {
  uint32_t slot = UINT32_MAX;
  uint32_t generation = 0;
  bool valid() const { return slot != UINT32_MAX; }
  bool operator==(const EventId&) const = default;
};

class Scheduler {
 public:
  // Tasks should capture at most 16 trivially copyable bytes (e.g. `this` and an index) so
  // std::function stores them inline and scheduling does not allocate.
  using Task = std::function<void()>;

  Time now() const { return now_; }
  EventId at(Time t, Task task);
  EventId after(Duration d, Task task) { return at(now_ + d, std::move(task)); }
  // Returns true when the event was pending and is now cancelled.
  bool cancel(EventId id);
  bool pending(EventId id) const;

  // Runs the next event if its time is <= limit. Returns false when there is none.
  bool step(Time limit = Time::max());
  // Time of the next live event, or Time::max() when idle.
  Time next_time();
  bool idle() { return next_time() == Time::max(); }
  // Moves the clock forward to t with no event run (t must not be behind now).
  void advance_to(Time t);

  uint64_t events_run() const { return events_run_; }
  size_t queued() const { return heap_.size(); }

 private:
  struct Entry {
    Time time;
    uint64_t seq;
    uint32_t slot;
    uint32_t generation;
  };
  struct Slot {
    Task task;
    uint32_t generation = 0;
    bool live = false;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.time != b.time ? a.time > b.time : a.seq > b.seq;
  }
  void free_slot(uint32_t slot);
  void drop_dead_top();

  Time now_ = Time::zero();
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
};

}  // namespace sim
