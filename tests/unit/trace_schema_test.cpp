// The trace's schema (broker_model/trace_schema.hpp) against what runs emit: every scenario's
// JSON Lines trace validates, every kind the checker reads is emitted by some scenario, the
// validator rejects what it should, and docs/trace.md is the reference the schema prints.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "broker_model/trace_schema.hpp"
#include "scenario_helpers.hpp"
#include "sim/check/history_sink.hpp"
#include "sim/check/timeline.hpp"
#include "sim/check/trace_validation.hpp"
#include "sim/cli/trace_reference.hpp"

using namespace kafkasim_test;

namespace {

// Validates each event as the JSON line the trace file would hold. A long run validates the
// first kPerKind events of each kind: past that, its events come from the same emitters.
class ValidatingSink final : public sim::TraceSink {
 public:
  static constexpr int kPerKind = 20000;
  void write(const sim::Event& e) override {
    int& n = seen_[std::string(e.kind)];
    if (++n > kPerKind) return;
    line_.clear();
    sim::format_event_json(e, line_);
    std::string error = check::validate_trace_line(line_);
    if (!error.empty() && errors_.size() < 10) errors_.push_back(error + "\n    in " + line_);
  }
  const std::map<std::string, int>& seen() const { return seen_; }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::map<std::string, int> seen_;
  std::vector<std::string> errors_;
  std::string line_;
};

struct Run {
  std::string name;
  std::filesystem::path path;
  std::optional<uint64_t> seed;
};

std::vector<Run> every_scenario() {
  std::vector<Run> runs;
  for (const char* dir : {"scenarios", "tests/scenarios"}) {
    for (const std::string& name : scenario_files(dir, /*with_bench=*/true)) {
      const auto f = source_path(name);
      if (std::string_view(dir) == "tests/scenarios") {
        for (uint64_t seed = 1; seed <= 3; ++seed) runs.push_back({name + ":" + std::to_string(seed), f, seed});
      } else {
        runs.push_back({name, f, std::nullopt});
      }
    }
  }
  return runs;
}

struct Coverage {
  std::set<std::string> kinds;                          // emitted by some scenario
  std::map<std::string, std::vector<std::string>> errors;  // scenario -> what did not validate
  std::map<std::string, std::string> failed;             // scenario -> why it did not run
};

// Runs every scenario of scenarios/ and tests/scenarios (seeds 1 to 3), validating as it goes.
Coverage run_every_scenario() {
  Coverage out;
  for (const Run& run : every_scenario()) {
    ValidatingSink sink;
    sim::lua::RunOptions o;
    o.path = run.path;
    o.seed = run.seed;
    o.sinks = {&sink};
    const auto r = sim::lua::run_scenario(o);
    // Exit code 1 is a run that found what its scenario shows; 2 and above did not run through.
    if (r.exit_code >= 2) out.failed[run.name] = r.error.empty() ? "exit code " + std::to_string(r.exit_code) : r.error;
    for (const auto& [kind, n] : sink.seen()) out.kinds.insert(kind);
    if (!sink.errors().empty()) out.errors[run.name] = sink.errors();
  }
  return out;
}

TEST(TraceSchema, DeclarationsAreWellFormed) {
  std::set<std::string_view> kinds;
  std::set<uint16_t> ids;
  auto name_ok = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '.'; });
  };
  for (auto entries : kafka::trace_schema::lists)
    for (const sim::schema::Entry& e : entries) {
      if (!e.kind) {
        EXPECT_FALSE(e.section.empty());
        continue;
      }
      const auto& k = *e.kind;
      EXPECT_TRUE(kinds.insert(k.name).second) << k.name << " is declared twice";
      EXPECT_TRUE(ids.insert(k.id).second) << k.name << " shares its id";
      EXPECT_TRUE(name_ok(k.name)) << k.name;
      EXPECT_FALSE(k.doc.empty()) << k.name;
      EXPECT_FALSE(k.node.empty()) << k.name;
      EXPECT_EQ(kafka::trace_schema::find_kind(k.name), &k);
      std::set<std::string_view> fields;
      for (const auto& f : k.fields) {
        EXPECT_TRUE(fields.insert(f.name).second) << k.name << " declares " << f.name << " twice";
        EXPECT_TRUE(name_ok(f.name)) << k.name << "." << f.name;
        EXPECT_FALSE(f.doc.empty()) << k.name << "." << f.name;
      }
    }
  std::set<std::string_view> message_fields;
  for (auto list : {sim::event::message_fields, kafka::event::message_fields})
    for (const auto& f : list) EXPECT_TRUE(message_fields.insert(f.name).second) << "message field " << f.name << " is declared twice";
}

// One test, so the scenarios run once: every trace validates, and holds every kind the checker
// reads (a kind no scenario emits is a check no scenario exercises).
TEST(TraceSchema, EveryScenarioTraceValidatesAndHoldsWhatTheCheckerReads) {
  const Coverage c = run_every_scenario();
  EXPECT_TRUE(c.failed.empty()) << c.failed.begin()->first << ": " << c.failed.begin()->second;
  for (const auto& [scenario, errors] : c.errors) {
    std::string all;
    for (const auto& e : errors) all += "  " + e + "\n";
    ADD_FAILURE() << scenario << ":\n" << all;
  }
  for (const std::string& kind : c.kinds) EXPECT_NE(kafka::trace_schema::find_kind(kind), nullptr) << kind;

  std::vector<const sim::schema::KindSpec*> read;
  for (auto kinds : {std::span<const sim::schema::KindSpec* const>(check::HistorySink::Reads::kinds),
                     std::span<const sim::schema::KindSpec* const>(check::GroupSink::Reads::kinds),
                     std::span<const sim::schema::KindSpec* const>(check::TimelineSink::Reads::kinds)})
    read.insert(read.end(), kinds.begin(), kinds.end());
  ASSERT_GT(read.size(), 20u);
  for (const auto* k : read) EXPECT_TRUE(c.kinds.count(std::string(k->name))) << k->name << " is read by the checker but no scenario emits it";
}

TEST(TraceSchema, TheValidatorRejectsWhatTheSchemaDoesNotDeclare) {
  const std::string head = R"({"seq":1,"t":5,"node":"broker-1","kind":)";
  const std::string hw = head + R"("replica.hw","topic":"t","partition":0,"hw":3,"leader_epoch":1})";
  EXPECT_EQ(check::validate_trace_line(hw), "");
  const std::map<std::string, std::string> wrong = {
      {head + R"("replica.hw","topic":"t","partition":"0","hw":3,"leader_epoch":1})", "field 'partition' is a string, declared integer"},
      {head + R"("replica.hw","topic":"t","partition":0,"leader_epoch":1})", "required field 'hw' is missing"},
      {head + R"("replica.hw","topic":"t","partition":0,"hw":3})", "required field 'leader_epoch' is missing"},
      {head + R"("replica.hw","topic":"t","partition":0,"hw":3,"leader_epoch":1,"extra":2})", "field 'extra' is not declared"},
      {head + R"("replica.hw","partition":0,"topic":"t","hw":3,"leader_epoch":1})", "required field 'topic' is missing"},
      {head + R"("replica.hwm","topic":"t"})", "kind 'replica.hwm' is not declared"},
      {head + R"("net.send","to":"b","msg":"X","bytes":64,"acks":"all"})", "field 'acks' is a string, declared integer"},
      {head + R"("net.send","to":"b","msg":"X","bytes":64,"hw":1})", "field 'hw' is not declared"},
      {R"({"t":5,"seq":1,"node":null,"kind":"fault.heal"})", "does not begin with seq, t, node, kind"},
      {R"({"seq":1,"t":5,"node":null,"kind":"fault.heal")", "not JSON"},
  };
  for (const auto& [line, why] : wrong) {
    const std::string error = check::validate_trace_line(line);
    EXPECT_NE(error.find(why), std::string::npos) << line << "\n  gave: " << error;
  }
  // Optional fields may be left out, but not reordered; a message's fields follow net.send's own.
  EXPECT_EQ(check::validate_trace_line(head + R"("op.invoke","process":"p","op":1,"f":"poll"})"), "");
  EXPECT_NE(check::validate_trace_line(head + R"("op.invoke","process":"p","op":1,"f":"send","value":"v","topic":"t"})"), "");
  EXPECT_EQ(check::validate_trace_line(head + R"("net.send","to":"b","msg":"ProduceRequest","bytes":64,"correlation_id":1,"acks":-1,"partitions":1})"), "");
  // node.* events repeat "node": the envelope's, then the field.
  EXPECT_EQ(check::validate_trace_line(R"({"seq":1,"t":5,"node":null,"kind":"node.crash","node":"b","unflushed":0,"entries_lost":0,"files_torn":0})"), "");
}

// Reads each event as it is emitted, while its strings are alive.
class OpOkReader final : public sim::TraceSink {
 public:
  void write(const sim::Event& e) override {
    if (auto v = sim::schema::read<kafka::event::OpOk>(e)) seen.push_back(*v);
  }
  std::vector<kafka::event::OpOk::View> seen;
};

TEST(TraceSchema, ViewsReadWhatEmittersWroteAndWhatTestsBuildByHand) {
  using kafka::event::OpOk;
  sim::Trace trace;
  OpOkReader reader;
  trace.add_sink(&reader);
  // A send's outcome and a poll's: the optional fields each leaves out read as their fallbacks.
  sim::schema::emit(trace, sim::Time{1}, 0,
                    OpOk{.process = "p", .op = 7, .f = "send", .partition = 2, .offset = 40, .error = "NONE", .cause = "NONE"});
  sim::schema::emit(trace, sim::Time{2}, 0, OpOk{.process = "c", .op = 8, .f = "poll", .records = 3});
  sim::schema::emit(trace, sim::Time{3}, 0, kafka::event::OpInvoke{.process = "c", .op = 9, .f = "poll"});  // not an op.ok
  // An event built by hand, fields out of order and without a spec, is read by key.
  const sim::Field fields[] = {{"offset", sim::Value(5)}, {"process", sim::Value("h")}, {"f", sim::Value("send")}, {"op", sim::Value(1)}};
  reader.write(sim::Event{0, sim::Time{4}, 0, "h", "op.ok", fields});
  ASSERT_EQ(reader.seen.size(), 3u);
  const auto& send = reader.seen[0];
  EXPECT_EQ(send.process, "p");
  EXPECT_EQ(send.op, 7);
  EXPECT_EQ(send.partition, 2);
  EXPECT_EQ(send.offset, 40);
  EXPECT_EQ(send.cause, "NONE");
  EXPECT_EQ(send.records, -1);
  const auto& poll = reader.seen[1];
  EXPECT_EQ(poll.f, "poll");
  EXPECT_EQ(poll.partition, -1);
  EXPECT_EQ(poll.error, "");
  EXPECT_EQ(poll.records, 3);
  const auto& by_hand = reader.seen[2];
  EXPECT_EQ(by_hand.process, "h");
  EXPECT_EQ(by_hand.op, 1);
  EXPECT_EQ(by_hand.offset, 5);
  EXPECT_EQ(by_hand.partition, -1);
  // The same event as JSON: the field order of an emitter is the declaration's.
  std::string line;
  sim::format_event_json(sim::Event{0, sim::Time{1}, 0, "p", "op.ok", fields}, line);
  EXPECT_NE(check::validate_trace_line(line), "");
}

TEST(TraceSchema, DocsTraceMdIsTheReferenceTheSchemaPrints) {
  std::ifstream in(source_path("docs/trace.md"));
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(text.str() == sim::cli::trace_reference_markdown())
      << "docs/trace.md is out of date with the trace's schema: run build/kafkasim trace-schema > docs/trace.md";
}

}  // namespace
