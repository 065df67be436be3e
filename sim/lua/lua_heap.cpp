#include "sim/lua/lua_heap.hpp"

#include <lua5.4/lua.hpp>

#include <cstdlib>
#include <stdexcept>

namespace sim::lua {

namespace {

// Before every block: the creation number of the object it holds (0 for other memory) and the
// block's size, which must match what Lua says when it frees or resizes it.
struct alignas(16) Header {
  uint64_t serial;
  uint64_t size;
};
static_assert(sizeof(Header) == 16, "the header keeps Lua's blocks 16-byte aligned");

Header* header_of(void* block) { return static_cast<Header*>(block) - 1; }

// Lua says what it creates when ptr is null: osize is then the object's type.
bool is_object(size_t tag) {
  return tag == LUA_TTABLE || tag == LUA_TFUNCTION || tag == LUA_TTHREAD || tag == LUA_TUSERDATA;
}

}  // namespace

uint64_t LuaHeap::serial_at(const void* block) { return (static_cast<const Header*>(block) - 1)->serial; }

void* LuaHeap::allocate(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* heap = static_cast<LuaHeap*>(ud);
  const size_t old = ptr ? osize : 0;
  if (ptr && header_of(ptr)->size != osize) {
    // Lua and the heap disagree about a block: memory is corrupt, and nothing after is trustworthy.
    std::abort();
  }
  if (nsize == 0) {
    if (ptr) std::free(header_of(ptr));
    heap->used_ -= old;
    return nullptr;
  }
  if (nsize > old) {
    const size_t grow = nsize - old;
    // The hard ceiling: twice the limit. Past it the allocation is refused (Lua raises a
    // memory error); below it, crossing the limit is only recorded.
    const size_t ceiling = heap->limit_ * 2;
    if (grow > ceiling || heap->used_ > ceiling - grow) {
      heap->refused_ = true;
      heap->over_limit_ = true;
      return nullptr;
    }
    if (heap->used_ + grow > heap->limit_) heap->over_limit_ = true;
    heap->allocated_ += grow;
  }
  Header* h = ptr ? header_of(ptr) : nullptr;
  const uint64_t serial = h ? h->serial : (is_object(osize) ? heap->next_serial_++ : 0);
  auto* block = static_cast<Header*>(std::realloc(h, sizeof(Header) + nsize));
  if (!block) {
    if (!ptr && serial != 0) --heap->next_serial_;
    heap->refused_ = true;
    return nullptr;
  }
  block->serial = serial;
  block->size = nsize;
  heap->used_ = heap->used_ - old + nsize;
  return block + 1;
}

}  // namespace sim::lua
