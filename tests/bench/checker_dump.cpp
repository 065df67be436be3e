// Prints every field of check_history's result, under each combination of the check options, for
// history files and generated histories: two builds of the checker must print the same bytes.
// Usage: kafkasim_checker_dump [--bench N] [--faulty N SEED] [history.jsonl ...]
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "histories.hpp"
#include "sim/check/history_json.hpp"
#include "sim/check/jepsen.hpp"

using namespace check;

namespace {

void dump(const std::string& name, const History& h) {
  for (int combo = 0; combo < 4; ++combo) {
    CheckOptions o;
    o.sub_via_subscribe = combo & 1;
    o.ww_deps = combo & 2;
    const CheckResult r = check_history(h, o);
    std::cout << "== " << name << " subscribe=" << o.sub_via_subscribe << " ww-deps=" << o.ww_deps
              << " valid=" << r.valid << "\n";
    for (const auto& [type, list] : r.anomalies)
      for (const Anomaly& a : list) {
        nlohmann::ordered_json j = {{"type", type},   {"key", a.key},     {"detail", a.detail},        {"ops", a.ops},
                                    {"value", a.value}, {"offset", a.offset}, {"explanation", a.explanation}};
        std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--bench" && i + 1 < argc) {
      const int64_t n = std::atoll(argv[++i]);
      dump("bench " + std::to_string(n), bench::make_history(n));
    } else if (arg == "--faulty" && i + 2 < argc) {
      const int64_t n = std::atoll(argv[++i]);
      const uint64_t seed = std::strtoull(argv[++i], nullptr, 10);
      dump("faulty " + std::to_string(n) + " seed " + std::to_string(seed), bench::FaultyHistory(seed).make(n));
    } else {
      std::ifstream in(arg, std::ios::binary);
      std::stringstream buf;
      buf << in.rdbuf();
      std::string error;
      const auto h = parse_history(buf.str(), error);
      if (!h) {
        std::cout << "== " << arg << ": " << error << "\n";
        continue;
      }
      dump(arg, *h);
    }
  }
  return 0;
}
