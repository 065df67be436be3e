#pragma once
// Running a scenario body the way a hostile user would, for the hostile-input tests.
#include <gtest/gtest.h>

#include <string>

#include "scenario_helpers.hpp"

namespace kafkasim_test {

inline const char* const kHostileHeader = "scenario { name = \"hostile\", duration = \"2s\" }\n";

// Runs a scenario body through the CLI; the exit code and everything it printed.
inline Ran run_cli(const std::string& name, const std::string& body, const std::string& options = "--quiet", int seconds = 120) {
  const auto path = write_file("hostile/" + name + ".lua", kHostileHeader + body + "\n");
  return kafkasim("run " + path.string() + " " + options, seconds);
}

// The scenario is refused: exit 2, and the message names file:line and says `needle`.
inline void expect_refused(const std::string& name, const std::string& body, const std::string& needle, int line = 2) {
  const Ran r = run_cli(name, body);
  EXPECT_EQ(r.code, 2) << name << ":\n" << r.out;
  EXPECT_NE(r.out.find(name + ".lua:" + std::to_string(line) + ": "), std::string::npos) << name << ": no file:line in\n" << r.out;
  EXPECT_NE(r.out.find(needle), std::string::npos) << name << ": expected \"" << needle << "\" in\n" << r.out;
}

// Runs a scenario body in this process, under the given limits.
inline sim::lua::RunResult run_limited(const std::string& name, const std::string& body, sim::lua::SandboxLimits limits) {
  sim::lua::RunOptions o;
  o.limits = limits;
  return run_text("hostile/" + name + ".lua", kHostileHeader + body + "\n", o);
}

}  // namespace kafkasim_test
