#include "sim/cli/test_command.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "sim/cli/atomic_file.hpp"
#include "sim/cli/run_outcome.hpp"
#include "sim/lua/runtime.hpp"

namespace sim::cli {

namespace {

struct Outcome {
  std::string file;
  std::string name;
  uint64_t seed;
  int exit_code;
  double seconds;
  std::string failure;  // empty when the test passed
  std::string replay;
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
    if (std::filesystem::is_regular_file(p)) {
      out.emplace_back(p);
    } else if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file() && is_scenario(e.path(), p)) out.push_back(e.path());
    } else {
      error = fmt::format("{}: no such file or directory", p);
      return {};
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

}  // namespace

int cmd_test(const TestArgs& args) {
  std::optional<std::pair<uint64_t, uint64_t>> seeds;
  if (!args.seeds.empty()) {
    seeds = parse_seed_range(args.seeds);
    if (!seeds) {
      std::cerr << "kafkasim: --seeds " << args.seeds << ": write a seed or a range, as in 1..100\n";
      return lua::kExitUsage;
    }
  }
  if (!args.junit.empty() && std::filesystem::exists(args.junit) && !args.force) {
    std::cerr << "kafkasim: " << args.junit << " exists; kafkasim does not overwrite files without --force\n";
    return lua::kExitUsage;
  }
  std::string error;
  const auto files = discover(args.paths, error);
  if (!error.empty()) {
    std::cerr << "kafkasim: " << error << "\n";
    return lua::kExitUsage;
  }
  const bool github = [] {
    const char* g = std::getenv("GITHUB_ACTIONS");
    return g && std::string(g) == "true";
  }();
  std::vector<Outcome> outcomes;
  for (const auto& file : files) {
    std::vector<std::optional<uint64_t>> runs;
    if (seeds) for (uint64_t s = seeds->first; s <= seeds->second; ++s) runs.emplace_back(s);
    else runs.emplace_back(std::nullopt);
    for (const auto& seed : runs) {
      lua::RunOptions o;
      o.path = file;
      o.seed = seed;
      const auto start = std::chrono::steady_clock::now();
      const lua::RunResult r = lua::run_scenario(o);
      Outcome out{file.string(), r.scenario.name, r.seed, r.exit_code,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), {}, r.replay};
      out.failure = first_failure(r);
      if (out.failure.empty()) {
        std::cout << fmt::format("PASS  {} (seed {}, {:.2f}s)\n", out.file, out.seed, out.seconds);
      } else {
        std::cout << fmt::format("FAIL  {} (seed {}): {}\n      replay: {}\n", out.file, out.seed, out.failure, out.replay);
        if (github) std::cout << fmt::format("::error file={},line=1::{} (replay: {})\n", out.file, out.failure, out.replay);
      }
      outcomes.push_back(std::move(out));
    }
  }
  const auto failed = std::count_if(outcomes.begin(), outcomes.end(), [](const Outcome& o) { return !o.failure.empty(); });
  if (!args.junit.empty()) {
    std::ostringstream x;
    x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x << fmt::format("<testsuites><testsuite name=\"kafkasim\" tests=\"{}\" failures=\"{}\">\n", outcomes.size(), failed);
    for (const Outcome& o : outcomes) {
      x << fmt::format("  <testcase classname=\"{}\" name=\"{} (seed {})\" time=\"{:.3f}\">", xml(o.file), xml(o.name), o.seed, o.seconds);
      if (!o.failure.empty()) {
        const char* tag = o.exit_code == lua::kExitViolation ? "failure" : "error";
        x << fmt::format("<{} message=\"{}\">replay: {}</{}>", tag, xml(o.failure), xml(o.replay), tag);
      }
      x << "</testcase>\n";
    }
    x << "</testsuite></testsuites>\n";
    AtomicFile file(args.junit);
    file.stream() << x.str();
    if (!file.commit()) std::cerr << "kafkasim: could not write " << args.junit << "\n";
  }
  std::cout << fmt::format("{} passed, {} failed\n", outcomes.size() - static_cast<size_t>(failed), failed);
  return failed == 0 ? lua::kExitOk : lua::kExitViolation;
}

}  // namespace sim::cli
