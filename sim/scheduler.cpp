#include "sim/scheduler.hpp"
#include "sim/assert.hpp"

#include <algorithm>

namespace sim {

EventId Scheduler::at(Time t, Task task) {
  SIM_ASSERT(t >= now_, "events cannot be scheduled in the past");
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.task = std::move(task);
  s.live = true;
  heap_.push_back(Entry{t, next_seq_++, slot, s.generation});
  std::push_heap(heap_.begin(), heap_.end(), later);
  return EventId{slot, s.generation};
}

bool Scheduler::pending(EventId id) const {
  return id.valid() && id.slot < slots_.size() && slots_[id.slot].live &&
         slots_[id.slot].generation == id.generation;
}

bool Scheduler::cancel(EventId id) {
  if (!pending(id)) return false;
  free_slot(id.slot);
  return true;
}

void Scheduler::free_slot(uint32_t slot) {
  Slot& s = slots_[slot];
  s.task = nullptr;
  s.live = false;
  ++s.generation;  // the heap entry still naming this slot is now recognisably dead
  free_slots_.push_back(slot);
}

void Scheduler::drop_dead_top() {
  while (!heap_.empty()) {
    const Entry& top = heap_.front();
    const Slot& s = slots_[top.slot];
    if (s.live && s.generation == top.generation) return;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }
}

Time Scheduler::next_time() {
  drop_dead_top();
  return heap_.empty() ? Time::max() : heap_.front().time;
}

bool Scheduler::step(Time limit) {
  drop_dead_top();
  if (heap_.empty() || heap_.front().time > limit) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  const Entry e = heap_.back();
  heap_.pop_back();
  Task task = std::move(slots_[e.slot].task);
  free_slot(e.slot);
  now_ = e.time;
  ++events_run_;
  task();
  return true;
}

void Scheduler::advance_to(Time t) {
  SIM_ASSERT(t >= now_, "the clock only moves forward");
  if (t > now_) now_ = t;
}

}  // namespace sim
