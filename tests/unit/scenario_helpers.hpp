#pragma once
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "sim/lua/runtime.hpp"

namespace kafkasim_test {

// A scratch directory for scenario files written by a test.
inline std::filesystem::path scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("kafkasim-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline std::filesystem::path write_file(const std::string& name, const std::string& text) {
  const auto path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

inline sim::lua::RunResult run_text(const std::string& name, const std::string& text,
                                    sim::lua::RunOptions opts = {}) {
  opts.path = write_file(name, text);
  return sim::lua::run_scenario(opts);
}

inline std::filesystem::path source_path(const std::string& rel) {
  return std::filesystem::path(KAFKASIM_SOURCE_DIR) / rel;
}

// The scenario files under a folder of the source tree (`scenarios`), searched recursively as
// `kafkasim test` searches it: the library is in subfolders (teaching/, systems/, ...). lib/
// holds modules, not scenarios; bench/ (measurements) only when asked. Paths relative to the
// source tree ("scenarios/teaching/01_acks_leader_crash.lua"), sorted.
inline std::vector<std::string> scenario_files(const std::string& dir, bool with_bench = false) {
  std::vector<std::string> out;
  const auto root = source_path(dir);
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".lua") continue;
    const auto rel = std::filesystem::relative(e.path(), root);
    bool skip = false;
    for (const auto& part : rel) skip = skip || part == "lib" || (part == "bench" && !with_bench);
    if (!skip) out.push_back(dir + "/" + rel.generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What the kafkasim binary printed (standard output and error together) and its exit code;
// -1 when it died of a signal, 124 when it ran out of `seconds` and was killed.
struct Ran {
  int code;
  std::string out;
};

inline Ran kafkasim(const std::string& args, int seconds = 120) {
  const std::string cmd = "timeout -s KILL " + std::to_string(seconds) + " " + std::string(KAFKASIM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (!WIFEXITED(status)) return {-1, out};
  const int code = WEXITSTATUS(status);
  return {code == 137 ? 124 : code, out};
}

}  // namespace kafkasim_test
