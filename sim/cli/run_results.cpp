#include "sim/cli/run_results.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sim/cli/run_outcome.hpp"
#include "sim/hash.hpp"

namespace sim::cli {

namespace {

constexpr const char* kFormat = "kafkasim-results/1";
constexpr const char* kVersion = "0.1.0";

std::string hex(uint64_t v) { return fmt::format("{:016x}", v); }

std::optional<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The modules a Lua text requires by a literal name: require "x", require 'x', require("x").
std::vector<std::string> required_modules(const std::string& text) {
  std::vector<std::string> out;
  for (size_t at = text.find("require"); at != std::string::npos; at = text.find("require", at + 7)) {
    size_t i = at + 7;
    while (i < text.size() && (text[i] == ' ' || text[i] == '(' || text[i] == '\t')) ++i;
    if (i >= text.size() || (text[i] != '"' && text[i] != '\'')) continue;
    const size_t end = text.find(text[i], i + 1);
    if (end == std::string::npos) continue;
    out.push_back(text.substr(i + 1, end - i - 1));
  }
  return out;
}

// The sandbox's rule (sim/lua/sandbox.cpp): "lib.x" is lib/x.lua beside the scenario.
std::filesystem::path module_path(const std::filesystem::path& dir, std::string name) {
  for (char& c : name)
    if (c == '.') c = '/';
  return dir / (name + ".lua");
}

uint64_t field_u64(const nlohmann::json& j, const char* key) { return j.at(key).get<uint64_t>(); }

}  // namespace

const Build& this_build() {
  static const Build build = [] {
    StreamHash h;
    if (auto self = read_file("/proc/self/exe")) h.bytes(*self);
    return Build{kVersion, hex(h.value())};
  }();
  return build;
}

std::string scenario_digest(const std::string& path) {
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  StreamHash h;
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::filesystem::path>> todo{{"", path}};
  while (!todo.empty()) {
    auto [name, file] = todo.back();
    todo.pop_back();
    h.bytes(name);
    const auto text = read_file(file);
    h.word(text ? 1 : 0);
    if (!text) continue;
    h.bytes(*text);
    auto modules = required_modules(*text);
    // Depth first, each module once, in the order the texts name them.
    for (auto it = modules.rbegin(); it != modules.rend(); ++it)
      if (seen.insert(*it).second) todo.emplace_back(*it, module_path(dir, *it));
  }
  return hex(h.value());
}

std::optional<std::pair<uint64_t, uint64_t>> parse_shard(const std::string& text) {
  const auto parts = split(text, '/');
  const auto k = parts.size() == 2 ? parse_seed(parts[0]) : std::nullopt;
  const auto n = parts.size() == 2 ? parse_seed(parts[1]) : std::nullopt;
  if (!k || !n || *k < 1 || *k > *n || *n > kMaxSeeds) return std::nullopt;
  return std::make_pair(*k - 1, *n);
}

uint64_t share_size(uint64_t runs, uint64_t shard, uint64_t shards) {
  return runs > shard ? (runs - shard + shards - 1) / shards : 0;
}

std::string ResultPlan::differs_from(const ResultPlan& o) const {
  if (command != o.command) return fmt::format("it is a {} result, not a {} one", o.command, command);
  if (build != o.build)
    return fmt::format("it was written by another build of kafkasim ({} {}, not {} {})", o.build.version, o.build.digest, build.version,
                       build.digest);
  if (files.size() != o.files.size()) return fmt::format("it ran {} scenario files, not {}", o.files.size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].path != o.files[i].path) return fmt::format("its scenario {} is {}, not {}", i + 1, o.files[i].path, files[i].path);
    if (files[i].digest != o.files[i].digest)
      return fmt::format("its scenario {} (or a module it requires) is not the same text (digest {}, not {})", files[i].path,
                         o.files[i].digest, files[i].digest);
  }
  const auto range = [](const auto& s) { return s ? fmt::format("{}..{}", s->first, s->second) : std::string("each scenario's own"); };
  if (seeds != o.seeds) return fmt::format("its seeds are {}, not {}", range(o.seeds), range(seeds));
  if (sets != o.sets) return "its --set params differ";
  if (timeout != o.timeout) return fmt::format("its --timeout is {} s, not {} s", o.timeout, timeout);
  if (shards != o.shards) return fmt::format("it is a share of {} shards, not {}", o.shards, shards);
  return {};
}

std::string RunResults::to_json() const {
  using Json = nlohmann::ordered_json;
  Json files = Json::array();
  for (const auto& f : plan.files) files.push_back({{"path", f.path}, {"digest", f.digest}});
  Json runs_json = Json::array();
  for (const ResultRun& run : runs) {
    const RunReport& r = run.report;
    const Verdict v = verdict_of(r);
    Json j{{"index", run.index}, {"seed", r.seed}};
    j["outcome"] = r.end == RunReport::End::timed_out ? "timeout"
                   : r.end == RunReport::End::crashed ? "crashed"
                   : v == Verdict::passed             ? "passed"
                   : v == Verdict::failed             ? "failed"
                                                      : "error";
    j["exit_code"] = r.exit_code;
    j["seconds"] = r.seconds;
    if (!r.scenario.empty()) j["scenario"] = r.scenario;
    if (!r.kinds.empty()) j["kinds"] = r.kinds;
    if (!r.failure.empty()) j["failure"] = r.failure;
    if (!r.replay.empty() && v != Verdict::passed) j["replay"] = r.replay;
    if (!r.not_judged.empty()) j["not_judged"] = r.not_judged;
    runs_json.push_back(std::move(j));
  }
  Json out{{"format", kFormat},
           {"command", plan.command},
           {"kafkasim", {{"version", plan.build.version}, {"build", plan.build.digest}}},
           {"files", std::move(files)},
           {"seeds", plan.seeds ? Json::array({plan.seeds->first, plan.seeds->second}) : Json(nullptr)},
           {"sets", plan.sets},
           {"timeout_seconds", plan.timeout},
           {"shard", Json::array({shard + 1, plan.shards})},
           {"runs_in_plan", plan.runs()},
           {"stopped", stopped},
           {"wall_seconds", wall_seconds},
           {"runs", std::move(runs_json)}};
  return out.dump(1) + "\n";
}

std::optional<RunResults> RunResults::parse(const std::string& text, std::string& error) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // The byte nlohmann names, as a line and column.
    size_t line = 1, column = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i, ++column)
      if (text[i] == '\n') ++line, column = 0;
    error = fmt::format("line {}, column {}: not JSON ({})", line, column, e.what());
    return std::nullopt;
  }
  try {
    if (!j.is_object() || j.value("format", "") != kFormat)
      throw std::invalid_argument(fmt::format("not a kafkasim result (its \"format\" is not \"{}\")", kFormat));
    RunResults r;
    ResultPlan& p = r.plan;
    p.command = j.at("command").get<std::string>();
    if (p.command != "sweep" && p.command != "test") throw std::invalid_argument("\"command\" is neither sweep nor test");
    p.build = {j.at("kafkasim").at("version").get<std::string>(), j.at("kafkasim").at("build").get<std::string>()};
    for (const auto& f : j.at("files")) p.files.push_back({f.at("path").get<std::string>(), f.at("digest").get<std::string>()});
    if (p.files.empty() || (p.command == "sweep" && p.files.size() != 1))
      throw std::invalid_argument("\"files\" must name the scenario files run (a sweep: one)");
    if (!j.at("seeds").is_null()) {
      const auto& s = j.at("seeds");
      if (!s.is_array() || s.size() != 2) throw std::invalid_argument("\"seeds\" is [first, last] or null");
      p.seeds = std::make_pair(s[0].get<uint64_t>(), s[1].get<uint64_t>());
      if (p.seeds->first > p.seeds->second || p.seeds->second - p.seeds->first >= kMaxSeeds)
        throw std::invalid_argument("\"seeds\" is not a range a command runs");
    } else if (p.command == "sweep") {
      throw std::invalid_argument("a sweep's \"seeds\" is [first, last]");
    }
    p.sets = j.at("sets").get<std::vector<std::string>>();
    p.timeout = j.at("timeout_seconds").get<double>();
    const auto& shard = j.at("shard");
    if (!shard.is_array() || shard.size() != 2) throw std::invalid_argument("\"shard\" is [K, N]");
    const uint64_t k = shard[0].get<uint64_t>(), n = shard[1].get<uint64_t>();
    if (k < 1 || k > n || n > kMaxSeeds) throw std::invalid_argument("\"shard\" is [K, N] with 1 <= K <= N");
    r.shard = k - 1;
    p.shards = n;
    if (p.runs() > kMaxSeeds) throw std::invalid_argument("its plan has more runs than a command runs");
    if (field_u64(j, "runs_in_plan") != p.runs())
      throw std::invalid_argument(fmt::format("\"runs_in_plan\" is {}, but its files and seeds make {}", field_u64(j, "runs_in_plan"), p.runs()));
    r.stopped = j.at("stopped").get<bool>();
    r.wall_seconds = j.at("wall_seconds").get<double>();
    const uint64_t expected = share_size(p.runs(), r.shard, p.shards);
    for (const auto& run : j.at("runs")) {
      ResultRun out;
      out.index = field_u64(run, "index");
      if (out.index >= p.runs() || out.index % p.shards != r.shard)
        throw std::invalid_argument(fmt::format("run {} is not one of shard {}/{}'s", out.index, k, n));
      if (!r.runs.empty() && out.index <= r.runs.back().index)
        throw std::invalid_argument(fmt::format("run {} is listed out of order or twice", out.index));
      RunReport& rep = out.report;
      rep.seed = field_u64(run, "seed");
      const uint64_t in_file = out.index % p.per_file();
      if (p.seeds && rep.seed != p.seeds->first + in_file)
        throw std::invalid_argument(fmt::format("run {} has seed {}, not {}", out.index, rep.seed, p.seeds->first + in_file));
      const std::string outcome = run.at("outcome").get<std::string>();
      rep.end = outcome == "timeout" ? RunReport::End::timed_out : outcome == "crashed" ? RunReport::End::crashed : RunReport::End::finished;
      rep.exit_code = run.at("exit_code").get<int>();
      rep.seconds = run.at("seconds").get<double>();
      rep.scenario = run.value("scenario", "");
      rep.kinds = run.value("kinds", std::vector<std::string>{});
      rep.failure = run.value("failure", "");
      rep.replay = run.value("replay", "");
      rep.not_judged = run.value("not_judged", "");
      const Verdict v = verdict_of(rep);
      const bool agrees = outcome == "timeout" || outcome == "crashed" || (outcome == "passed" && v == Verdict::passed) ||
                          (outcome == "failed" && v == Verdict::failed) || (outcome == "error" && v == Verdict::error);
      if (!agrees) throw std::invalid_argument(fmt::format("run {}: outcome {} does not go with exit code {}", out.index, outcome, rep.exit_code));
      r.runs.push_back(std::move(out));
    }
    if (r.runs.size() > expected || (!r.stopped && r.runs.size() != expected))
      throw std::invalid_argument(fmt::format("shard {}/{} of {} runs holds {}, but it has {}{}", k, n, p.runs(), expected, r.runs.size(),
                                              r.stopped ? "" : " (and it did not stop early)"));
    return r;
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace sim::cli
