#include "sim/lua/runtime.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"
#include "sim/check/commits.hpp"
#include "sim/check/explain.hpp"
#include "sim/escape.hpp"
#include "sim/lua/bindings.hpp"
#include "sim/lua/cluster.hpp"

namespace sim::lua {

// The drain a scenario with expectations gets when it names none: long enough for the records
// in flight when the load stops to be acknowledged and replicated, and for consumers to catch
// up with them. Scenarios whose members crash near the end set their own (rejoining waits for
// the session timeout).
constexpr Duration kDefaultDrain = Duration::seconds(10);

const std::vector<std::string>& kafka_versions() {
  static const std::vector<std::string> v = {"2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5",
                                             "3.6", "3.7", "3.8", "3.9", "4.0"};
  return v;
}

namespace {

// Says when a broker auto-creates a topic a client named (once per topic): a misspelt topic
// name in a scenario shows up here instead of as a run that judged nothing.
class AutoCreateLog final : public TraceSink {
 public:
  explicit AutoCreateLog(Runtime& rt) : rt_(rt) {}
  void write(const Event& e) override {
    if (schema::is<kafka::event::ControllerAutoCreateTopic>(e)) log(e);
  }

 private:
  // Apart from write, which every event of the run passes through and which is then only a test.
  [[gnu::noinline]] void log(const Event& e) {
    const auto created = schema::view<kafka::event::ControllerAutoCreateTopic>(e);
    const std::string topic(created.topic);
    const int64_t partitions = created.partitions, rf = created.replication_factor;
    if (!seen_.insert(topic).second) return;
    rt_.log_line(fmt::format("auto-created topic '{}' ({} partition{}, replication factor {}): a client named it and the "
                             "brokers' auto.create.topics.enable is true",
                             topic, partitions, partitions == 1 ? "" : "s", rf));
  }

  Runtime& rt_;
  std::set<std::string> seen_;
};

}  // namespace

Runtime::Runtime(const RunOptions& options)
    : options_(options), sandbox_(options.path.parent_path().empty() ? "." : options.path.parent_path(), options.limits) {
  sandbox_.set_owner(this);
  for (const auto& [k, v] : options_.sets) {
    sets_[k] = v;
    sets_used_[k] = false;
  }
  register_globals();
}

// The Lua state goes first: nothing a script holds may outlive the objects it points to.
Runtime::~Runtime() { sandbox_.close(); }

World& Runtime::world() {
  if (!world_) fail("declare the scenario first: scenario { name = \"...\" } must come before anything else");
  return *world_;
}

void Runtime::log_line(const std::string& text) {
  if (!options_.log) return;
  const std::string when = world_ ? format_time(world_->now()) : "setup";
  *options_.log << fmt::format("[{:>9}] {}\n", when, terminal_text(text));
}

void Runtime::declare(ScenarioInfo info) {
  if (world_) fail("scenario { ... } is declared twice");
  info_ = std::move(info);
  if (options_.seed) info_.seed = *options_.seed;
  world_ = std::make_unique<World>(info_.seed);
  world_->set_paranoid(options_.paranoid);
  world_->set_stall_limit(options_.stall_events);
  for (TraceSink* s : options_.sinks) world_->trace().add_sink(s);
  world_->trace().add_sink(&client_outcomes_);
  auto_create_log_ = std::make_unique<AutoCreateLog>(*this);
  world_->trace().add_sink(auto_create_log_.get());
  // What expectations are judged on, recorded from the first event: what the scenario does
  // before its expect lines (a send as it loads) counts too. Dropped after loading when the
  // scenario declares no expectation.
  history_ = std::make_unique<check::HistorySink>();
  world_->trace().add_sink(history_.get());
  groups_seen_ = std::make_unique<check::GroupSink>();
  world_->trace().add_sink(groups_seen_.get());
  stores_seen_ = std::make_unique<check::StoreSink>();
  world_->trace().add_sink(stores_seen_.get());
  outputs_seen_ = std::make_unique<check::OutputSink>();
  world_->trace().add_sink(outputs_seen_.get());
  timeline_ = std::make_unique<check::TimelineSink>();
  world_->trace().add_sink(timeline_.get());
  sandbox_.set_random(world_->stream("lua:math.random"));
  world_->emit(event::Scenario{.name = info_.name, .seed = info_.seed, .duration = info_.duration, .kafka_version = info_.kafka_version});
}

std::optional<std::string> Runtime::take_param(const std::string& name) {
  param_names_.push_back(name);
  auto it = sets_.find(name);
  if (it == sets_.end()) return std::nullopt;
  sets_used_[name] = true;
  return it->second;
}

void Runtime::schedule(lua_State* L, int idx, Time t, std::optional<Duration> repeat, Time until, const char* what) {
  World& w = world();
  if (t < w.now()) {
    fail(fmt::format("{}: {} is in the past (the simulated clock is at {})", what, format_time(t), format_time(w.now())));
  }
  lua_pushvalue(L, idx);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const auto id = static_cast<uint32_t>(callbacks_.size());
  callbacks_.push_back(Callback{ref, repeat, until, what});
  w.scheduler().at(t, [this, id] { fire(id); });
}

void Runtime::fire(uint32_t id) {
  const Callback cb = callbacks_[id];
  sandbox_.call_ref(cb.ref, cb.what);
  if (cb.repeat) {
    const Time next = world_->now() + *cb.repeat;
    if (next <= cb.until) {
      world_->scheduler().at(next, [this, id] { fire(id); });
      return;
    }
  }
  luaL_unref(L(), LUA_REGISTRYINDEX, cb.ref);
}

void Runtime::register_globals() {
  register_core_globals(L());
  register_testbed(L());
  register_cluster(L());
  register_kafka_library(L());
  sandbox_.seal();
}

namespace {
std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t'\"$\\;&|<>()*?`") == std::string::npos) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out.push_back(c);
  }
  return out + "'";
}
}  // namespace

std::string replay_line(const RunOptions& options, std::optional<uint64_t> seed) {
  std::string replay = "kafkasim run " + quote(options.path.string());
  if (seed) replay += fmt::format(" --seed {}", *seed);
  for (const auto& [k, v] : options.sets) replay += " --set " + quote(k + "=" + v);
  if (options.until) replay += " --until " + format_duration(*options.until);
  return replay;
}

RunResult Runtime::run() {
  RunResult result;
  const std::string display = options_.path.string();  // as the user named it
  auto finish = [&] {
    result.scenario = info_;
    // The seed asked for, even when the scenario failed before declaring its own.
    result.seed = options_.seed.value_or(info_.seed);
    if (world_) {
      result.end_time = world_->now();
      result.events = world_->scheduler().events_run();
      result.trace_events = world_->trace().events();
      result.trace_hash = world_->trace().hash();
      world_->trace().finish();
    }
    result.replay = replay_line(options_, result.seed);
    result.modules = sandbox_.modules();
  };
  try {
    sandbox_.run_file(options_.path, display);
    loading_ = false;
    if (!world_) {
      throw ScenarioError(fmt::format("{}: the file never declares its scenario; start it with scenario {{ name = \"...\" }}", display));
    }
    if (expectations_.empty()) {
      for (TraceSink* s : std::initializer_list<TraceSink*>{history_.get(), groups_seen_.get(), stores_seen_.get(), timeline_.get(),
                                                                  outputs_seen_.get()})
        world_->trace().remove_sink(s);
      history_.reset();
      groups_seen_.reset();
      stores_seen_.reset();
      outputs_seen_.reset();
      timeline_.reset();
    }
    for (const auto& [name, used] : sets_used_) {
      if (!used) {
        throw UsageError(fmt::format("--set {}: the scenario has no param '{}'{}", name, name,
                                     suggestion(name, param_names_)));
      }
    }
    const Time end = Time::zero() + (options_.until ? *options_.until : info_.duration);
    world_->run_until(end);
    if (!info_.drain) info_.drain = expectations_.empty() ? Duration::seconds(0) : kDefaultDrain;
    if (!options_.until && info_.drain->ns > 0) drain();
    judge_expectations(result);
    for (const Check& c : checks_)
      if (!c.held && c.judged) result.exit_code = kExitViolation;
  } catch (const ScenarioError& e) {
    result.exit_code = kExitInvalid;
    result.error = e.what();
  } catch (const UsageError& e) {
    result.exit_code = kExitUsage;
    result.error = e.what();
  } catch (const InvariantViolation& e) {
    result.exit_code = kExitInternal;
    result.error = e.what();
  } catch (const SimulationStalled& e) {
    result.exit_code = kExitInvalid;
    result.error = e.what();
  } catch (const std::bad_alloc&) {
    result.exit_code = kExitInvalid;
    result.error = out_of_memory_message();
  } catch (const std::exception& e) {
    result.exit_code = kExitInternal;
    result.error = std::string("internal error: ") + e.what();
  }
  result.checks = checks_;
  finish();
  return result;
}

void Runtime::expect(Expectation e) {
  world();
  if (!loading_) fail("expect: declare expectations as the scenario loads (at its top level), not in a callback during the run");
  expectations_.push_back(std::move(e));
}

void Runtime::drain() {
  // The heal-and-drain phase: faults end, crashed nodes return, producers stop, and consumers
  // get `drain` to catch up, so that what is still unseen afterwards is lost, not late.
  World& w = *world_;
  drain_started_ = w.now();
  w.emit(event::DrainStart{.drain = *info_.drain});
  log_line("drain: faults healed, crashed nodes restarted, producers stopped");
  w.network().heal();
  for (NodeId id = 0; id < w.node_count(); ++id) {
    if (w.state(id) == NodeState::paused) w.resume(id);
    if (w.state(id) == NodeState::crashed) w.restart(id);
  }
  for (auto& f : drainers_) f(w);
  w.run_until(w.now() + *info_.drain);
  w.emit(event::DrainEnd{});
}

namespace {
// An expect that names a group or producer the scenario never made: an error at its line, with
// the nearest name. Checked when the run ends, since expect comes before the cluster is built.
void check_named(const check::Expectation& e, const char* field, const std::string& name, const std::vector<std::string>& names) {
  if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) return;
  std::string known;
  for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
  throw ScenarioError(fmt::format("{}expect.{}: the scenario has no {} '{}'{} ({}s: {})", e.where, field, field, name,
                                  suggestion(name, names), field, known.empty() ? "none" : known));
}
}  // namespace

void Runtime::judge_expectations(RunResult& result) {
  if (expectations_.empty() || !history_) return;
  std::vector<std::string> groups;
  for (const auto& [id, g] : groups_) groups.push_back(id);
  for (const Expectation& e : expectations_) {
    check_named(e, "group", e.group, groups);
    check_named(e, "producer", e.producer, producers_);
    check_named(e, "store", e.store, stores_);
  }
  check::GroundTruth truth;
  truth.processed = std::move(groups_seen_->processed());
  truth.commits = std::move(groups_seen_->commits());
  truth.recovered = std::move(groups_seen_->recovered());
  truth.jumps = std::move(groups_seen_->jumps());
  truth.resumes = std::move(groups_seen_->resumes());
  truth.member_groups = std::move(groups_seen_->member_groups());
  truth.store_writes = std::move(stores_seen_->writes());
  truth.fenced_txns = history_->fenced();
  truth.outputs = std::move(outputs_seen_->outputs());
  for (auto& f : final_state_) f(truth);
  check::Evidence evidence{history_->history(), {}, &truth, &timeline_->timeline(), groups_, {}};
  evidence.end.cut = options_.until.has_value();
  evidence.end.end_ns = world_->now().ns;
  evidence.end.drain_start_ns = drain_started_ ? drain_started_->ns : -1;
  // Groups subscribe (rebalances move partitions between members); the rule is the one
  // `kafkasim check` applies to a history, so both judge a run's history alike.
  evidence.options.sub_via_subscribe = check::subscribes(history_->history());
  check::Verdict verdict = check::judge(evidence, expectations_);
  result.anomalies = std::move(verdict.anomalies);
  for (check::Judgement& j : verdict.expectations)
    check(std::move(j.name), j.held, std::move(j.detail), std::move(j.explanation), j.judged);
}

void Runtime::check(std::string name, bool held, std::string detail, std::string explanation, bool judged) {
  world().emit(event::Check{.name = name, .held = held, .detail = detail});
  log_line(fmt::format("check {}: {}{}", name, !judged ? "NOT JUDGED" : held ? "held" : "VIOLATED", detail.empty() ? "" : " (" + detail + ")"));
  checks_.push_back(Check{std::move(name), held, std::move(detail), world().now(), std::move(explanation), judged});
}

std::string out_of_memory_message() {
  return "out of memory: the scenario asked the simulator for more memory than this machine has (docs/lua-reference.md "
         "lists the caps on what one run may ask for)";
}

RunResult run_scenario(const RunOptions& options) {
  try {
    auto rt = std::make_unique<Runtime>(options);
    RunResult result = rt->run();
#ifndef __SANITIZE_ADDRESS__
    if (options.skip_teardown) (void)rt.release();
#endif
    return result;
  } catch (const std::bad_alloc&) {
    RunResult r;
    r.exit_code = kExitInvalid;
    r.error = out_of_memory_message();
    return r;
  } catch (const std::exception& e) {
    RunResult r;
    r.exit_code = kExitInternal;
    r.error = std::string("internal error: ") + e.what();
    return r;
  }
}

}  // namespace sim::lua
