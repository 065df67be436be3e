#include "sim/cli/run_summary.hpp"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"

namespace sim::cli {

void print_sweep_summary(std::ostream& out, const std::vector<const RunReport*>& not_passed, size_t passed, bool stopped,
                         size_t not_run) {
  std::map<std::string, size_t> seeds_by_kind;
  for (const RunReport* r : not_passed) {
    for (const auto& k : r->kinds) ++seeds_by_kind[k];
    out << fmt::format("FAIL  seed {}: {}\n", r->seed, one_line(r->failure));
    if (!r->kinds.empty()) {
      std::string kinds;
      for (const auto& k : r->kinds) kinds += (kinds.empty() ? "" : ", ") + k;
      out << fmt::format("      anomalies: {}\n", one_line(kinds));
    }
    if (!r->replay.empty()) out << fmt::format("      replay: {}\n", one_line(r->replay));
  }
  if (!seeds_by_kind.empty()) {
    std::string kinds;
    for (const auto& [k, n] : seeds_by_kind) kinds += fmt::format("{}{} ({} seed{})", kinds.empty() ? "" : ", ", k, n, n == 1 ? "" : "s");
    out << fmt::format("anomalies in failing seeds: {}\n", one_line(kinds));
  }
  if (stopped) out << fmt::format("stopped at the first failure; {} seeds not run\n", not_run);
  out << fmt::format("{} passed, {} failed\n", passed, not_passed.size());
}

int sweep_exit_code(const std::vector<const RunReport*>& not_passed) {
  // A seed that could not be judged is an error, as test counts errors.
  for (const RunReport* r : not_passed)
    if (verdict_of(*r) == Verdict::error) return lua::kExitInvalid;
  return not_passed.empty() ? lua::kExitOk : lua::kExitViolation;
}

void print_test_run(std::ostream& out, const std::string& file, const RunReport& r, bool github) {
  if (verdict_of(r) == Verdict::passed) {
    out << fmt::format("PASS  {} (seed {}, {:.2f}s)\n", terminal_text(file), r.seed, r.seconds);
    for (const std::string& line : split(r.not_judged, '\n'))
      if (!line.empty()) out << "      not judged: " << one_line(line) << "\n";
    return;
  }
  const char* tag = verdict_of(r) == Verdict::failed ? "FAIL " : "ERROR";
  const std::string seed = r.end == RunReport::End::finished || r.seed ? fmt::format("seed {}", r.seed) : "its own seed";
  out << fmt::format("{} {} ({}): {}\n      replay: {}\n", tag, terminal_text(file), seed, one_line(r.failure), one_line(r.replay));
  if (github) out << fmt::format("::error file={},line=1::{} (replay: {})\n", terminal_text(file), one_line(r.failure), one_line(r.replay));
}

void print_test_count(std::ostream& out, size_t passed, size_t failed, size_t errors) {
  out << fmt::format("{} passed, {} failed, {} errors\n", passed, failed, errors);
}

bool on_github_actions() {
  const char* g = std::getenv("GITHUB_ACTIONS");
  return g && std::string(g) == "true";
}

}  // namespace sim::cli
