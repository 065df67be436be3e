// Java behaviours that Kafka's assignors leak into their results: how Strings hash and compare,
// and in which order a java.util.HashMap or HashSet iterates its keys. Header-only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kafka::java {

// The UTF-16 code units a Java String holds for this UTF-8 text. An invalid byte becomes U+FFFD
// (Java's decoder may fold a truncated sequence into one U+FFFD; a Java client never sends one).
inline std::u16string utf16(std::string_view utf8) {
  std::u16string out;
  out.reserve(utf8.size());
  size_t i = 0;
  while (i < utf8.size()) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    const size_t length = lead < 0x80           ? 1
                          : (lead >> 5) == 0x6  ? 2
                          : (lead >> 4) == 0xe  ? 3
                          : (lead >> 3) == 0x1e ? 4
                                                : 0;
    char32_t code = 0xfffd;
    size_t used = 1;
    if (length == 1) {
      code = lead;
    } else if (length > 1 && i + length <= utf8.size()) {
      char32_t value = lead & (0x7fu >> length);
      bool valid = true;
      for (size_t k = 1; k < length; ++k) {
        const auto next = static_cast<unsigned char>(utf8[i + k]);
        valid = valid && (next & 0xc0) == 0x80;
        value = value << 6 | (next & 0x3fu);
      }
      // Reject overlong forms, surrogates and values past U+10FFFF like a strict decoder.
      static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
      if (valid && value >= smallest[length] && value <= 0x10ffff && (value < 0xd800 || value > 0xdfff)) {
        code = value;
        used = length;
      }
    }
    if (code >= 0x10000) {
      out.push_back(static_cast<char16_t>(0xd800 + ((code - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xdc00 + ((code - 0x10000) & 0x3ff)));
    } else {
      out.push_back(static_cast<char16_t>(code));
    }
    i += used;
  }
  return out;
}

// String.hashCode: h = 31·h + c over UTF-16 units, on a wrapping 32-bit int.
inline int32_t string_hash(std::string_view utf8) {
  uint32_t h = 0;  // unsigned: wraps like Java's int instead of overflowing
  for (const char16_t unit : utf16(utf8)) h = 31 * h + unit;
  return static_cast<int32_t>(h);
}

// String.compareTo's sign. It orders UTF-16 units, which differs from UTF-8 byte order only when a
// character above U+FFFF meets one in U+E000..U+FFFF; ASCII (every legal topic name) compares alike.
inline int compare(std::string_view a, std::string_view b) {
  const bool ascii = [&] {
    for (const std::string_view s : {a, b})
      for (const char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
  }();
  const int result = ascii ? a.compare(b) : utf16(a).compare(utf16(b));
  return (result > 0) - (result < 0);
}

struct StringLess {
  bool operator()(std::string_view a, std::string_view b) const { return compare(a, b) < 0; }
};

// The iteration order of a java.util.HashMap (or HashSet, which is one) holding these keys.
//
// HashMap spreads a key's hashCode as h ^ (h >>> 16) and files the key in bucket spread & (capacity-1).
// The table starts at 16 buckets and doubles when the size passes 0.75·capacity. Iteration walks
// the buckets in order; a bucket is a list kept in insertion order, and doubling splits each list
// without reordering it, so keys iterate by (bucket, time of insertion). Removal unlinks a key,
// and the table never shrinks.
//
// One more rule: when a bucket's list reaches 9 keys while the table has fewer than 64 buckets,
// Java doubles the table instead of turning the bucket into a tree; that is emulated. With 64 or
// more buckets the bucket becomes a red-black tree whose iteration order is not modelled: that
// takes 9 keys with equal low hash bits, far beyond the group sizes and movement sets the
// assignors see.
//
// Only maps built with `new HashMap<>()` and filled by put are modelled (no initial capacity).
template <class Key, class KeyLess = std::less<Key>>
class HashOrder {
 public:
  // HashMap.put of a new key with the given hashCode(). A key already present keeps its place.
  void insert(const Key& key, int32_t hash) {
    const auto [it, added] = entries_.try_emplace(key, Entry{hash, next_stamp_});
    if (!added) return;
    ++next_stamp_;
    if (entries_.size() > kTreeifyThreshold && capacity_ < kMinTreeifyCapacity &&
        bucket_size(bucket(hash)) > kTreeifyThreshold)
      capacity_ *= 2;
    if (entries_.size() * 4 > capacity_ * 3) capacity_ *= 2;
  }

  bool erase(const Key& key) { return entries_.erase(key) > 0; }
  bool contains(const Key& key) const { return entries_.count(key) > 0; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }

  // The keys in Java's iteration order.
  std::vector<Key> keys() const {
    std::vector<std::pair<std::pair<size_t, uint64_t>, const Key*>> order;
    order.reserve(entries_.size());
    for (const auto& [key, entry] : entries_) order.push_back({{bucket(entry.hash), entry.stamp}, &key});
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });  // (bucket, stamp): unique
    std::vector<Key> keys;
    keys.reserve(order.size());
    for (const auto& item : order) keys.push_back(*item.second);
    return keys;
  }

  // What iterator().next() returns.
  const Key& front() const {
    if (entries_.empty()) throw std::logic_error("HashOrder::front on an empty set");
    const Key* best = nullptr;
    std::pair<size_t, uint64_t> best_rank{};
    for (const auto& [key, entry] : entries_) {
      const std::pair<size_t, uint64_t> rank{bucket(entry.hash), entry.stamp};
      if (best == nullptr || rank < best_rank) {
        best = &key;
        best_rank = rank;
      }
    }
    return *best;
  }

 private:
  static constexpr size_t kTreeifyThreshold = 8;
  static constexpr size_t kMinTreeifyCapacity = 64;

  struct Entry {
    int32_t hash;
    uint64_t stamp;  // insertion time: the order within a bucket
  };

  size_t bucket(int32_t hash) const {
    const auto h = static_cast<uint32_t>(hash);
    return (h ^ (h >> 16)) & (capacity_ - 1);
  }

  size_t bucket_size(size_t index) const {
    size_t count = 0;
    for (const auto& item : entries_)
      if (bucket(item.second.hash) == index) ++count;
    return count;
  }

  std::map<Key, Entry, KeyLess> entries_;
  size_t capacity_ = 16;
  uint64_t next_stamp_ = 0;
};

}  // namespace kafka::java
