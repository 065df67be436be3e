#include "sim/cli/test_command.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "sim/cli/child_runs.hpp"
#include "sim/cli/junit.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/cli/run_results.hpp"
#include "sim/cli/run_summary.hpp"
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


// The runs of one suite: each scenario file, for each seed of the range (or for its own seed);
// with --shard K/N, those whose number is K-1 modulo N.
struct Suite {
  std::vector<std::filesystem::path> files;
  std::optional<std::pair<uint64_t, uint64_t>> seeds;
  uint64_t per_file = 1;
  uint64_t shard = 0, shards = 1;

  // The runs of this share, and the k-th one's number in the whole plan.
  size_t count() const { return static_cast<size_t>(share_size(per_file * files.size(), shard, shards)); }
  uint64_t index_of(size_t k) const { return shard + k * shards; }
  const std::filesystem::path& file_of(uint64_t index) const { return files[index / per_file]; }
  // Run `index` is the (index mod seeds)-th seed of file index / seeds; made as it starts.
  lua::RunOptions options_of(uint64_t index) const {
    lua::RunOptions o;
    o.path = file_of(index);
    o.skip_teardown = true;  // each run is a child process that exits after it
    if (seeds) o.seed = seeds->first + index % per_file;
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
  if (!args.shard.empty()) {
    const auto shard = parse_shard(args.shard);
    if (!shard) return fmt::format("--shard {}: write K/N with 1 <= K <= N, as in 2/4", args.shard);
    std::tie(suite.shard, suite.shards) = *shard;
  }
  if (suite.per_file * suite.files.size() > kMaxSeeds) {
    return fmt::format("{} scenarios with {} seeds each: at most {} runs in one command", suite.files.size(), suite.per_file, kMaxSeeds);
  }
  return {};
}

// Runs the suite, printing each outcome as it is known; the lines come out in the suite's order
// whatever order the runs end in. Returns the outcomes in that order.
std::vector<Outcome> run_suite(const Suite& suite, const TestArgs& args, bool github, std::ostream& out) {
  std::vector<Outcome> outcomes;
  std::map<size_t, Outcome> ended_early;  // runs that ended before one ahead of them
  auto options_of = [&](size_t k) { return suite.options_of(suite.index_of(k)); };
  ChildRuns(args.jobs, args.timeout).run(suite.count(), options_of, [&](size_t k, const RunReport& r) {
    ended_early.emplace(k, Outcome{suite.file_of(suite.index_of(k)).string(), r, verdict_of(r)});
    for (auto it = ended_early.begin(); it != ended_early.end() && it->first == outcomes.size(); it = ended_early.erase(it)) {
      print_test_run(out, it->second.file, it->second.report, github);
      outcomes.push_back(std::move(it->second));
    }
    std::cout.flush();
    return true;
  });
  return outcomes;
}

}  // namespace

int cmd_test(const TestArgs& args) {
  Suite suite;
  if (std::string error = plan_suite(args, suite); !error.empty()) return usage_error(error);
  std::vector<std::string> inputs;
  for (const auto& f : suite.files) inputs.push_back(f.string());
  Outputs outputs;
  if (std::string error = open_outputs(inputs, {{"--junit", args.junit}, {"--json", args.json}}, args.force, outputs); !error.empty())
    return usage_error(error);
  std::ostream& out = any_to_stdout(outputs) ? std::cerr : std::cout;

  const auto start = std::chrono::steady_clock::now();
  const std::vector<Outcome> outcomes = run_suite(suite, args, on_github_actions(), out);
  size_t passed = 0, failed = 0, errors = 0;
  for (const auto& o : outcomes) {
    passed += o.verdict == Verdict::passed;
    failed += o.verdict == Verdict::failed;
    errors += o.verdict == Verdict::error;
  }
  if (outputs[0]) {
    std::vector<JunitCase> cases;
    for (const Outcome& o : outcomes) cases.push_back({o.file, &o.report});
    write_junit(outputs[0]->stream(), cases);
  }
  if (outputs[1]) {
    RunResults result;
    result.plan = {"test", this_build(), {}, suite.seeds, {}, args.timeout, suite.shards};
    for (const auto& f : suite.files) result.plan.files.push_back({f.string(), scenario_digest(f.string())});
    result.shard = suite.shard;
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (size_t k = 0; k < outcomes.size(); ++k) result.runs.push_back({suite.index_of(k), outcomes[k].report});
    outputs[1]->stream() << result.to_json();
  }
  print_test_count(out, passed, failed, errors);
  // CI reads the report: a suite whose report was lost has not told its outcome.
  if (!commit_outputs(outputs)) return lua::kExitIoError;
  if (errors > 0) return lua::kExitInvalid;
  return failed == 0 ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
