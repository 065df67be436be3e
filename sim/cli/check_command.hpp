#pragma once
// kafkasim check HISTORY [--sub-via assign|subscribe] [--ww-deps] [--json FILE] [-f]: Jepsen's
// Kafka checks over a history recorded elsewhere (JSON array or JSON lines; - for standard input).
#include <string>

namespace sim::cli {

struct CheckArgs {
  std::string history;
  std::string sub_via;  // assign or subscribe; empty: subscribe when the history has a subscribe operation
  bool ww_deps = false;
  std::string json;
  bool force = false;
};

int cmd_check(const CheckArgs& args);

}  // namespace sim::cli
