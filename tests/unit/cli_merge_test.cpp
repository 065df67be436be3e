// kafkasim merge (sim/cli/merge_command.hpp): the shards of a sweep or a test, each written
// with --json, merge into what one machine running the whole plan prints, writes and exits
// with; results that do not belong together are refused, naming the file and the difference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "scenario_helpers.hpp"

using namespace kafkasim_test;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `text` without the attributes or fields named `key` (times differ from run to run).
std::string without(std::string text, const std::string& open, char close) {
  for (size_t at = text.find(open); at != std::string::npos; at = text.find(open, at)) {
    const size_t end = text.find(close, at + open.size());
    text.erase(at, end - at + 1);
  }
  return text;
}

// What a command printed, without sweep's progress lines ("12/60 seeds, 1 failed"), which go to
// standard error (the helper joins it to standard output).
std::string without_progress(const std::string& out) {
  std::istringstream in(out);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    const size_t slash = line.find('/'), seeds = line.find(" seeds, ");
    const bool progress = slash != std::string::npos && seeds != std::string::npos && slash < seeds && line.ends_with(" failed") &&
                          line.find_first_not_of("0123456789") == slash;
    if (!progress) kept += line + "\n";
  }
  return kept;
}

// test's lines without each PASS line's time: "PASS  file (seed 3, 0.12s)" -> "PASS  file (seed 3)".
std::string without_pass_times(const std::string& out) {
  std::istringstream in(out);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("PASS  ", 0) == 0) {
      const size_t comma = line.rfind(", "), end = line.rfind("s)");
      if (comma != std::string::npos && end != std::string::npos && end > comma) line.erase(comma, end + 1 - comma);
    }
    kept += line + "\n";
  }
  return kept;
}

// A result's JSON without what differs between two runs of the same plan: the wall time and
// each run's seconds.
nlohmann::json comparable(const std::filesystem::path& p) {
  nlohmann::json j = nlohmann::json::parse(read(p));
  j.erase("wall_seconds");
  for (auto& run : j["runs"]) run.erase("seconds");
  return j;
}

const std::string kDice =
    "scenario { name = \"dice\", duration = \"1s\" }\n"
    "check(\"not a one\", math.random(1, 4) ~= 1, \"rolled a one\")\n";

}  // namespace

TEST(CliMerge, ShardsOfASweepMergeIntoWhatOneSweepGives) {
  const std::string s = write_file("merge/sweep/dice.lua", kDice).string();
  const auto d = scratch_dir() / "merge/sweep";
  auto whole = kafkasim(fmt::format("sweep {} --seeds 1..60 -j 2 --json {}/whole.json --junit {}/whole.xml --force 2>/dev/null", s,
                                    d.string(), d.string()));
  ASSERT_EQ(whole.code, 1) << whole.out;
  std::string shards;
  for (int k = 1; k <= 4; ++k) {
    auto r = kafkasim(fmt::format("sweep {} --seeds 1..60 --shard {}/4 --json {}/s{}.json --force 2>/dev/null", s, k, d.string(), k));
    ASSERT_NE(r.code, 64) << r.out;
    shards += fmt::format(" {}/s{}.json", d.string(), k);
  }
  auto merged = kafkasim(fmt::format("merge{} --junit {}/merged.xml --json {}/merged.json --force", shards, d.string(), d.string()));
  EXPECT_EQ(merged.code, whole.code) << merged.out;
  EXPECT_EQ(merged.out, without_progress(whole.out)) << "the same FAIL and replay lines and the same count";
  EXPECT_NE(merged.out.find("FAIL  seed "), std::string::npos);
  EXPECT_EQ(without(read(d / "merged.xml"), " time=\"", '"'), without(read(d / "whole.xml"), " time=\"", '"'));
  EXPECT_NE(read(d / "whole.xml").find("tests=\"60\""), std::string::npos);
  EXPECT_EQ(comparable(d / "merged.json"), comparable(d / "whole.json"));
  // A merged result is a whole one: merged alone, it says the same again.
  auto again = kafkasim(fmt::format("merge {}/merged.json", d.string()));
  EXPECT_EQ(again.code, whole.code);
  EXPECT_EQ(again.out, without_progress(whole.out));
}

TEST(CliMerge, RefusesShardsThatDoNotBelongTogether) {
  const auto s = write_file("merge/refuse/dice.lua", kDice);
  const auto d = scratch_dir() / "merge/refuse";
  const auto shard = [&](int k, const std::string& name, const std::string& seeds = "1..12") {
    auto r = kafkasim(fmt::format("sweep {} --seeds {} --shard {}/3 --json {}/{} --force 2>/dev/null", s.string(), seeds, k, d.string(), name));
    EXPECT_TRUE(r.code == 0 || r.code == 1) << r.out;
    return (d / name).string();
  };
  const std::string s1 = shard(1, "s1.json"), s2 = shard(2, "s2.json"), s3 = shard(3, "s3.json");
  ASSERT_TRUE(kafkasim(fmt::format("merge {} {} {}", s1, s2, s3)).code <= 1);

  auto missing = kafkasim(fmt::format("merge {} {}", s1, s3));
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.out.find("shard 2/3 is missing"), std::string::npos) << missing.out;

  std::filesystem::copy_file(s1, d / "s1-copy.json", std::filesystem::copy_options::overwrite_existing);
  auto twice = kafkasim(fmt::format("merge {} {} {} {}", s1, s2, s3, (d / "s1-copy.json").string()));
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.out.find("shard 1/3 is given twice: " + s1 + " and " + (d / "s1-copy.json").string()), std::string::npos) << twice.out;

  auto other_seeds = kafkasim(fmt::format("merge {} {} {}", s1, s2, shard(3, "s3-seeds.json", "1..13")));
  EXPECT_EQ(other_seeds.code, 2);
  EXPECT_NE(other_seeds.out.find("its seeds are 1..13, not 1..12"), std::string::npos) << other_seeds.out;

  // The scenario edited between shards: its last shard ran another text.
  std::ofstream(s, std::ios::app) << "-- edited\n";
  const std::string edited = shard(3, "s3-edited.json");
  auto other_text = kafkasim(fmt::format("merge {} {} {}", s1, s2, edited));
  EXPECT_EQ(other_text.code, 2);
  EXPECT_NE(other_text.out.find(edited + " does not belong with " + s1), std::string::npos) << other_text.out;
  EXPECT_NE(other_text.out.find("is not the same text"), std::string::npos) << other_text.out;

  // A module the scenario requires is part of its text.
  write_file("merge/module/lib/faces.lua", "return 4\n");
  const auto m = write_file("merge/module/dice.lua", "scenario { name = \"dice\", duration = \"1s\" }\n"
                                                   "check(\"not a one\", math.random(1, require \"lib.faces\") ~= 1, \"a one\")\n");
  const auto md = scratch_dir() / "merge/module";
  kafkasim(fmt::format("sweep {} --seeds 1..4 --shard 1/2 --json {}/m1.json --force 2>/dev/null", m.string(), md.string()));
  write_file("merge/module/lib/faces.lua", "return 6\n");
  kafkasim(fmt::format("sweep {} --seeds 1..4 --shard 2/2 --json {}/m2.json --force 2>/dev/null", m.string(), md.string()));
  auto module = kafkasim(fmt::format("merge {}/m1.json {}/m2.json", md.string(), md.string()));
  EXPECT_EQ(module.code, 2);
  EXPECT_NE(module.out.find("(or a module it requires) is not the same text"), std::string::npos) << module.out;

  // Files that are not results, or results that were tampered with.
  write_file("merge/refuse/broken.json", "{\n  \"format\": \n");
  auto broken = kafkasim("merge " + (d / "broken.json").string());
  EXPECT_EQ(broken.code, 2);
  EXPECT_NE(broken.out.find("broken.json: line 3"), std::string::npos) << broken.out;
  write_file("merge/refuse/other.json", "{\"format\": \"something else\"}");
  auto other = kafkasim("merge " + (d / "other.json").string());
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.out.find("not a kafkasim result"), std::string::npos) << other.out;
  std::string text = read(s2);
  const size_t seed = text.find("\"seed\": ");
  ASSERT_NE(seed, std::string::npos);
  text.replace(seed, 9, "\"seed\": 9");  // run 1 (seed 2) claims seed 9...
  write_file("merge/refuse/tampered.json", text);
  auto tampered = kafkasim(fmt::format("merge {} {} {}", s1, (d / "tampered.json").string(), s3));
  EXPECT_EQ(tampered.code, 2);
  EXPECT_NE(tampered.out.find("has seed 9"), std::string::npos) << tampered.out;

  EXPECT_EQ(kafkasim("merge").code, 64);
  EXPECT_EQ(kafkasim(fmt::format("merge {} {} {} --json {}", s1, s2, s3, s1)).code, 64) << "an output is never an input";
}

TEST(CliMerge, ShardsOfATestMergeIntoWhatOneTestGives) {
  const auto dir = scratch_dir() / "merge/suite";
  std::filesystem::remove_all(dir);
  write_file("merge/suite/good.lua", "scenario { name = \"good\", duration = \"1s\" }\ncheck(\"fine\", true)\n");
  write_file("merge/suite/dice.lua", kDice);
  const std::string d = dir.string();
  auto whole = kafkasim(fmt::format("test {} --seeds 1..12 -j 2 --json {}/whole.json --junit {}/whole.xml", d, d, d));
  ASSERT_EQ(whole.code, 1) << whole.out;
  for (int k = 1; k <= 3; ++k) {
    auto r = kafkasim(fmt::format("test {} --seeds 1..12 --shard {}/3 --json {}/t{}.json", d, k, d, k));
    ASSERT_NE(r.code, 64) << r.out;
  }
  auto merged = kafkasim(fmt::format("merge {}/t1.json {}/t2.json {}/t3.json --junit {}/merged.xml", d, d, d, d));
  EXPECT_EQ(merged.code, whole.code);
  // PASS lines give each run's time.
  EXPECT_EQ(without_pass_times(merged.out), without_pass_times(whole.out)) << merged.out << "\n---\n" << whole.out;
  EXPECT_NE(merged.out.find("PASS  "), std::string::npos);
  EXPECT_NE(merged.out.find("passed, "), std::string::npos);
  EXPECT_EQ(without(read(dir / "merged.xml"), " time=\"", '"'), without(read(dir / "whole.xml"), " time=\"", '"'));
  EXPECT_NE(read(dir / "whole.xml").find("tests=\"24\""), std::string::npos);
}
