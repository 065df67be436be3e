#pragma once
// Bug switches: real classes of replication bug that a scenario can switch on (all off by
// default) to show that the checker catches them. Each names what goes wrong, not a fix.
#include <optional>
#include <string>
#include <vector>

namespace kafka {

struct Bugs {
  // The leader answers an acks=all produce as soon as its own log has the records, before the
  // in-sync replicas do: acks=all degrades to acks=1 and a leader crash loses acknowledged writes.
  bool acks_all_before_isr = false;

  // Sets the switch called `name`; false when no switch has that name.
  bool enable(const std::string& name) {
    if (name == "acks_all_before_isr") return acks_all_before_isr = true;
    return false;
  }
  static std::vector<std::string> names() { return {"acks_all_before_isr"}; }
};

}  // namespace kafka
