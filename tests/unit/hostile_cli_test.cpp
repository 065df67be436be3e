// The command line's promises about outputs and exit codes (docs/cli.md), held against runs that
// end abruptly and against a machine that refuses to write.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hostile_helpers.hpp"
#include "sim/cli/child_runs.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/emergency.hpp"

using namespace kafkasim_test;
using sim::lua::RunOptions;
using sim::lua::RunResult;

TEST(HostileCli, AChildsEmergencyExitLeavesTheParentsOutputs) {
  // test opens --junit before it forks its runs; a run whose watchdog ends its process must not
  // remove the parent's temporary on its way out.
  const auto target = scratch_dir() / "parent_output.xml";
  std::filesystem::remove(target);
  sim::cli::OutputFile out("--junit", target.string(), false);
  ASSERT_TRUE(out.ok()) << out.error();
  out.stream() << "kept\n";
  std::vector<RunOptions> runs(1);
  runs[0].path = "scenarios/stuck.lua";
  runs[0].seed = 1;
  sim::cli::ChildRuns children(1, 0, [](const RunOptions&) -> RunResult {
    sim::emergency_exit(2, "error: CPU time limit exceeded (as the watchdog ends a stuck call)\n");
  });
  sim::cli::RunReport report;
  children.run(runs.size(), [&](size_t i) { return runs[i]; }, [&](size_t, const sim::cli::RunReport& r) {
    report = r;
    return true;
  });
  // The run is reported for what it was, though its report died with it.
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_NE(report.failure.find("CPU time limit exceeded"), std::string::npos) << report.failure;
  EXPECT_EQ(report.replay, "kafkasim run scenarios/stuck.lua --seed 1");
  EXPECT_TRUE(out.commit()) << out.error();
  std::ifstream in(target);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "kept");
}

TEST(HostileCli, AJunitFileThatCannotBeWrittenIsExit74) {
  // /dev/full takes the file but fails every write, as a full disk does.
  const Ran r = kafkasim("test " + source_path("scenarios/kernel_demo.lua").string() + " --junit /dev/full", 120);
  EXPECT_EQ(r.code, 74) << r.out;
  EXPECT_NE(r.out.find("--junit /dev/full: writing it failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 passed, 0 failed"), std::string::npos) << "the runs are still reported:\n" << r.out;
}

namespace {

// What a shell command printed (standard output and error together) and its exit code.
Ran shell(const std::string& command) {
  FILE* p = popen(("sh -c '" + command + "' 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The files in dir whose names begin with `prefix` (an output's temporaries: ".NAME.").
std::vector<std::string> files_named(const std::filesystem::path& dir, const std::string& prefix) {
  std::vector<std::string> found;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path().string());
  return found;
}

// A scenario that takes a second or so of wall time: five callbacks that each count to 5e7.
std::filesystem::path slow_scenario() {
  return write_file("hostile/slow.lua",
                    "scenario { name = \"slow\", duration = \"1s\" }\n"
                    "for k = 1, 5 do at(k * 100, function() for i = 1, 5e7 do end end) end\n");
}

}  // namespace

TEST(HostileCli, ASignalLeavesNoTemporaryBehind) {
  const auto dir = scratch_dir() / "signals";
  std::filesystem::create_directories(dir);
  // A closed pipe: the trace goes to head, which stops reading; SIGPIPE ends kafkasim.
  const Ran piped = kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --trace - --json " +
                             (dir / "piped.json").string() + " | head -c 100 >/dev/null");
  EXPECT_TRUE(files_named(dir, ".piped.json.").empty()) << piped.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "piped.json"));
  // A kill while the run goes on: the process still dies of SIGTERM (143 in the shell).
  const std::string trace = (dir / "killed.trace").string();
  const Ran killed = shell(std::string(KAFKASIM_BINARY) + " run " + slow_scenario().string() + " --quiet --trace " + trace +
                           " & pid=$!; until ls " + dir.string() + "/.killed.trace.* >/dev/null 2>&1; do sleep 0.01; done; "
                           "kill -TERM $pid; wait $pid; echo status $?");
  EXPECT_NE(killed.out.find("status 143"), std::string::npos) << killed.out;
  EXPECT_TRUE(files_named(dir, ".killed.trace.").empty()) << killed.out;
}

TEST(HostileCli, AFileThatAppearsDuringTheRunIsNotReplacedWithoutForce) {
  const auto dir = scratch_dir() / "appears";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto target = dir / "late.trace";
  Ran ran{};
  std::thread run([&] { ran = kafkasim("run " + slow_scenario().string() + " --quiet --trace " + target.string()); });
  for (int i = 0; i < 3000 && files_named(dir, ".late.trace.").empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  { std::ofstream(target) << "theirs\n"; }  // a parallel run's, say
  run.join();
  EXPECT_EQ(ran.code, 74) << ran.out;
  EXPECT_NE(ran.out.find("--trace " + target.string() + ": a file appeared there during the run"), std::string::npos) << ran.out;
  std::ifstream in(target);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "theirs");
  EXPECT_TRUE(files_named(dir, ".late.trace.").empty());
  // A symlink to nothing is a file there too; --force replaces the link, never what it names.
  const auto link = dir / "dangling.trace";
  std::filesystem::create_symlink(dir / "nowhere", link);
  const std::string run_demo = "run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --trace " + link.string();
  const Ran refused = kafkasim(run_demo);
  EXPECT_EQ(refused.code, 64) << refused.out;
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(kafkasim(run_demo + " --force").code, 0);
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::symlink_status(link)));
  EXPECT_FALSE(std::filesystem::exists(dir / "nowhere"));
}

TEST(HostileCli, HistoryOpIdsThatCouldOverflowAreRefused) {
  for (const std::string id : {"9223372036854775807", "18446744073709551615", "9007199254740992", "-1"}) {
    const auto h = write_file("hostile/op_id.jsonl", "{\"op\":" + id + ",\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n"
                                                     "{\"process\":1,\"type\":\"invoke\",\"f\":\"poll\"}\n");
    const Ran r = kafkasim("check " + h.string());
    EXPECT_EQ(r.code, 2) << id << "\n" << r.out;
    EXPECT_NE(r.out.find("operation 1: \"op\" is the id of the invocation, a whole number from 0 to 9007199254740991"),
              std::string::npos)
        << r.out;
  }
  const auto top = write_file("hostile/op_id_top.jsonl", "{\"op\":9007199254740991,\"process\":0,\"type\":\"invoke\",\"f\":\"poll\"}\n"
                                                         "{\"process\":1,\"type\":\"invoke\",\"f\":\"poll\"}\n");
  EXPECT_NE(kafkasim("check " + top.string()).code, 2);
}

TEST(HostileCli, SweepsAndSuitesHoldOnlyTheRunsInFlight) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves far more address space than the limit below";
#endif
  // Ten million seeds, the most a sweep takes, under 1 GB of address space: the seeds' options
  // are made as each run starts. The first seed fails and the sweep stops there.
  const auto failing = write_file("hostile/fails_at_once.lua", "scenario { name = \"fails\", duration = \"1s\" }\ncheck(\"x\", false)\n");
  const Ran sweep = shell("ulimit -v 1000000; " + std::string(KAFKASIM_BINARY) + " sweep " + failing.string() +
                          " --seeds 0..9999999 -j 1 --stop-on-first 2>/dev/null");
  EXPECT_EQ(sweep.code, 1) << sweep.out;
  EXPECT_NE(sweep.out.find("stopped at the first failure; 9999999 seeds not run"), std::string::npos) << sweep.out;
  // test counts runs over every scenario it was given.
  write_file("hostile_many/a.lua", "scenario { name = \"a\", duration = \"1s\" }\n");
  write_file("hostile_many/b.lua", "scenario { name = \"b\", duration = \"1s\" }\n");
  const Ran suite = kafkasim("test " + (scratch_dir() / "hostile_many").string() + " --seeds 0..5999999", 30);
  EXPECT_EQ(suite.code, 64) << suite.out.substr(0, 500);
  EXPECT_NE(suite.out.find("2 scenarios with 6000000 seeds each: at most 10000000 runs in one command"), std::string::npos)
      << suite.out.substr(0, 500);
}

TEST(HostileCli, ASweepSaysWhenASeedCouldNotBeJudged) {
  // As test does: an invalid scenario is exit 2, not a violation.
  const auto bad = write_file("hostile/sweep_invalid.lua", "scenario { name = \"bad\", duration = \"1s\" }\nlocal x = nil + 1\n");
  const Ran r = kafkasim("sweep " + bad.string() + " --seeds 1..2 -j 1 2>/dev/null");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("0 passed, 2 failed"), std::string::npos) << r.out;
  const auto violated = write_file("hostile/sweep_violated.lua", "scenario { name = \"v\", duration = \"1s\" }\ncheck(\"x\", false)\n");
  EXPECT_EQ(kafkasim("sweep " + violated.string() + " --seeds 1..2 -j 1 2>/dev/null").code, 1);
}

TEST(HostileCli, NoOutputReplacesAModuleTheScenarioRequires) {
  const auto module = write_file("modules_in/helper.lua", "return { x = 1 }\n");
  const auto scenario = write_file("modules_in/uses.lua", "scenario { name = \"uses\", duration = \"1s\" }\n"
                                                          "local h = require \"helper\"\ncheck(\"x\", h.x == 1)\n");
  const Ran r = kafkasim("run " + scenario.string() + " --quiet --force --trace " + module.string());
  EXPECT_EQ(r.code, 64) << r.out;
  EXPECT_NE(r.out.find("--trace " + module.string() + ": that is an input of this command"), std::string::npos) << r.out;
  std::ifstream in(module);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "return { x = 1 }");
  EXPECT_TRUE(files_named(module.parent_path(), ".helper.lua.").empty());
}
