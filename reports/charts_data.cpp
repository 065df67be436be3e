#include "reports/charts_data.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace report {

namespace {

using namespace sim::event;
using namespace kafka::event;
using Json = nlohmann::ordered_json;

using Reads = sim::schema::Reads<Scenario, OpInvoke, OpOk, OpFail, OpInfo, OpPollRecord, ConsumerStart, ConsumerLag>;

constexpr int64_t kSecond = 1'000'000'000;


// Sets bit `i`, growing the bitmap; says whether it was clear (false for an offset no bitmap
// tracks).
bool set_bit(std::vector<bool>& bits, int64_t i) {
  if (i < 0 || i > kMaxTrackedOffset) return false;
  const auto at = static_cast<size_t>(i);
  if (at >= bits.size()) bits.resize(std::max(at + 1, bits.size() * 2));
  if (bits[at]) return false;
  bits[at] = true;
  return true;
}

bool has_bit(const std::vector<bool>& bits, int64_t i) { return static_cast<size_t>(i) < bits.size() && bits[static_cast<size_t>(i)]; }

// The nearest-rank percentile of sorted values.
int64_t percentile(const std::vector<int64_t>& sorted, double q) {
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

void ChartsData::write(const sim::Event& e) {
  now_ = e.time.ns;
  Reads::visit(e, [&](const auto& v) { handle(v); });
}

// The bucket's width from the scenario's duration, with room for the drain after it.
void ChartsData::handle(const Scenario::View& v) {
  if (!buckets_.empty()) return;
  const int64_t span = std::max<int64_t>(v.duration, 0) + 30 * kSecond;
  const int64_t seconds = (span + kSecond * static_cast<int64_t>(max_buckets_) - 1) / (kSecond * static_cast<int64_t>(max_buckets_));
  width_ = std::max<int64_t>(seconds, 1) * kSecond;
}

size_t ChartsData::bucket(int64_t t_ns) {
  while (static_cast<size_t>(t_ns / width_) >= max_buckets_) coarsen();
  const auto i = static_cast<size_t>(t_ns / width_);
  if (i >= buckets_.size()) buckets_.resize(i + 1);
  return i;
}

void ChartsData::Level::set(size_t bucket, int64_t v) {
  if (bucket >= at.size()) at.resize(bucket + 1, -1);
  at[bucket] = v;
}

// Neighbours merge: counts add up, a level keeps the later value, percentiles the larger.
void ChartsData::coarsen() {
  close_latency_bucket();
  ++coarsened_;
  width_ *= 2;
  std::vector<Bucket> merged((buckets_.size() + 1) / 2);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    Bucket& m = merged[i / 2];
    const Bucket& b = buckets_[i];
    m.produce += b.produce;
    m.acknowledged += b.acknowledged;
    m.consume += b.consume;
    m.p50_ms = std::max(m.p50_ms, b.p50_ms);
    m.p99_ms = std::max(m.p99_ms, b.p99_ms);
    m.max_ms = std::max(m.max_ms, b.max_ms);
  }
  buckets_ = std::move(merged);
  for (auto& [id, g] : groups_) {
    for (Level* level : {&g.lag_level, &g.unseen_level}) {
      std::vector<int64_t> at((level->at.size() + 1) / 2, -1);
      for (size_t i = 0; i < level->at.size(); ++i)
        if (level->at[i] >= 0) at[i / 2] = level->at[i];
      level->at = std::move(at);
    }
  }
  latency_bucket_ /= 2;
}

uint32_t ChartsData::name(std::string_view s) {
  auto it = names_.find(s);
  if (it == names_.end()) it = names_.emplace(std::string(s), static_cast<uint32_t>(names_.size())).first;
  return it->second;
}

uint32_t ChartsData::partition(uint32_t topic, int64_t number) {
  const uint64_t key = (uint64_t{topic} << 32) ^ static_cast<uint32_t>(number);
  auto [it, made] = partitions_.try_emplace(key, static_cast<uint32_t>(partitions_.size()));
  if (made) acknowledged_.emplace_back();
  return it->second;
}

void ChartsData::handle(const OpInvoke::View& v) {
  if (v.f != "send") return;
  ++buckets_[bucket(now_)].produce;
  in_flight_[send_key(name(v.process), v.op)] = {now_, name(v.topic)};
}

void ChartsData::handle(const OpOk::View& v) {
  if (v.f != "send") return;
  const size_t b = bucket(now_);
  ++buckets_[b].acknowledged;
  auto it = in_flight_.find(send_key(name(v.process), v.op));
  if (it == in_flight_.end()) return;
  const uint32_t p = partition(it->second.topic, v.partition);
  const uint32_t topic = it->second.topic;
  if (v.offset >= 0 && set_bit(acknowledged_[p], v.offset)) {
    if (topic >= acknowledged_by_topic_.size()) acknowledged_by_topic_.resize(topic + 1, 0);
    ++acknowledged_by_topic_[topic];
    for (auto& [id, g] : groups_) {
      if (!g.topics.contains(topic)) continue;
      if (p >= g.polled.size() || !has_bit(g.polled[p], v.offset)) g.unseen_level.set(b, ++g.unseen);
    }
  }
  completed(v.process, v.op);
}

void ChartsData::handle(const OpFail::View& v) { completed(v.process, v.op); }
void ChartsData::handle(const OpInfo::View& v) { completed(v.process, v.op); }

// A send's latency goes to the bucket it completed in; its bucket's percentiles are taken when
// the completions move on to a later one (they come in time order).
void ChartsData::completed(std::string_view process, int64_t op) {
  auto it = in_flight_.find(send_key(name(process), op));
  if (it == in_flight_.end()) return;
  const size_t b = bucket(now_);
  if (b != latency_bucket_) {
    close_latency_bucket();
    latency_bucket_ = b;
  }
  latencies_.push_back(now_ - it->second.invoked_ns);
  in_flight_.erase(it);
}

void ChartsData::close_latency_bucket() {
  if (latencies_.empty()) return;
  if (latency_bucket_ >= buckets_.size()) buckets_.resize(latency_bucket_ + 1);
  add_latencies(buckets_[latency_bucket_], latencies_);
  latencies_.clear();
}

void ChartsData::add_latencies(Bucket& b, std::vector<int64_t> latencies) {
  std::sort(latencies.begin(), latencies.end());
  b.p50_ms = std::max(b.p50_ms, ms(percentile(latencies, 0.5)));
  b.p99_ms = std::max(b.p99_ms, ms(percentile(latencies, 0.99)));
  b.max_ms = std::max(b.max_ms, ms(latencies.back()));
}

ChartsData::Group& ChartsData::group(const std::string& id) {
  return groups_.try_emplace(id).first->second;
}

void ChartsData::reads(Group& g, uint32_t topic) {
  if (!g.topics.insert(topic).second) return;
  // Nothing of it polled yet (its first poll or lag report comes now): all of it is unseen.
  g.unseen += topic < acknowledged_by_topic_.size() ? acknowledged_by_topic_[topic] : 0;
  g.unseen_level.set(bucket(now_), g.unseen);
}

void ChartsData::handle(const ConsumerStart::View& v) { group_of_member_[name(v.member)] = &group(std::string(v.group)); }

void ChartsData::handle(const OpPollRecord::View& v) {
  const size_t b = bucket(now_);
  ++buckets_[b].consume;
  auto it = group_of_member_.find(name(v.process));
  if (it == group_of_member_.end()) return;
  Group& g = *it->second;
  reads(g, name(v.topic));
  const uint32_t p = partition(name(v.topic), v.partition);
  if (p >= g.polled.size()) g.polled.resize(p + 1);
  if (set_bit(g.polled[p], v.offset) && has_bit(acknowledged_[p], v.offset)) g.unseen_level.set(b, --g.unseen);
}

void ChartsData::handle(const ConsumerLag::View& v) {
  Group& g = group(std::string(v.group));
  reads(g, name(v.topic));
  int64_t& lag = g.lag[partition(name(v.topic), v.partition)];
  g.lag_sum += v.lag - lag;
  lag = v.lag;
  g.lag_level.set(bucket(now_), g.lag_sum);
}

namespace {

// A level per bucket, carried forward over buckets where it did not change (null before it
// was first known).
Json level_json(const std::vector<int64_t>& at, size_t n) {
  Json out = Json::array();
  int64_t last = -1;
  for (size_t i = 0; i < n; ++i) {
    if (i < at.size() && at[i] >= 0) last = at[i];
    if (last < 0) out.push_back(nullptr);
    else out.push_back(last);
  }
  return out;
}

}  // namespace

Json ChartsData::json(int64_t end_ns) const {
  // Every bucket to the end of the trace, the open latency bucket closed on a copy.
  std::vector<Bucket> buckets = buckets_;
  const size_t n = std::max(buckets.size(), static_cast<size_t>(end_ns / width_) + 1);
  buckets.resize(std::min(n, std::max(buckets.size(), max_buckets_)));
  if (!latencies_.empty() && latency_bucket_ < buckets.size()) add_latencies(buckets[latency_bucket_], latencies_);
  const double per_second = static_cast<double>(kSecond) / static_cast<double>(width_);
  Json produce = Json::array(), acknowledged = Json::array(), consume = Json::array(), p50 = Json::array(), p99 = Json::array(),
       max = Json::array();
  const auto rate = [per_second](int64_t count) { return std::round(static_cast<double>(count) * per_second * 1000) / 1000; };
  const auto latency = [](double v) { return v < 0 ? Json(nullptr) : Json(std::round(v * 1000) / 1000); };
  for (const Bucket& b : buckets) {
    produce.push_back(rate(b.produce));
    acknowledged.push_back(rate(b.acknowledged));
    consume.push_back(rate(b.consume));
    p50.push_back(latency(b.p50_ms));
    p99.push_back(latency(b.p99_ms));
    max.push_back(latency(b.max_ms));
  }
  Json lag = Json::object(), unseen = Json::object();
  for (const auto& [id, g] : groups_) {
    lag[id] = level_json(g.lag_level.at, buckets.size());
    unseen[id] = level_json(g.unseen_level.at, buckets.size());
  }
  return {{"bucket_ns", width_},
          {"buckets", buckets.size()},
          {"produce", std::move(produce)},
          {"acknowledged", std::move(acknowledged)},
          {"consume", std::move(consume)},
          {"lag", std::move(lag)},
          {"unseen", std::move(unseen)},
          {"latency", {{"p50_ms", std::move(p50)}, {"p99_ms", std::move(p99)}, {"max_ms", std::move(max)}}}};
}

void ChartsData::summarised(std::vector<std::string>& out) const {
  if (width_ > kSecond)
    out.push_back(fmt::format("charts: each point is {} s of the run (at most {} points)", width_ / kSecond, max_buckets_));
  if (coarsened_ > 0)
    out.push_back("charts: the run outlasted its planned buckets; merged buckets show the larger of their latency percentiles");
}

}  // namespace report
