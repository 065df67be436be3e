#pragma once
// An explanation told as a story: each sentence carries the time of the event it tells, and
// the sentences come out in time order (ties in the order they were told), between an untimed
// opening and closing. Time order is what makes a causal chain readable: a commit told before
// the crash it came after reads as its cause.
#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace check {

class Story {
 public:
  void opening(std::string s) { add(opening_, std::move(s)); }
  // A sentence about an event at `time_ns`; every other time it names must not be earlier.
  void at(int64_t time_ns, std::string s) {
    if (!s.empty()) timed_.emplace_back(time_ns, std::move(s));
  }
  void closing(std::string s) { add(closing_, std::move(s)); }

  // The sentences, each ending in a full stop, joined by spaces.
  std::string text() const {
    std::vector<std::pair<int64_t, std::string>> timed = timed_;
    std::stable_sort(timed.begin(), timed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    auto put = [&](const std::string& s) {
      out += (out.empty() ? "" : " ") + s;
      if (s.back() != '.') out += '.';
    };
    for (const auto& s : opening_) put(s);
    for (const auto& [t, s] : timed) put(s);
    for (const auto& s : closing_) put(s);
    return out;
  }

 private:
  static void add(std::vector<std::string>& to, std::string s) {
    if (!s.empty()) to.push_back(std::move(s));
  }
  std::vector<std::string> opening_, closing_;
  std::vector<std::pair<int64_t, std::string>> timed_;
};

}  // namespace check
