#include "sim/cli/test_command.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "sim/cli/child_runs.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/escape.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::cli {

namespace {

// One run of the suite: its scenario file, how it ended, and what it counts as.
struct Outcome {
  std::string file;
  RunReport report;
  Verdict verdict;
};

// A scenario found under `root`: a .lua file declaring `scenario {`. Below the root, lib/ holds
// helper modules and bench/ holds measurements (run those by naming them, or with `kafkasim run`).
bool is_scenario(const std::filesystem::path& p, const std::filesystem::path& root) {
  if (p.extension() != ".lua") return false;
  for (const auto& part : std::filesystem::relative(p, root))
    if (part == "lib" || part == "bench") return false;
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  const std::string s = text.str();
  return s.find("scenario {") != std::string::npos || s.find("scenario{") != std::string::npos;
}

std::vector<std::filesystem::path> discover(const std::vector<std::string>& paths, std::string& error) {
  std::vector<std::filesystem::path> out;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(p, ec)) {
      out.emplace_back(p);
    } else if (std::filesystem::is_directory(p, ec)) {
      const size_t before = out.size();
      for (auto it = std::filesystem::recursive_directory_iterator(p, ec); !ec && it != std::filesystem::recursive_directory_iterator();
           it.increment(ec))
        if (it->is_regular_file() && is_scenario(it->path(), p)) out.push_back(it->path());
      if (ec) {
        error = fmt::format("{}: cannot read the folder ({})", p, ec.message());
        return {};
      }
      if (out.size() == before) {
        error = fmt::format("{}: no scenario in this folder (a .lua file that declares scenario {{ ... }}, outside lib/ and bench/)", p);
        return {};
      }
    } else {
      error = fmt::format("{}: no such file or folder", p);
      return {};
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}


// The runs of one suite: each scenario file, for each seed of the range (or for its own seed).
struct Suite {
  std::vector<std::filesystem::path> files;
  std::optional<std::pair<uint64_t, uint64_t>> seeds;
  uint64_t per_file = 1;

  size_t count() const { return static_cast<size_t>(per_file * files.size()); }
  const std::filesystem::path& file_of(size_t k) const { return files[k / per_file]; }
  // Run k is the (k mod seeds)-th seed of file k / seeds; made as it starts.
  lua::RunOptions options_of(size_t k) const {
    lua::RunOptions o;
    o.path = file_of(k);
    o.skip_teardown = true;  // each run is a child process that exits after it
    if (seeds) o.seed = seeds->first + k % per_file;
    return o;
  }
};

// The suite the arguments name; a usage message when they are wrong or name too many runs.
std::string plan_suite(const TestArgs& args, Suite& suite) {
  if (!args.seeds.empty()) {
    suite.seeds = parse_seed_range(args.seeds);
    if (!suite.seeds) return fmt::format("--seeds {}: write a seed or a range, as in 1..100", args.seeds);
  }
  if (std::string error = check_run_limits(args.timeout, args.jobs); !error.empty()) return error;
  if (suite.seeds && suite.seeds->second - suite.seeds->first >= kMaxSeeds) {
    return fmt::format("--seeds {}: at most {} seeds in one command (split the range with sweep --shard)", args.seeds, kMaxSeeds);
  }
  std::string error;
  suite.files = discover(args.paths, error);
  if (!error.empty()) return error;
  suite.per_file = suite.seeds ? suite.seeds->second - suite.seeds->first + 1 : 1;
  if (suite.per_file * suite.files.size() > kMaxSeeds) {
    return fmt::format("{} scenarios with {} seeds each: at most {} runs in one command", suite.files.size(), suite.per_file, kMaxSeeds);
  }
  return {};
}

// One run's lines: PASS, or FAIL/ERROR with the line that replays it (and, on GitHub Actions, an
// annotation on the scenario file).
void print_outcome(const Outcome& o, bool github) {
  const RunReport& r = o.report;
  if (o.verdict == Verdict::passed) {
    std::cout << fmt::format("PASS  {} (seed {}, {:.2f}s)\n", terminal_text(o.file), r.seed, r.seconds);
    for (const std::string& line : split(r.not_judged, '\n'))
      if (!line.empty()) std::cout << "      not judged: " << one_line(line) << "\n";
    return;
  }
  const char* tag = o.verdict == Verdict::failed ? "FAIL " : "ERROR";
  const std::string seed = r.end == RunReport::End::finished || r.seed ? fmt::format("seed {}", r.seed) : "its own seed";
  std::cout << fmt::format("{} {} ({}): {}\n      replay: {}\n", tag, terminal_text(o.file), seed, one_line(r.failure), r.replay);
  if (github) std::cout << fmt::format("::error file={},line=1::{} (replay: {})\n", terminal_text(o.file), one_line(r.failure), r.replay);
}

// Runs the suite, printing each outcome as it is known; the lines come out in the suite's order
// whatever order the runs end in. Returns the outcomes in that order.
std::vector<Outcome> run_suite(const Suite& suite, const TestArgs& args, bool github) {
  std::vector<Outcome> outcomes;
  std::map<size_t, Outcome> ended_early;  // runs that ended before one ahead of them
  auto options_of = [&](size_t k) { return suite.options_of(k); };
  ChildRuns(args.jobs, args.timeout).run(suite.count(), options_of, [&](size_t i, const RunReport& r) {
    ended_early.emplace(i, Outcome{suite.file_of(i).string(), r, verdict_of(r)});
    for (auto it = ended_early.begin(); it != ended_early.end() && it->first == outcomes.size(); it = ended_early.erase(it)) {
      print_outcome(it->second, github);
      outcomes.push_back(std::move(it->second));
    }
    std::cout.flush();
    return true;
  });
  return outcomes;
}

void write_junit(std::ostream& x, const std::vector<Outcome>& outcomes, size_t failed, size_t errors) {
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << fmt::format("<testsuites><testsuite name=\"kafkasim\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", outcomes.size(),
                   failed, errors);
  for (const auto& o : outcomes) {
    const RunReport& r = o.report;
    x << fmt::format("  <testcase classname=\"{}\" name=\"{} (seed {})\" time=\"{:.3f}\">", xml_text(o.file),
                     xml_text(r.scenario.empty() ? o.file : r.scenario), r.seed, r.seconds);
    if (o.verdict != Verdict::passed) {
      const char* tag = o.verdict == Verdict::failed ? "failure" : "error";
      x << fmt::format("<{} message=\"{}\">replay: {}</{}>", tag, xml_text(r.failure), xml_text(r.replay), tag);
    }
    // Expectations the run could not judge pass no verdict; CI shows them as the run's output.
    if (!r.not_judged.empty()) x << fmt::format("<system-out>not judged: {}</system-out>", xml_text(r.not_judged));
    x << "</testcase>\n";
  }
  x << "</testsuite></testsuites>\n";
}

}  // namespace

int cmd_test(const TestArgs& args) {
  Suite suite;
  if (std::string error = plan_suite(args, suite); !error.empty()) return usage_error(error);
  std::vector<std::string> inputs;
  for (const auto& f : suite.files) inputs.push_back(f.string());
  if (const std::string clash = check_paths(inputs, {{"--junit", args.junit}}); !clash.empty()) return usage_error(clash);
  std::optional<OutputFile> junit;
  if (!args.junit.empty()) {
    junit.emplace("--junit", args.junit, args.force);
    if (!junit->ok()) return usage_error(junit->error());
  }
  const bool github = [] {
    const char* g = std::getenv("GITHUB_ACTIONS");
    return g && std::string(g) == "true";
  }();

  const std::vector<Outcome> outcomes = run_suite(suite, args, github);
  size_t passed = 0, failed = 0, errors = 0;
  for (const auto& o : outcomes) {
    passed += o.verdict == Verdict::passed;
    failed += o.verdict == Verdict::failed;
    errors += o.verdict == Verdict::error;
  }
  bool junit_lost = false;
  if (junit) {
    write_junit(junit->stream(), outcomes, failed, errors);
    if (!junit->commit()) {
      std::cerr << "kafkasim: " << junit->error() << "\n";
      junit_lost = true;
    }
  }
  std::cout << fmt::format("{} passed, {} failed, {} errors\n", passed, failed, errors);
  // CI reads the report: a suite whose report was lost has not told its outcome.
  if (junit_lost) return lua::kExitIoError;
  if (errors > 0) return lua::kExitInvalid;
  return failed == 0 ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
