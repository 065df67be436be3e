#pragma once
// Invariants that a --paranoid run checks after every event, in the spirit of Kafka's
// RaftEventSimulationTest: cheap enough to run always in tests, precise about what broke.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sim {

class Invariants {
 public:
  // check returns an empty string when the invariant holds, else what is wrong.
  using Check = std::function<std::string()>;
  void add(std::string name, Check check) { checks_.push_back({std::move(name), std::move(check)}); }
  size_t size() const { return checks_.size(); }

  struct Violation {
    std::string name;
    std::string detail;
  };
  std::optional<Violation> check_all() const {
    for (const auto& [name, check] : checks_) {
      std::string detail = check();
      if (!detail.empty()) return Violation{name, std::move(detail)};
    }
    return std::nullopt;
  }

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

}  // namespace sim
