#pragma once
// The result file `sweep --json` and `test --json` write, and `merge` reads back: every run's
// outcome, and what the runs were a share of, so shards run on many machines merge into the
// verdict one machine running the whole plan would give, and results that do not belong
// together are refused rather than merged silently.
//
// A plan is the runs one command asks for: each scenario file (with the digest of its text and
// of the modules it requires), each seed of the range, under the same --set params and the
// same per-run time limit, by one build of kafkasim (the digest of its binary). Its runs are
// numbered 0..runs-1 (test: file by file, each file's seeds in order); shard K/N of the plan
// runs those whose number is K-1 modulo N. Merging checks that the results share one plan and
// that their shards are 1/N..N/N, each once.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/cli/child_runs.hpp"

namespace sim::cli {

// The kafkasim that wrote a result: its version and the digest of its own binary (two builds of
// one version can differ in what they simulate).
struct Build {
  std::string version;
  std::string digest;
  bool operator==(const Build&) const = default;
};
// This program's build.
const Build& this_build();

// The digest of a scenario as runs would read it: its file's bytes and, recursively, those of
// every module it requires by a literal name (`require "lib.x"`, beside the scenario). A module
// that is missing counts as missing; a require whose name is computed at run time is not seen.
std::string scenario_digest(const std::string& path);

// Shard K/N as (K - 1, N); nothing when malformed or out of range (1 <= K <= N <= kMaxSeeds).
std::optional<std::pair<uint64_t, uint64_t>> parse_shard(const std::string& text);

struct ResultPlan {
  std::string command;  // "sweep" or "test"
  Build build;
  struct File {
    std::string path;
    std::string digest;
    bool operator==(const File&) const = default;
  };
  std::vector<File> files;
  std::optional<std::pair<uint64_t, uint64_t>> seeds;  // test without --seeds: each file its own seed
  std::vector<std::string> sets;                       // name=value, in the order given
  double timeout = 0;
  uint64_t shards = 1;

  // How many runs the whole plan has, and the seeds per file.
  uint64_t per_file() const { return seeds ? seeds->second - seeds->first + 1 : 1; }
  uint64_t runs() const { return per_file() * files.size(); }
  // Whether two results are shares of one plan (their shard counts included); else why not.
  std::string differs_from(const ResultPlan& other) const;
};

struct ResultRun {
  uint64_t index = 0;  // its number in the whole plan
  RunReport report;
};

struct RunResults {
  ResultPlan plan;
  uint64_t shard = 0;   // K - 1
  bool stopped = false;  // sweep --stop-on-first ended it early: runs of its share are missing
  double wall_seconds = 0;
  std::vector<ResultRun> runs;  // by index

  // The file's text (JSON).
  std::string to_json() const;
  // A result file read back; on a malformed one, nothing and `error` says where and why.
  static std::optional<RunResults> parse(const std::string& text, std::string& error);
};

// How many of the plan's `runs` shard `shard` (K - 1) of `shards` holds: its k-th is run
// shard + k * shards.
uint64_t share_size(uint64_t runs, uint64_t shard, uint64_t shards);

}  // namespace sim::cli
