#pragma once
// The Charts view's data (reports/web/charts.js): the run's rates and levels per time bucket.
//
//   produce       sends begun (op.invoke send) per second
//   acknowledged  sends acknowledged (op.ok send) per second
//   consume       records polled (op.poll_record) per second
//   lag           per group: the sum over its partitions of each one's latest consumer.lag
//   unseen        per group: records acknowledged to the topics it reads (known from its
//                 members' lag reports and polls) that none of its members has polled yet,
//                 by (topic, partition, offset): a bit per offset, so a run of a million
//                 records costs a million bits per group
//   latency       per bucket of completion: a send's time from op.invoke to its op.ok, .fail
//                 or .info (p50, p99, max, in ms)
//
// A bucket is 1 s, or a whole number of seconds chosen from the scenario's duration so a run
// has at most ~2,000; a run that outlasts that doubles the width and merges neighbours (then a
// merged bucket's percentiles are the larger of the two, and it says so).
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "reports/view_data.hpp"

namespace report {

class ChartsData final : public ViewData {
 public:
  explicit ChartsData(size_t max_buckets = 2000) : max_buckets_(max_buckets) {}
  const char* name() const override { return "charts"; }
  void write(const sim::Event& e) override;
  nlohmann::ordered_json json(int64_t end_ns) const override;
  void summarised(std::vector<std::string>& out) const override;

  struct Bucket {
    int64_t produce = 0, acknowledged = 0, consume = 0;
    double p50_ms = -1, p99_ms = -1, max_ms = -1;  // -1: no send completed in it
  };
  int64_t bucket_ns() const { return width_; }

 private:
  struct Level {  // a per-group series: its value at the end of each bucket, -1 where unchanged
    std::vector<int64_t> at;
    void set(size_t bucket, int64_t v);
  };
  struct Group {
    std::unordered_map<uint32_t, int64_t> lag;  // by partition (its number in partitions_)
    int64_t lag_sum = 0;
    std::vector<std::vector<bool>> polled;      // by partition: offsets polled
    int64_t unseen = 0;
    std::set<uint32_t> topics;  // the topics it reads, as far as known (their numbers in names_)
    Level lag_level, unseen_level;
  };
  struct Send {
    int64_t invoked_ns = 0;
    uint32_t topic = 0;  // its number in names_
  };
  // Strings the trace repeats a million times (process names, topics) read as small numbers, so
  // a send or a polled record costs a hash of two integers, not of strings.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  void handle(const sim::event::Scenario::View& v);
  void handle(const kafka::event::OpInvoke::View& v);
  void handle(const kafka::event::OpOk::View& v);
  void handle(const kafka::event::OpFail::View& v);
  void handle(const kafka::event::OpInfo::View& v);
  void handle(const kafka::event::OpPollRecord::View& v);
  void handle(const kafka::event::ConsumerStart::View& v);
  void handle(const kafka::event::ConsumerLag::View& v);
  // The group reads `topic`: what was acknowledged to it so far is unseen by the group.
  void reads(Group& g, uint32_t topic);

  size_t bucket(int64_t t_ns);       // the bucket of t, made (and the width coarsened) as needed
  void completed(std::string_view process, int64_t op);
  void close_latency_bucket();
  static void add_latencies(Bucket& b, std::vector<int64_t> latencies);
  Group& group(const std::string& id);
  void coarsen();

  uint32_t name(std::string_view s);
  uint32_t partition(uint32_t topic, int64_t number);
  static uint64_t send_key(uint32_t process, int64_t op) { return (uint64_t{process} << 40) ^ static_cast<uint64_t>(op); }

  size_t max_buckets_;
  int64_t width_ = 1'000'000'000;
  int coarsened_ = 0;
  int64_t now_ = 0;
  std::vector<Bucket> buckets_;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> names_;
  std::unordered_map<uint64_t, uint32_t> partitions_;  // topic and number -> its number
  std::unordered_map<uint64_t, Send> in_flight_;       // by process and op
  size_t latency_bucket_ = 0;
  std::vector<int64_t> latencies_;                      // of the bucket latency_bucket_
  std::map<std::string, Group> groups_;
  std::unordered_map<uint32_t, Group*> group_of_member_;  // by process
  std::vector<std::vector<bool>> acknowledged_;            // by partition: offsets acknowledged
  std::vector<int64_t> acknowledged_by_topic_;  // by topic (its number in names_)
};

}  // namespace report
