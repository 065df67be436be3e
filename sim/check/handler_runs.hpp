#pragma once
// Handler runs as the checks count them. The trace numbers a member's handler runs
// (`invocation`) from 1 in each start of its process, so a run is named by its member, which
// start it ran in (its life: consumer.start events so far), and its number there: a restarted
// member's run 2 is not its first process's run 2.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace check {

// Each member's process starts so far, read in trace order.
class MemberLives {
 public:
  void started(std::string_view member) { ++lives_[std::string(member)]; }
  int64_t of(std::string_view member) const {
    const auto it = lives_.find(std::string(member));
    return it == lives_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, int64_t> lives_;
};

// The run in `runs` (each with member, life, invocation and time_ns) with this name, else a
// new one begun at `time_ns`.
template <typename Run>
Run& run_of(std::vector<Run>& runs, const std::string& member, int64_t life, int64_t invocation, int64_t time_ns) {
  for (Run& r : runs)
    if (r.member == member && r.life == life && r.invocation == invocation) return r;
  Run& r = runs.emplace_back();
  r.member = member;
  r.life = life;
  r.invocation = invocation;
  r.time_ns = time_ns;
  return r;
}

}  // namespace check
