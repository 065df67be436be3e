#pragma once
// What the commands share: the seeds, params and limits they accept, how they refuse what they
// do not, and the one-line reason a run failed.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/lua/runtime.hpp"

namespace sim::cli {

// "3..7" -> {3, 7}; "5" -> {5, 5}; nothing for malformed text. Seeds are 0 .. 2^64-1.
std::optional<std::pair<uint64_t, uint64_t>> parse_seed_range(const std::string& text);
// One seed, as --seed takes it: digits only, 0 .. 2^64-1.
std::optional<uint64_t> parse_seed(const std::string& text);
// How many seeds one test or sweep command runs at most, and how many processes at once.
constexpr uint64_t kMaxSeeds = 10'000'000;
constexpr unsigned kMaxJobs = 256;

// Says "kafkasim: msg" on standard error; returns the usage exit code (64).
int usage_error(const std::string& msg);
// --set name=value options (run, sweep) into `out`; a usage message for the first malformed one.
std::string parse_sets(const std::vector<std::string>& sets, std::vector<std::pair<std::string, std::string>>& out);
// test's and sweep's --timeout (seconds, 0: no limit) and -j; a usage message when out of range.
std::string check_run_limits(double timeout, unsigned jobs);

// s on one line: tabs and line breaks as spaces, control characters escaped (for FAIL lines and
// annotations; sim::terminal_text).
std::string one_line(std::string s);
// s cut at every `sep`.
std::vector<std::string> split(const std::string& s, char sep);

// Empty when the run passed; otherwise its error, its first failed check ("name: detail"), or
// its exit code.
std::string first_failure(const lua::RunResult& r);

// The expectations the run could not judge, one "name: why" a line; empty when it judged all.
std::string not_judged(const lua::RunResult& r);

// The anomaly kinds found in the run's history, sorted ("duplicate", "lost-write", ...); empty
// when the scenario declared no expectations (its history was not checked).
std::vector<std::string> anomaly_kinds(const lua::RunResult& r);

}  // namespace sim::cli
