// The scenario surface of the application's process: record headers on p:send, the group's
// producer = { ... } and error_handler = { ... } options and their validation.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {

// Counts the events of one kind whose field `key` is `value`.
class CountSink final : public sim::TraceSink {
 public:
  CountSink(std::string kind, std::string key, std::string value)
      : kind_(std::move(kind)), key_(std::move(key)), value_(std::move(value)) {}
  void write(const sim::Event& e) override {
    if (e.kind != kind_) return;
    const sim::StoredEvent s(e);
    if (s.text(key_) == value_) ++count;
  }
  size_t count = 0;

 private:
  std::string kind_, key_, value_;
};

sim::lua::RunResult run(const std::string& name, const std::string& text, sim::TraceSink* sink = nullptr) {
  sim::lua::RunOptions o;
  if (sink) o.sinks.push_back(sink);
  return run_text(name, text, o);
}

}  // namespace

TEST(AppOptionsLua, HeadersAsAMapOrAListOfPairs) {
  auto r = run("headers.lua", R"(
scenario { name = "headers", duration = "3s" }
local c = cluster { brokers = 1 }
c:topic("t", { partitions = 1, replication_factor = 1 })
local p = c:producer("app", {})
local outcomes = {}
at("1s", function()
  p:send("t", { value = "a", headers = { trace = "abc", n = 1 }, callback = function(r) outcomes[#outcomes + 1] = r.outcome end })
  p:send("t", { value = "b", headers = { { "retry", "1" }, { "retry", "2" } }, callback = function(r) outcomes[#outcomes + 1] = r.outcome end })
end)
at("2s", function() check("both sent", #outcomes == 2 and outcomes[1] == "ok" and outcomes[2] == "ok") end)
)");
  ASSERT_EQ(r.exit_code, 0) << r.error;
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_TRUE(r.checks[0].held);
  for (const char* bad : {"headers = 5", "headers = { { \"k\" } }", "headers = { [1] = { \"k\", {} } }", "headers = { k = {} }"}) {
    auto e = run("bad_headers.lua", std::string(R"(
scenario { name = "bad", duration = "1s" }
local c = cluster { brokers = 1 }
c:topic("t", { partitions = 1, replication_factor = 1 })
local p = c:producer("app", {})
p:send("t", { value = "a", )") + bad + " })\n");
    EXPECT_EQ(e.exit_code, 2) << bad;
    EXPECT_NE(e.error.find("send record.headers"), std::string::npos) << e.error;
  }
}

TEST(AppOptionsLua, AGroupsProducerAndDeadLetterHandlerStartWithTheMember) {
  CountSink starts("producer.start", "client_id", "g-1-producer");
  auto r = run("dlt.lua", R"(
scenario { name = "dlt", duration = "3s" }
local c = cluster { brokers = 1 }
c:topic("in", { partitions = 1, replication_factor = 1 })
local g = c:group("g", { topics = { "in" }, commit = "RECORD",
  producer = { acks = "all", ["linger.ms"] = 5 },
  error_handler = { backoff = { initial = "100ms", multiplier = 2, max = "1s" }, dead_letter = true } })
at("2s", function() g:member(1):crash() end)
at("2500ms", function() g:member(1):restart() end)
)",
               &starts);
  ASSERT_EQ(r.exit_code, 0) << r.error;
  EXPECT_EQ(starts.count, 2u) << "the hosted producer starts with the member, and again after its restart";
}

TEST(AppOptionsLua, ErrorHandlerOptionsAreValidated) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"error_handler = { backoff = { interval = \"1s\", initial = \"1s\" } }", "give one of them"},
      {"error_handler = { backoff = { multiplier = 0.5 } }", "Invalid multiplier"},
      {"error_handler = { backoff = { max_attempts = -1 } }", "error_handler.backoff.max_attempts"},
      {"error_handler = { backoff = { intervall = 1 } }", "did you mean"},
      {"error_handler = { dead_letter = 5 }", "error_handler.dead_letter"},
      {"producer = { acks = \"several\" }", "group.producer"},
  };
  for (const auto& [option, message] : cases) {
    auto e = run("bad_group.lua", R"(
scenario { name = "bad", duration = "1s" }
local c = cluster { brokers = 1 }
c:group("g", { topics = { "in" }, )" + option + " })\n");
    EXPECT_EQ(e.exit_code, 2) << option;
    EXPECT_NE(e.error.find(message), std::string::npos) << option << ": " << e.error;
  }
}
