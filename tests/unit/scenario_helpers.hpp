#pragma once
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

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

}  // namespace kafkasim_test
