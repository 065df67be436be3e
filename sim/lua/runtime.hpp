#pragma once
// Runs one scenario file for one seed: declares the scenario, builds the world, schedules the
// script's callbacks and runs simulated time to the end. The CLI and the tests both drive it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "sim/check/history_sink.hpp"
#include "sim/check/client_outcomes.hpp"
#include "sim/check/timeline.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/verdict.hpp"
#include "sim/lua/errors.hpp"
#include "sim/lua/object.hpp"
#include "sim/lua/sandbox.hpp"
#include "sim/world.hpp"

namespace sim::lua {

// Kafka releases whose defaults a scenario may ask for.
const std::vector<std::string>& kafka_versions();

struct ScenarioInfo {
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Duration duration = Duration::seconds(60);
  // The heal-and-drain phase after `duration`; unset: 10 s when the scenario declares
  // expectations (they are judged after it), none otherwise.
  std::optional<Duration> drain;
  std::string kafka_version = "3.9";
};

struct RunOptions {
  std::filesystem::path path;
  std::optional<uint64_t> seed;                             // overrides the scenario's seed
  std::vector<std::pair<std::string, std::string>> sets;    // --set name=value
  std::optional<Duration> until;                            // stop simulated time here
  bool paranoid = false;
  uint64_t stall_events = World::kStallEvents;              // events at one instant before the run is stalled
  std::ostream* log = nullptr;                              // note()/log() lines; null = quiet
  std::vector<TraceSink*> sinks;                            // extra trace sinks
  SandboxLimits limits;
  // Leave the run's state to the process's exit instead of freeing it: a process that ends
  // after one run (the CLI) need not free a million log records one by one. Ignored in
  // AddressSanitizer builds, which check that everything is freed.
  bool skip_teardown = false;
};

// The outcome of one check(name, ok, detail) call in the scenario.
struct Check {
  std::string name;
  bool held = true;
  std::string detail;
  Time at;
  std::string explanation;  // how a violation came about, in plain language (sim/check/explain.hpp)
  // False for an expectation the run could not judge (liveness without a drain, a group still
  // progressing when the drain ended): held is false too, but it is no violation.
  bool judged = true;
};

struct RunResult {
  int exit_code = kExitOk;
  std::string error;  // set when exit_code is 2, 64 or 70
  ScenarioInfo scenario;
  uint64_t seed = 0;
  Time end_time;
  uint64_t events = 0;        // scheduler events run
  uint64_t trace_events = 0;
  uint64_t trace_hash = 0;
  std::string replay;         // the command line that replays this run
  std::vector<std::filesystem::path> modules;  // the files the scenario required: inputs too
  std::vector<Check> checks;
  // Anomalies in the run's history (when the scenario declared expectations).
  std::optional<check::CheckResult> anomalies;
};

RunResult run_scenario(const RunOptions& options);
// The command line that replays a run of `options` (with `seed`, when known).
std::string replay_line(const RunOptions& options, std::optional<uint64_t> seed);
// What a run that ran out of the machine's memory says (exit code 2).
std::string out_of_memory_message();

// The state behind the Lua globals during one run. Bindings reach it with Runtime::of(L).
class Runtime {
 public:
  explicit Runtime(const RunOptions& options);
  ~Runtime();

  static Runtime& of(lua_State* L) { return *static_cast<Runtime*>(Sandbox::owner(L)); }

  // The world exists once scenario { ... } has been declared.
  World& world();
  bool declared() const { return world_ != nullptr; }
  const ScenarioInfo& info() const { return info_; }
  Sandbox& sandbox() { return sandbox_; }
  lua_State* L() { return sandbox_.state(); }

  // Takes ownership of a handle's object and pushes its userdata onto L (the calling thread's
  // stack: a binding may be called from a coroutine).
  template <typename T>
  T& adopt(lua_State* L, std::unique_ptr<T> obj, const char* metatable) {
    T& ref = *obj;
    objects_.push_back(std::move(obj));
    push_object(L, &ref, metatable);
    return ref;
  }

  // Schedules the Lua function at index idx of L's stack to run at t (and then every `repeat`
  // until `until`, when repeat is set).
  void schedule(lua_State* L, int idx, Time t, std::optional<Duration> repeat, Time until, const char* what);
  void log_line(const std::string& text);

  void declare(ScenarioInfo info);
  // --set values by name; param() marks the ones it consumed.
  std::optional<std::string> take_param(const std::string& name);
  std::vector<std::string>& param_names() { return param_names_; }

  RunResult run();
  // Records a check's outcome; a violated check makes the run's exit code 1.
  void check(std::string name, bool held, std::string detail, std::string explanation = {}, bool judged = true);

  // Expectations, judged against the run's history at the end (after the drain phase).
  using Expectation = check::Expectation;
  void expect(Expectation e);
  // Things the drain phase stops (producers' load generators).
  void on_drain(std::function<void(World&)> f) { drainers_.push_back(std::move(f)); }
  // Consumer groups and the topics they read, for delivery expectations.
  // A consumer group and its topics; `commits_after_processing` when its commit policy promises
  // at-least-once (every policy but before-process), so that its commits are checked.
  // `read_committed` when its isolation.level is read_committed.
  void register_group(std::string id, std::set<std::string> topics, bool commits_after_processing, bool read_committed = false) {
    groups_[std::move(id)] = check::GroupUnderTest{std::move(topics), commits_after_processing, read_committed};
  }
  // What the scenario's producers and groups saw (p:acked(), g:stats()), from the trace.
  check::ClientOutcomes& client_outcomes() { return client_outcomes_; }
  // A producer's name, which is its process in the history, for `expect { producer = ... }`.
  void register_producer(std::string id) { producers_.push_back(std::move(id)); }
  // A store's name, for `expect { store = ... }`.
  void register_store(std::string name) { stores_.push_back(std::move(name)); }
  bool has_cluster() const { return has_cluster_; }
  void set_has_cluster() { has_cluster_ = true; }
  // Fills the final replica logs into the ground truth at the end of the run.
  void on_final_state(std::function<void(check::GroundTruth&)> f) { final_state_.push_back(std::move(f)); }

 private:
  struct Callback {
    int ref;
    std::optional<Duration> repeat;
    Time until;
    const char* what;
  };
  void fire(uint32_t callback);
  void register_globals();

  RunOptions options_;
  Sandbox sandbox_;
  ScenarioInfo info_;
  check::ClientOutcomes client_outcomes_;  // before the world: its nodes' factories refer to it
  std::unique_ptr<World> world_;
  std::vector<std::unique_ptr<LuaObject>> objects_;
  std::vector<Callback> callbacks_;
  std::map<std::string, std::string> sets_;
  std::map<std::string, bool> sets_used_;
  std::vector<std::string> param_names_;
  std::vector<Check> checks_;
  std::vector<Expectation> expectations_;
  std::unique_ptr<check::HistorySink> history_;
  std::vector<std::function<void(World&)>> drainers_;
  std::optional<Time> drain_started_;  // when the heal-and-drain phase began, if it did
  std::map<std::string, check::GroupUnderTest> groups_;
  std::vector<std::string> producers_;  // in creation order
  std::vector<std::string> stores_;     // in creation order
  std::vector<std::function<void(check::GroundTruth&)>> final_state_;
  bool has_cluster_ = false;
  bool loading_ = true;  // the scenario file is still running (expectations belong there)
  std::unique_ptr<TraceSink> auto_create_log_;
  std::unique_ptr<check::GroupSink> groups_seen_;
  std::unique_ptr<check::StoreSink> stores_seen_;  // every write the stores applied
  std::unique_ptr<check::OutputSink> outputs_seen_;  // handlers' sends and transactions, for exactly_once
  std::unique_ptr<check::TimelineSink> timeline_;  // what the cluster did, for explanations
  void drain();
  void judge_expectations(RunResult& result);
};

}  // namespace sim::lua
