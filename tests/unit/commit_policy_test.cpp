// Each commit policy commits at its own moments; counted from the trace of a small run.
#include <gtest/gtest.h>

#include "scenario_helpers.hpp"
#include "sim/trace.hpp"

using namespace kafkasim_test;

namespace {
struct Counts {
  int commits = 0;         // successful commits
  int polls = 0;           // polls that returned records
  int processed = 0;
  bool commit_before_processing = false;  // a commit came between a poll and its first record
};

Counts run_policy(const std::string& policy, const std::string& extra = "") {
  const std::string text = R"(
scenario { name = "commit policy", duration = "20s", kafka_version = "3.9" }
local c = cluster { brokers = 3, network = { latency = "1ms" }, broker = { ["offsets.topic.num.partitions"] = 4 } }
c:topic("t", { partitions = 1, replication_factor = 3 })
local p = c:producer("p", {})
local g = c:group("g", { members = 1, topics = { "t" }, commit = ")" + policy + R"(",
  ["auto.offset.reset"] = "earliest", ["max.poll.records"] = 20, processing_time = "5ms", )" + extra + R"( })
at("4s", function() p:load { topic = "t", rate = 100, count = 800 } end)
)";
  sim::MemorySink mem;
  sim::lua::RunOptions o;
  o.sinks = {&mem};
  const auto r = run_text("policy_" + policy + ".lua", text, o);
  EXPECT_EQ(r.exit_code, 0) << r.error;
  Counts c;
  bool after_poll = false;
  for (const auto& e : mem.events()) {
    if (e.kind == "op.ok" && e.text("f") == "poll") {
      ++c.polls;
      after_poll = true;
    } else if (e.kind == "consumer.processed") {
      ++c.processed;
      after_poll = false;
    } else if (e.kind == "consumer.commit" && e.text("error") == "NONE") {
      ++c.commits;
      if (after_poll) c.commit_before_processing = true;
    }
  }
  return c;
}
}  // namespace

TEST(CommitPolicy, RecordCommitsAfterEveryRecord) {
  for (const char* policy : {"RECORD", "MANUAL_IMMEDIATE"}) {
    const Counts c = run_policy(policy);
    EXPECT_EQ(c.processed, 800) << policy;
    EXPECT_EQ(c.commits, c.processed) << policy;
  }
}

TEST(CommitPolicy, BatchCommitsOncePerPoll) {
  for (const char* policy : {"after-process", "BATCH", "MANUAL", "async"}) {
    const Counts c = run_policy(policy);
    EXPECT_EQ(c.processed, 800) << policy;
    EXPECT_GT(c.polls, 40) << policy;
    EXPECT_EQ(c.commits, c.polls) << policy;
    // An async commit's outcome arrives after the next poll; the others block until it does.
    if (std::string(policy) != "async") {
      EXPECT_FALSE(c.commit_before_processing) << policy;
    }
  }
}

TEST(CommitPolicy, BeforeProcessCommitsFirst) {
  const Counts c = run_policy("before-process");
  EXPECT_EQ(c.commits, c.polls);
  EXPECT_TRUE(c.commit_before_processing);
}

TEST(CommitPolicy, CountCommitsEveryAckCountRecords) {
  const Counts c = run_policy("COUNT", "ack_count = 100,");
  EXPECT_EQ(c.processed, 800);
  EXPECT_EQ(c.commits, 8);
  // Spring 3.1+: an empty poll commits what is pending below the count.
  const Counts partial = run_policy("COUNT", "ack_count = 300,");
  EXPECT_EQ(partial.commits, 3) << "after 300, 600, and the last 200 at the first empty poll";
}

TEST(CommitPolicy, TimeCommitsEveryAckTime) {
  const Counts c = run_policy("TIME", "ack_time = \"2s\",");
  // Records flow for 8 s (800 at 100/s): a commit about every 2 s, the first after the 2 s
  // since the consumer started have passed.
  EXPECT_GE(c.commits, 3);
  EXPECT_LE(c.commits, 5);
}

TEST(CommitPolicy, CountTimeCommitsOnWhicheverComesFirst) {
  const Counts by_count = run_policy("COUNT_TIME", "ack_count = 100, ack_time = \"60s\",");
  EXPECT_EQ(by_count.commits, 8);
  const Counts by_time = run_policy("COUNT_TIME", "ack_count = 100000, ack_time = \"2s\",");
  EXPECT_GE(by_time.commits, 3);
  EXPECT_LE(by_time.commits, 5);
}

TEST(CommitPolicy, AutoCommitsEveryInterval) {
  const Counts c = run_policy("auto", "[\"auto.commit.interval.ms\"] = \"1s\",");
  // Auto-commit commits inside poll() once the interval has passed, while positions move.
  EXPECT_GE(c.commits, 7);
  EXPECT_LE(c.commits, 11);
}
