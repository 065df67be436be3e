// The teaching report (reports/): its model from a known run, the trace read back from JSON
// Lines, the HTML's escaping, and the commands' exit codes.
#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "broker_model/trace_schema.hpp"
#include "reports/report_html.hpp"
#include "reports/report_sink.hpp"
#include "scenario_helpers.hpp"
#include "sim/trace_reader.hpp"

using namespace kafkasim_test;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const sim::TraceKinds kKinds{kafka::trace_schema::find_kind, kafka::trace_schema::find_message_field};

// The report data block of a report file, parsed.
nlohmann::json report_data(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const size_t from = html.find(open);
  const size_t to = html.find("</script>", from);
  EXPECT_NE(from, std::string::npos);
  return nlohmann::json::parse(html.substr(from + open.size(), to - from - open.size()));
}

constexpr const char* kKnownScenario = R"(
scenario { name = "report model", seed = 3, duration = "8s", drain = "2s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "2ms" }, broker = { ["flush.messages"] = 1 } }
c:topic("t", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
local p = c:producer("w", { acks = "all" })
expect { producer = "w", lost_acked_writes = 0 }
at("1s", function()
  note("fifty sends")
  for i = 1, 50 do p:send("t", { value = "v" .. i }) end
end)
at("2s", function() c:crash(3); after("2s", function() c:restart(3) end) end)
at("5s", function() c:pause(2, "500ms") end)
at("6s", function() c:isolate(1) end)
)";

const report::FaultBand* band(const report::Model& m, const std::string& kind) {
  for (const auto& b : m.faults)
    if (b.kind == kind) return &b;
  return nullptr;
}

int64_t count(const report::Model& m, const std::string& label) {
  for (const auto& c : m.counts)
    if (c.label == label) return c.value;
  ADD_FAILURE() << "no count " << label;
  return -1;
}

// The first `src=`, `href=` or `url(` whose value starts with http: or https: (any case), with
// what follows it; empty when there is none. (A scan rather than std::regex, which GCC 12 warns
// about under the sanitizers.)
std::string remote_url(const std::string& html) {
  std::string lower = html;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto skip = [&lower](size_t i, const char* chars) {
    while (i < lower.size() && std::strchr(chars, lower[i]) && lower[i] != '\0') ++i;
    return i;
  };
  for (const char* opener : {"src", "href", "url("}) {
    for (size_t at = lower.find(opener); at != std::string::npos; at = lower.find(opener, at + 1)) {
      size_t i = at + std::strlen(opener);
      if (opener[3] != '(') {
        i = skip(i, " \t\n\r");
        if (i >= lower.size() || lower[i] != '=') continue;
        ++i;
      }
      i = skip(i, " \t\n\r\"'");
      if (lower.compare(i, 5, "http:") == 0 || lower.compare(i, 6, "https:") == 0) return html.substr(at, 60);
    }
  }
  return {};
}

}  // namespace

TEST(Report, ModelOfAKnownRunHasItsCountsBandsNotesAndChecks) {
  report::ReportSink sink;
  sim::lua::RunOptions o;
  o.sinks.push_back(&sink);
  o.paranoid = true;
  const auto r = run_text("report_known.lua", kKnownScenario, o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const report::Model m = sink.model();
  EXPECT_EQ(m.scenario, "report model");
  EXPECT_EQ(m.seed, 3u);
  EXPECT_EQ(m.events, r.trace_events);
  EXPECT_EQ(count(m, "sends"), 50);
  EXPECT_EQ(count(m, "acknowledged"), 50);
  EXPECT_EQ(count(m, "failed"), 0);
  EXPECT_EQ(count(m, "crashes"), 1);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_EQ(m.notes[0].text, "fifty sends");
  EXPECT_EQ(m.notes[0].time_ns, 1'000'000'000);
  const auto* crash = band(m, "crash");
  ASSERT_TRUE(crash);
  EXPECT_EQ(crash->label, "broker-3");
  EXPECT_EQ(crash->start_ns, 2'000'000'000);
  EXPECT_EQ(crash->end_ns, 4'000'000'000);
  const auto* pause = band(m, "pause");
  ASSERT_TRUE(pause);
  EXPECT_EQ(pause->end_ns - pause->start_ns, 500'000'000);
  // The isolation lasts until the drain heals it at 8 s.
  const auto* isolation = band(m, "isolation");
  ASSERT_TRUE(isolation);
  EXPECT_EQ(isolation->start_ns, 6'000'000'000);
  EXPECT_EQ(isolation->end_ns, m.drain_start_ns);
  EXPECT_FALSE(isolation->open_at_end);
  ASSERT_EQ(m.checks.size(), 1u);
  EXPECT_TRUE(m.checks[0].held);
  EXPECT_EQ(m.checks[0].name, r.checks[0].name);
}

TEST(Report, ListsAreCappedAndTheFileSaysWhatItSummarised) {
  report::ReportSink sink(report::Limits{.notes = 3, .fault_bands = 1, .anomalies_per_kind = 1});
  sim::lua::RunOptions o;
  o.sinks.push_back(&sink);
  const auto r = run_text("report_caps.lua", R"(
scenario { name = "caps", seed = 1, duration = "5s" }
local t = testbed { nodes = 2 }
for i = 1, 5 do at(i .. "00ms", function() note("n" .. i) end) end
at("1s", function() t:crash(1); after("1s", function() t:restart(1) end) end)
at("3s", function() t:pause(2, "1s") end)
)", o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const report::Model m = sink.model();
  EXPECT_EQ(m.notes.size(), 3u);
  EXPECT_EQ(m.faults.size(), 1u);
  ASSERT_GE(m.summarised.size(), 2u) << "the views say what they kept after these (the messages)";
  EXPECT_EQ(m.summarised[0], "notes: the first 3 of 5 are shown");
  EXPECT_EQ(m.summarised[1], "fault bands: the first 1 of 2 are shown");
}

TEST(Report, TheTraceReadBackFromJsonLinesIsTheTraceWritten) {
  const auto dir = scratch_dir();
  const auto trace = dir / "report_read_back.jsonl";
  std::filesystem::remove(trace);
  ASSERT_EQ(kafkasim("run " + source_path("tests/scenarios/report_hostile.lua").string() + " --quiet --trace " + trace.string()).code, 0);
  // Every event read back formats as the line it came from, byte for byte.
  struct Echo final : sim::TraceSink {
    std::string text;
    void write(const sim::Event& e) override {
      sim::format_event_json(e, text);
      text.push_back('\n');
    }
  } echo;
  std::ifstream in(trace, std::ios::binary);
  ASSERT_EQ(sim::read_jsonl_trace(in, "t.jsonl", kKinds, echo), "");
  EXPECT_EQ(echo.text, slurp(trace));
}

TEST(Report, ABadTraceLineIsNamedByFileAndLine) {
  struct Null final : sim::TraceSink {
    void write(const sim::Event&) override {}
  } sink;
  const std::string good = R"({"seq":0,"t":0,"node":null,"kind":"note","text":"hi"})";
  const std::pair<std::string, std::string> cases[] = {
      {"{nope", "t.jsonl:2: not JSON"},
      {R"({"seq":1,"t":0,"node":null,"kind":"no.such"})", "t.jsonl:2: kind 'no.such' is not declared"},
      {R"({"seq":1,"t":0,"node":null,"kind":"note","text":3})", "t.jsonl:2: note: field 'text' is not text"},
      {R"({"seq":1,"t":0,"node":null,"kind":"note"})", "t.jsonl:2: note: required field 'text' is missing"},
      {R"({"seq":1,"t":0,"node":null,"kind":"note","text":"a","extra":1})", "t.jsonl:2: note: field 'extra' is not declared"},
      {R"({"t":0,"seq":1,"node":null,"kind":"note","text":"a"})", "t.jsonl:2: the event does not begin with seq, t, node, kind"},
  };
  for (const auto& [line, error] : cases) {
    std::istringstream in(good + "\n" + line + "\n");
    const std::string found = sim::read_jsonl_trace(in, "t.jsonl", kKinds, sink);
    EXPECT_EQ(found.rfind(error, 0), 0u) << line << " gave " << found;
  }
}

TEST(Report, RunReportAndReportOfTheFilesAreTheSameFile) {
  const auto dir = scratch_dir() / "report_round_trip";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string scenario = source_path("tests/scenarios/report_hostile.lua").string();
  const auto live = dir / "live.html", later = dir / "later.html", trace = dir / "t.jsonl", result = dir / "r.json";
  ASSERT_EQ(kafkasim("run " + scenario + " --quiet --trace " + trace.string() + " --json " + result.string() + " --report " + live.string()).code, 0);
  auto r = kafkasim("report " + trace.string() + " --check " + result.string() + " -o " + later.string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(slurp(live), slurp(later));
  const nlohmann::json data = report_data(slurp(live));
  EXPECT_EQ(data["checks"].size(), 1u);
  EXPECT_FALSE(data["replay"].get<std::string>().empty());
  EXPECT_GE(data["timeline"]["faults"].size(), 6u);
}

TEST(Report, HostileStringsAppearOnlyEscapedInTheDataBlock) {
  const auto dir = scratch_dir() / "report_hostile";
  std::filesystem::create_directories(dir);
  const auto file = dir / "h.html";
  std::filesystem::remove(file);
  ASSERT_EQ(kafkasim("run " + source_path("tests/scenarios/report_hostile.lua").string() + " --quiet --report " + file.string()).code, 0);
  const std::string html = slurp(file);
  for (const std::string raw : {"<script>window", "</script><script>window", "<img", "onerror=\"", "\x01", "\x02", "\x1b", "\xff", "\xfe"})
    EXPECT_EQ(html.find(raw), std::string::npos) << "raw in the report: " << raw;
  // Our own two script elements and nothing more.
  size_t scripts = 0;
  for (size_t at = html.find("<script"); at != std::string::npos; at = html.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 2u);
  // The strings are all there, as text, repaired: the name, a note, the description.
  const nlohmann::json data = report_data(html);
  const std::string evil = "<script>window.__pwned=1</script>\"><img src=x onerror=\"window.__pwned=1\">\x01\x02\x1b[31m\xEF\xBF\xBD\xEF\xBF\xBD";
  EXPECT_EQ(data["scenario"]["name"], "hostile " + evil);
  EXPECT_EQ(data["timeline"]["notes"][0]["text"], "note " + evil);
  EXPECT_NE(data["scenario"]["description"].get<std::string>().find(evil), std::string::npos);
  // Nothing is fetched: no http(s) URL in a src, an href or a url().
  EXPECT_EQ(remote_url(html), std::string()) << "a src, href or url() names a remote address";
  EXPECT_NE(remote_url(R"(<a HREF = 'https://x'>)"), std::string()) << "the scan finds one";
  EXPECT_NE(remote_url("background: url( \"http://x\")"), std::string()) << "the scan finds one";
}

TEST(Report, TheDocumentFollowsTheContractsShape) {
  report::Model m;
  m.scenario = "s";
  m.anomalies.push_back({"lost-write", "t-0", "d", "e", false});
  const std::string html = report::render_html(m);
  // The nav's links are the script's: one per view it registers (the browser test checks them).
  for (const char* part : {"<nav id=\"views\"", "name: \"summary\"", "name: \"anomalies\"", "<section data-view=\"summary\"",
                           "<section data-view=\"anomalies\"", "<div id=\"timeline\"", "data-field=\"scenario-name\"", "data-field=\"seed\"",
                           "data-field=\"replay\"", "data-field=\"description\"", "data-field=\"counts\"", "data-report-ready"})
    EXPECT_NE(html.find(part), std::string::npos) << part;
  EXPECT_EQ(report_data(html)["anomalies"][0]["kind"], "lost-write");
  EXPECT_TRUE(report_data(html)["views"].is_object()) << "each view's own block goes under views";
}

TEST(Report, BadInputsGiveTheDocumentedExitCodes) {
  const auto dir = scratch_dir() / "report_inputs";
  std::filesystem::create_directories(dir);
  const auto trace = dir / "t.jsonl", out = dir / "o.html";
  std::filesystem::remove(trace);
  std::filesystem::remove(out);
  ASSERT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 2s --trace " + trace.string()).code, 0);
  EXPECT_EQ(kafkasim("report /no/such/trace.jsonl -o " + out.string()).code, 64);
  EXPECT_EQ(kafkasim("report " + trace.string()).code, 64);                                     // no -o
  const std::string two = trace.string() + " " + trace.string();
  EXPECT_EQ(kafkasim("report " + two + " " + trace.string() + " -o " + out.string()).code, 64);  // three runs
  const auto result = dir / "r_ok.json";
  std::filesystem::remove(result);
  ASSERT_EQ(kafkasim("run " + source_path("scenarios/kernel_demo.lua").string() + " --quiet --until 2s --json " + result.string()).code, 0);
  EXPECT_EQ(kafkasim("report " + two + " --check " + result.string() + " -o " + out.string()).code, 64);  // a check for one of two
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_EQ(kafkasim("report " + two + " --check " + result.string() + " --check " + result.string() + " -o " + out.string()).code, 0);
  const nlohmann::json compared = report_data(slurp(out));
  std::filesystem::remove(out);
  EXPECT_EQ(kafkasim("report --check " + result.string() + " " + trace.string() + " -o " + out.string()).code, 0)
      << "a trace after --check's file is a trace";
  EXPECT_TRUE(compared.contains("compare")) << "two traces: the second run is the first's compare";
  EXPECT_EQ(compared["compare"]["scenario"]["name"], compared["scenario"]["name"]);
  std::filesystem::remove(out);
  EXPECT_EQ(kafkasim("report " + trace.string() + " -o " + trace.string() + " -f").code, 64);     // the output is the input
  const auto bad = write_file("report_inputs/bad.jsonl", slurp(trace).substr(0, 200) + "\n{\"seq\":\n");
  auto r = kafkasim("report " + bad.string() + " -o " + out.string());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("bad.jsonl:"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(out));
  const auto not_json = write_file("report_inputs/r.json", "{");
  EXPECT_EQ(kafkasim("report " + trace.string() + " --check " + not_json.string() + " -o " + out.string()).code, 2);
  EXPECT_EQ(kafkasim("report " + trace.string() + " -o " + out.string()).code, 0);
  const std::string first = slurp(out);
  EXPECT_NE(first.find("data-report-ready"), std::string::npos);
  std::ofstream(out) << "mine";
  EXPECT_EQ(kafkasim("report " + trace.string() + " -o " + out.string()).code, 64);  // exists: not without --force
  EXPECT_EQ(slurp(out), "mine");
  EXPECT_EQ(kafkasim("report " + trace.string() + " -o " + out.string() + " --force").code, 0);
  EXPECT_EQ(slurp(out), first);
}

// The Summary's configuration: what the scenario set away from Kafka's defaults for its version,
// and what Kafka derived from it (acks=1 turns the default idempotence off), per entity.
TEST(Report, ConfigurationChangesFromKafkasDefaultsAreTracedPerEntity) {
  report::ReportSink sink;
  sim::lua::RunOptions o;
  o.sinks.push_back(&sink);
  const auto r = run_text("report_config.lua", R"(
scenario { name = "config", duration = "2s", kafka_version = "3.9" }
local c = cluster { brokers = 3, broker = { ["min.insync.replicas"] = 2 } }
c:topic("t", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 3 })
c:topic("u", { partitions = 1, replication_factor = 3, ["min.insync.replicas"] = 2 })
c:producer("w", { acks = 1 })
c:group("g", { topics = { "t" }, commit = "after-process" })
)", o);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  const report::Model m = sink.model();
  const auto find = [&](const std::string& entity, const std::string& key) -> const report::ConfigLine* {
    for (const auto& c : m.config)
      if (c.entity == entity && c.key == key) return &c;
    return nullptr;
  };
  const auto* min_isr = find("brokers", "min.insync.replicas");
  ASSERT_NE(min_isr, nullptr);
  EXPECT_EQ(min_isr->value, "2");
  EXPECT_EQ(min_isr->kafka_default, "1");
  const auto* topic = find("topic t", "min.insync.replicas");
  ASSERT_NE(topic, nullptr);
  EXPECT_EQ(topic->kafka_default, "2") << "a topic's default is the brokers' value";
  EXPECT_EQ(find("topic u", "min.insync.replicas"), nullptr) << "the brokers' value again is no change";
  const auto* acks = find("producer w", "acks");
  ASSERT_NE(acks, nullptr);
  EXPECT_EQ(acks->value, "1");
  EXPECT_EQ(acks->kafka_default, "all");
  EXPECT_TRUE(acks->set);
  const auto* idempotence = find("producer w", "enable.idempotence");
  ASSERT_NE(idempotence, nullptr) << "Kafka turns the default idempotence off for acks=1";
  EXPECT_EQ(idempotence->value, "false");
  EXPECT_FALSE(idempotence->set);
  const auto* auto_commit = find("group g", "enable.auto.commit");
  ASSERT_NE(auto_commit, nullptr) << "commit = after-process turns auto-commit off";
  EXPECT_FALSE(auto_commit->set);
  EXPECT_EQ(find("group g", "group.id"), nullptr);
  EXPECT_EQ(report_data(report::render_html(m))["config"].size(), m.config.size());
}
