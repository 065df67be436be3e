#pragma once
// Stable 64-bit hashing: the same bytes give the same value on every platform and run.
// Used to derive random streams from names and for the running trace hash; never
// std::hash, whose values are unspecified.
#include <cstdint>
#include <cstring>
#include <string_view>

namespace sim {

// 128-bit integers for exact multiply-high arithmetic (a GCC/Clang extension).
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

// SplitMix64's finaliser: a strong bijective mix of one word.
constexpr uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a over bytes: simple and stable; fine for short names.
constexpr uint64_t fnv1a64(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ULL) {
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// A streaming hasher for the trace: absorbs words and byte strings in order. Each word costs
// one multiply and a shift (the trace hashes every event, so this is on the hot path); the
// value is finished with a full mix. A fingerprint of a run, not a defence against crafted
// collisions.
class StreamHash {
 public:
  void word(uint64_t w) {
    h_ = (h_ ^ w) * 0x9e3779b97f4a7c15ULL;
    h_ ^= h_ >> 32;
  }
  void bytes(std::string_view s) {
    word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      word(w);
    }
    uint64_t tail = 0;
    for (size_t k = 0; i < s.size(); ++i, ++k) tail |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * k);
    word(tail);
  }
  uint64_t value() const { return mix64(h_); }

 private:
  uint64_t h_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace sim
