#pragma once
// The memory behind a scenario's Lua state (its lua_Alloc).
//
// - Identity: every block carries a 16-byte header, and each table, function, coroutine and
//   userdata gets a number in the order the script created it. Lua orders table iteration and
//   prints objects by address, which differs between runs; the sandbox uses these numbers
//   instead (sandbox_identity.cpp), so no script can make two runs of one seed differ.
// - Limit: bytes in use are accounted against the memory limit. Crossing it is not refused at
//   once (the allocation that crosses it may come from deep inside Lua, where an error has no
//   line to name); it is recorded, and the instruction hook ends the run at the next tick with
//   the line that was running. Only an allocation past the hard ceiling (twice the limit) is
//   refused outright.
// - Work: bytes allocated are work the instruction count does not see (a `..` of two long
//   strings is one instruction); the hook charges them to the instruction budget.
#include <cstddef>
#include <cstdint>

namespace sim::lua {

class LuaHeap {
 public:
  explicit LuaHeap(size_t limit) : limit_(limit) {}

  // The lua_Alloc; `ud` is the LuaHeap.
  static void* allocate(void* ud, void* ptr, size_t osize, size_t nsize);

  // The creation number of the object whose block starts at `block` (a table, a closure, a
  // coroutine's state block, a userdata), given when Lua created it.
  static uint64_t serial_at(const void* block);
  // The number the most recently created object got (for userdata, read right after creation).
  uint64_t last_serial() const { return next_serial_ - 1; }
  // A number from the same sequence for something that is not a Lua object (a C function).
  uint64_t take_serial() { return next_serial_++; }

  size_t used() const { return used_; }
  size_t limit() const { return limit_; }
  // Whether bytes in use have crossed the limit (the run ends at the next hook tick, unless a
  // collection brings them back under it).
  bool over_limit() const { return over_limit_; }
  // Recounts over_limit() from the bytes in use now (after a garbage collection).
  void recount() { over_limit_ = used_ > limit_; }
  // Whether an allocation was refused because it would have passed the hard ceiling.
  bool refused() const { return refused_; }
  // Bytes allocated since the last call (work to charge to the instruction budget).
  uint64_t take_allocated() {
    const uint64_t n = allocated_;
    allocated_ = 0;
    return n;
  }
  // Whether an allocation of `bytes` more would cross the limit (for functions that can say so
  // before they allocate, with the caller's line).
  bool would_exceed(size_t bytes) const { return bytes > limit_ || used_ > limit_ - bytes; }

 private:
  size_t limit_;
  size_t used_ = 0;
  uint64_t allocated_ = 0;
  uint64_t next_serial_ = 1;
  bool over_limit_ = false;
  bool refused_ = false;
};

}  // namespace sim::lua
