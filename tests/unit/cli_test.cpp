// The kafkasim binary: exit codes and the run summary.
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <cstdio>
#include <sys/wait.h>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {
struct Ran {
  int code;
  std::string out;
};

Ran kafkasim(const std::string& args) {
  const std::string cmd = std::string(KAFKASIM_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
}  // namespace

TEST(Cli, VersionAndHelp) {
  auto v = kafkasim("version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("kafkasim 0."), std::string::npos);
  auto h = kafkasim("help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("run"), std::string::npos);
}

TEST(Cli, UsageErrorsExit64) {
  EXPECT_EQ(kafkasim("").code, 64);
  EXPECT_EQ(kafkasim("frobnicate").code, 64);
  EXPECT_EQ(kafkasim("run").code, 64);
  EXPECT_EQ(kafkasim("run /no/such/file.lua").code, 64);
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --until soon").code, 64);
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --set nope=1").code, 64);
}

TEST(Cli, RunPrintsTheSummaryAndReplayLine) {
  auto r = kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --seed 5 --quiet --until 3s");
  EXPECT_EQ(r.code, 0) << r.out;
  for (const char* line : {"scenario   Kernel demo", "seed       5", "simulated  3s", "events     ", "events/s",
                           "trace      ", "hash ", "replay     kafkasim run "}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " missing in:\n" << r.out;
  }
  EXPECT_NE(r.out.find("--seed 5 --until 3s"), std::string::npos);
}

TEST(Cli, InvalidScenarioExits2WithFileAndLine) {
  const auto path = write_file("cli_bad.lua", "scenario { name = \"x\" }\nlocal t = testbed { nodes = 0 }\n");
  auto r = kafkasim("run " + path.string() + " --quiet");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("cli_bad.lua:2: testbed.nodes"), std::string::npos) << r.out;
}

TEST(Cli, TraceFileIsWrittenAndNeverOverwrittenWithoutForce) {
  const auto trace = scratch_dir() / "cli_trace.jsonl";
  std::filesystem::remove(trace);
  const std::string run = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 2s --trace " + trace.string();
  ASSERT_EQ(kafkasim(run).code, 0);
  ASSERT_TRUE(std::filesystem::exists(trace));
  const auto size = std::filesystem::file_size(trace);
  EXPECT_GT(size, 1000u);
  auto again = kafkasim(run);
  EXPECT_EQ(again.code, 64);
  EXPECT_NE(again.out.find("--force"), std::string::npos);
  EXPECT_EQ(kafkasim(run + " --force").code, 0);
  for (const auto& e : std::filesystem::directory_iterator(scratch_dir()))
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << "no temporary file is left behind";
}

TEST(Cli, HistoryFileHoldsEveryOperation) {
  const auto history = scratch_dir() / "cli_history.jsonl";
  std::filesystem::remove(history);
  auto r = kafkasim("run " + source_path("scenarios/quickstart.lua").string() + " --quiet --until 3s --history " + history.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("history    "), std::string::npos);
  std::ifstream in(history);
  std::string line;
  int invokes = 0, oks = 0;
  while (std::getline(in, line)) {
    invokes += line.find("\"type\":\"invoke\"") != std::string::npos;
    oks += line.find("\"type\":\"ok\"") != std::string::npos;
    EXPECT_EQ(line.front(), '{');
  }
  EXPECT_GT(invokes, 1000);
  EXPECT_GT(oks, 1000);
  EXPECT_LE(oks, invokes) << "every completion has an invocation";
  EXPECT_EQ(kafkasim("run " + source_path("scenarios/quickstart.lua").string() + " --quiet --until 1s --history " + history.string()).code, 64)
      << "an existing file is not overwritten without --force";
}
