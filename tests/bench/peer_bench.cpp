// The peer benchmark: one workload run on kafkasim and on librdkafka's in-process mock cluster
// (rdkafka_mock.h), timed the same way, in one run.
//
// The workload: 3 brokers, one topic of 6 partitions with replication factor 3, a producer with
// acks=all and linger.ms=5 sending N records of 100 bytes over 1,000 distinct keys, and one
// consumer group member (auto.offset.reset=earliest) reading every record back. A run ends when
// the consumer has read all N records. Two modes:
//   sequential  the member starts once every record is acknowledged and reads them all back;
//   overlap     the member joins first, the producer starts once it has its partitions, and it
//               reads while the producer sends.
// The mock keeps at most 5 MiB per partition (older record batches are deleted as new ones
// arrive), so a sequential run larger than that cannot be read back from it: the benchmark says
// so instead of timing it. Overlapping, the mock's producer stays within kMockMaxAhead records
// of its consumer, which would otherwise fall more than 5 MiB behind at 1M records.
//
// kafkasim runs scenarios/bench/peer.lua in-process (sim::lua::run_scenario), with a trace sink
// that notes the wall clock at the first send, the last acknowledgement and the last record read.
// The mock runs real librdkafka clients over localhost TCP against the mock's brokers, which
// live on a thread of their own.
//
//   kafkasim_peer_bench [--records N ...] [--mode sequential|overlap|both] [--rate R]
//                       [--mock-timeout S] [--only kafkasim|mock] [--scenario PATH]
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/lua/runtime.hpp"
#include "sim/trace.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point from, Clock::time_point to) { return std::chrono::duration<double>(to - from).count(); }

// CPU time of the whole process so far, every thread's, user and system.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

constexpr const char* kTopic = "bench";
constexpr const char* kGroup = "peer-bench";
constexpr int kBrokers = 3;
constexpr int kPartitions = 6;
constexpr int kReplicationFactor = 3;
constexpr int kKeys = 1000;
constexpr size_t kValueBytes = 100;
// Overlapping, the mock's producer stays at most this many records ahead of its consumer: about
// 1.9 MB per partition, well inside the 5 MiB a mock partition keeps. Left to run ahead, it
// outpaces the consumer and the mock deletes records before they are read.
constexpr int64_t kMockMaxAhead = 100'000;

enum class Mode { sequential, overlap };
const char* name(Mode m) { return m == Mode::sequential ? "sequential" : "overlap"; }

// One system's run of one size in one mode. Phases: produce = first send to the last
// acknowledgement; consume = from there to the last record read; join = the consumer's start to
// its assignment; wall = first send to last record read (sequential: the join included).
struct Result {
  std::string system;
  Mode mode = Mode::sequential;
  int64_t records = 0;  // asked for
  int64_t acked = 0;
  int64_t read = 0;     // distinct records read back
  double produce_s = 0, consume_s = 0, join_s = 0, wall_s = 0;
  double whole_s = 0;   // the whole run: set-up and tear-down included
  double cpu_s = 0;     // the process's CPU time (every thread, user and system) over the whole run
  bool capped = false;  // the mock's wall-time cap ended it
  std::string incomplete;  // why the records could not all be read back (not an error of ours)
  std::string error;
  std::string detail;   // a line about the run
  bool complete() const { return error.empty() && incomplete.empty() && !capped && read >= records; }
  double rate() const { return wall_s > 0 ? static_cast<double>(read) / wall_s : 0; }
  // The same leaving out the wait for the group's assignment, where the window holds it.
  double rate_without_join() const {
    const double w = mode == Mode::sequential ? wall_s - join_s : wall_s;
    return w > 0 ? static_cast<double>(read) / w : 0;
  }
};

// ---- kafkasim ----

// Watches the trace as the run goes and notes the wall clock at the moments the phases turn.
class PhaseSink : public sim::TraceSink {
 public:
  explicit PhaseSink(int64_t records) : records_(records) {}

  void write(const sim::Event& e) override {
    const std::string_view k = e.kind;
    if (k == "op.poll_record") {
      if (++read_ == records_) last_read = Clock::now();
    } else if (k == "op.invoke") {
      if (!first_send && field(e, "f") == "send") first_send = Clock::now();
    } else if (k == "op.ok" || k == "op.fail" || k == "op.info") {
      if (field(e, "f") != "send") return;
      if (k == "op.ok") ++acked_;
      if (++outcomes_ == records_) last_ack = Clock::now();
    } else if (k == "consumer.start") {
      if (!consumer_start) consumer_start = Clock::now();
    } else if (k == "consumer.assigned") {
      if (!assigned) assigned = Clock::now();
    }
  }

  int64_t acked() const { return acked_; }
  int64_t read() const { return read_; }
  std::optional<Clock::time_point> first_send, last_ack, consumer_start, assigned, last_read;

 private:
  static std::string_view field(const sim::Event& e, std::string_view key) {
    for (const sim::Field& f : e.fields)
      if (f.key == key && f.value.type() == sim::Value::Type::text) return f.value.text();
    return {};
  }
  int64_t records_;
  int64_t read_ = 0, acked_ = 0, outcomes_ = 0;
};

Result run_kafkasim(const std::filesystem::path& scenario, Mode mode, int64_t records, int64_t rate) {
  Result r;
  r.system = "kafkasim";
  r.mode = mode;
  r.records = records;
  PhaseSink sink(records);
  sim::lua::RunOptions opts;
  opts.path = scenario;
  opts.sets = {{"records", std::to_string(records)},
               {"rate", std::to_string(rate)},
               {"overlap", mode == Mode::overlap ? "true" : "false"}};
  opts.sinks = {&sink};
  const auto start = Clock::now();
  const sim::lua::RunResult run = sim::lua::run_scenario(opts);
  r.whole_s = seconds(start, Clock::now());
  r.acked = sink.acked();
  r.read = std::min(sink.read(), records);
  if (run.exit_code != sim::lua::kExitOk) {
    r.error = run.error;
    for (const auto& c : run.checks)
      if (!c.held) r.error += (r.error.empty() ? "" : "; ") + c.name + ": " + c.detail;
    if (r.error.empty()) r.error = fmt::format("exit code {}", run.exit_code);
  }
  if (sink.first_send && sink.last_ack && sink.last_read) {
    r.wall_s = seconds(*sink.first_send, *sink.last_read);
    r.produce_s = seconds(*sink.first_send, *sink.last_ack);
    // Overlapping, the last record can be read before its acknowledgement reaches the producer.
    r.consume_s = std::max(0.0, seconds(*sink.last_ack, *sink.last_read));
    if (sink.consumer_start && sink.assigned) r.join_s = seconds(*sink.consumer_start, *sink.assigned);
  } else if (r.error.empty()) {
    r.error = fmt::format("the run ended with {} of {} records read back", sink.read(), records);
  }
  r.detail = fmt::format("{:.3f} M scheduler events, {:.3f} M trace events, {:.1f} s simulated, trace hash {:016x}",
                         static_cast<double>(run.events) / 1e6, static_cast<double>(run.trace_events) / 1e6,
                         static_cast<double>(run.end_time.ns) / 1e9, run.trace_hash);
  return r;
}

// ---- librdkafka's mock cluster ----

std::string thousands(double v) {
  std::string s = fmt::format("{:.0f}", v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}


// Sets a property or throws with librdkafka's reason.
void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(fmt::format("{}={}: {}", name, value, err));
  }
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(fmt::format("rd_kafka_new: {}", err));
  }
  return rk;  // owns conf now
}

// The mock cluster, owned by a handle of its own so that it outlives the clients.
class MockCluster {
 public:
  MockCluster() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "log_level", "3");
    owner_ = make_client(RD_KAFKA_PRODUCER, conf);
    cluster_ = rd_kafka_mock_cluster_new(owner_, kBrokers);
    if (!cluster_) {
      rd_kafka_destroy(owner_);
      throw std::runtime_error("rd_kafka_mock_cluster_new failed");
    }
    if (rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(cluster_, kTopic, kPartitions, kReplicationFactor)) {
      rd_kafka_mock_cluster_destroy(cluster_);
      rd_kafka_destroy(owner_);
      throw std::runtime_error(fmt::format("rd_kafka_mock_topic_create: {}", rd_kafka_err2str(e)));
    }
    bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(owner_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  const std::string& bootstraps() const { return bootstraps_; }

 private:
  rd_kafka_t* owner_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  std::string bootstraps_;
};

struct Delivery {
  int64_t ok = 0, failed = 0;
  Clock::time_point last;
  std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* d = static_cast<Delivery*>(opaque);
  if (m->err) {
    if (d->failed++ == 0) d->first_error = rd_kafka_err2str(m->err);
  } else {
    ++d->ok;
  }
  d->last = Clock::now();
}

// The producer: Kafka 3.9's Java defaults where librdkafka's differ (idempotence, a 16 KiB
// batch.size, the murmur2 partitioner), so that both systems batch and place records alike.
class MockProducer {
 public:
  explicit MockProducer(const std::string& bootstraps) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstraps);
    set(conf, "acks", "all");
    set(conf, "linger.ms", "5");
    set(conf, "enable.idempotence", "true");
    set(conf, "batch.size", "16384");
    set(conf, "partitioner", "murmur2_random");
    set(conf, "log_level", "3");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, &delivery);
    rk_ = make_client(RD_KAFKA_PRODUCER, conf);
  }
  ~MockProducer() {
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_destroy(rk_);
  }
  MockProducer(const MockProducer&) = delete;
  MockProducer& operator=(const MockProducer&) = delete;

  // Connects and fetches the topic's metadata before the clock starts, so that the timing leaves
  // out the client's start-up (kafkasim's happens in simulated time). Without it the first
  // acknowledgement sometimes waited a second.
  void warm_up() {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_, kTopic, nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    const rd_kafka_resp_err_t e = rd_kafka_metadata(rk_, 0, t, &md, 10'000);
    if (md) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(t);
    if (e) throw std::runtime_error(fmt::format("metadata: {}", rd_kafka_err2str(e)));
  }

  // Sends `records` records as fast as the local queue takes them (and, given `read`, no more
  // than kMockMaxAhead ahead of it) and waits for every delivery report. False when the deadline
  // came first.
  bool produce(int64_t records, Clock::time_point deadline, const std::atomic<int64_t>* read = nullptr) {
    std::vector<std::string> keys;
    for (int i = 0; i < kKeys; ++i) keys.push_back(fmt::format("k{}", i));
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<size_t> pick(0, kKeys - 1);
    const std::string value(kValueBytes, 'v');
    for (int64_t i = 0; i < records; ++i) {
      const std::string& key = keys[pick(rng)];
      while (read && i - read->load(std::memory_order_relaxed) > kMockMaxAhead) {
        rd_kafka_poll(rk_, 1);
        if (Clock::now() >= deadline) return false;
      }
      for (;;) {
        const rd_kafka_resp_err_t e =
            rd_kafka_producev(rk_, RD_KAFKA_V_TOPIC(kTopic), RD_KAFKA_V_KEY(key.data(), key.size()),
                              RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) throw std::runtime_error(fmt::format("produce: {}", rd_kafka_err2str(e)));
        rd_kafka_poll(rk_, 10);  // the local queue is full: serve delivery reports
        if (Clock::now() >= deadline) return false;
      }
      if ((i & 1023) == 0) rd_kafka_poll(rk_, 0);
    }
    while (delivery.ok + delivery.failed < records) {
      if (Clock::now() >= deadline) return false;
      rd_kafka_poll(rk_, 50);
    }
    return true;
  }

  // Records the mock's partitions hold now (high minus low watermark).
  int64_t retained() {
    int64_t total = 0;
    for (int32_t p = 0; p < kPartitions; ++p) {
      int64_t low = 0, high = 0;
      if (rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(rk_, kTopic, p, &low, &high, 10'000))
        throw std::runtime_error(fmt::format("watermarks of {}-{}: {}", kTopic, p, rd_kafka_err2str(e)));
      total += high - low;
    }
    return total;
  }

  Delivery delivery;

 private:
  rd_kafka_t* rk_ = nullptr;
};

// One member of a group reading from the start until it has every record, on the thread that
// calls run().
class MockConsumer {
 public:
  explicit MockConsumer(const std::string& bootstraps) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstraps);
    set(conf, "group.id", kGroup);
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "log_level", "3");
    rk_ = make_client(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk_);
  }
  ~MockConsumer() { rd_kafka_destroy(rk_); }
  MockConsumer(const MockConsumer&) = delete;
  MockConsumer& operator=(const MockConsumer&) = delete;

  void run(int64_t records, Clock::time_point deadline) {
    try {
      loop(records, deadline);
    } catch (const std::exception& e) {
      error = e.what();
    }
    rd_kafka_consumer_close(rk_);
    done.store(true);
  }

  std::atomic<bool> assigned{false}, done{false}, stop{false};
  bool timed_out = false;
  std::atomic<int64_t> read{0};
  int64_t skipped = 0;  // offsets the mock no longer had when the consumer got there
  Clock::time_point start, assigned_at, last_read;
  std::string error;

 private:
  void loop(int64_t records, Clock::time_point deadline) {
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, kTopic, RD_KAFKA_PARTITION_UA);
    start = Clock::now();
    const rd_kafka_resp_err_t e = rd_kafka_subscribe(rk_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e) throw std::runtime_error(fmt::format("subscribe: {}", rd_kafka_err2str(e)));
    // Each partition's next offset: a record below it would be a second delivery, one above it
    // means the mock deleted what lay between.
    std::vector<int64_t> next(kPartitions, 0);
    int64_t errors = 0;
    while (read + skipped < records && !stop.load()) {
      if (Clock::now() >= deadline) {
        timed_out = true;
        return;
      }
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
      if (!assigned.load()) check_assignment();
      if (!m) continue;
      if (m->err) {
        if (errors++ == 0) std::cerr << "mock consumer: " << rd_kafka_message_errstr(m) << "\n";
      } else if (m->partition >= 0 && m->partition < kPartitions && m->offset >= next[m->partition]) {
        skipped += m->offset - next[m->partition];
        next[m->partition] = m->offset + 1;
        if (++read == records) last_read = Clock::now();
      }
      rd_kafka_message_destroy(m);
    }
  }

  void check_assignment() {
    rd_kafka_topic_partition_list_t* parts = nullptr;
    if (rd_kafka_assignment(rk_, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR && parts) {
      if (parts->cnt == kPartitions) {
        assigned_at = Clock::now();
        assigned.store(true);
      }
      rd_kafka_topic_partition_list_destroy(parts);
    }
  }

  rd_kafka_t* rk_ = nullptr;
};

Result run_mock(Mode mode, int64_t records, double timeout_s) {
  Result r;
  r.system = "mock";
  r.mode = mode;
  r.records = records;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timeout_s));
  bool produced = false;
  Clock::time_point first_send;
  {
    MockCluster cluster;
    MockProducer producer(cluster.bootstraps());
    std::optional<MockConsumer> reader;  // sequential: made once every record is acknowledged
    producer.warm_up();
    if (mode == Mode::sequential) {
      first_send = Clock::now();
      produced = producer.produce(records, deadline);
      if (produced) {
        const int64_t kept = producer.retained();
        if (kept < records) {
          r.incomplete = fmt::format("the mock kept {} of {} records (at most 5 MiB per partition): "
                                     "they cannot all be read back", kept, records);
        } else {
          reader.emplace(cluster.bootstraps());
          reader->run(records, deadline);
        }
      }
    } else {
      reader.emplace(cluster.bootstraps());
      MockConsumer& consumer = *reader;
      std::thread thread([&] { consumer.run(records, deadline); });
      while (!consumer.assigned.load() && !consumer.done.load() && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (consumer.assigned.load()) {
        first_send = Clock::now();
        produced = producer.produce(records, deadline, &consumer.read);
      }
      if (!produced) consumer.stop.store(true);
      thread.join();
    }
    r.acked = producer.delivery.ok;
    r.capped = !produced;
    if (producer.delivery.failed > 0)
      r.error = fmt::format("{} records failed, the first with {}", producer.delivery.failed, producer.delivery.first_error);
    if (produced) r.produce_s = seconds(first_send, producer.delivery.last);
    if (reader) {
      const MockConsumer& consumer = *reader;
      if (!consumer.error.empty()) r.error = consumer.error;
      r.read = consumer.read;
      r.capped = r.capped || consumer.timed_out;
      if (consumer.skipped > 0)
        r.incomplete = fmt::format("the mock deleted {} records before the consumer got to them (at most 5 MiB per "
                                   "partition)", consumer.skipped);
      if (consumer.assigned.load()) r.join_s = seconds(consumer.start, consumer.assigned_at);
      if (r.read >= records) {
        r.wall_s = seconds(first_send, consumer.last_read);
        r.consume_s = std::max(0.0, seconds(producer.delivery.last, consumer.last_read));
      }
    }
    if (r.capped && first_send != Clock::time_point{}) {
      r.wall_s = seconds(first_send, Clock::now());  // the rate reached is what was read in that time
    }
  }
  r.whole_s = seconds(start, Clock::now());
  r.detail = fmt::format("librdkafka {}, {} acknowledged, {} read back", rd_kafka_version_str(), r.acked, r.read);
  if (r.capped)
    r.detail += fmt::format("; stopped by the {:.0f} s cap (--mock-timeout) after {:.1f} s: {} acknowledged/s, {} read/s",
                            timeout_s, r.wall_s, thousands(r.wall_s > 0 ? static_cast<double>(r.acked) / r.wall_s : 0),
                            thousands(r.rate()));
  return r;
}

// ---- the report ----

void print_row(const Result& r) {
  std::string rate = "-";
  if (r.complete()) rate = thousands(r.rate());
  else if (r.capped && r.error.empty() && r.incomplete.empty()) rate = thousands(r.rate()) + " (capped)";
  else if (!r.incomplete.empty()) rate = "- (incomplete)";
  else rate = "- (error)";
  fmt::print("{:<9} {:<10} {:>9} {:>9.2f} {:>9.2f} {:>7.2f} {:>7.2f} {:>8.2f} {:>6.2f}  {}\n", r.system, name(r.mode),
             r.records, r.produce_s, r.consume_s, r.join_s, r.wall_s, r.whole_s, r.cpu_s, rate);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kafkasim_peer_bench: the same workload on kafkasim and on librdkafka's mock cluster"};
  std::vector<int64_t> sizes;
  int64_t rate = 50000;
  double mock_timeout = 120;
  std::string only, mode_name = "both";
  std::string scenario = KAFKASIM_PEER_SCENARIO;
  app.add_option("--records", sizes, "Records per run; repeatable (default: 100000 and 1000000)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  app.add_option("--mode", mode_name, "sequential: read back after the last acknowledgement; overlap: read while producing")
      ->check(CLI::IsMember({"sequential", "overlap", "both"}))
      ->capture_default_str();
  app.add_option("--rate", rate, "kafkasim's producer rate, records per simulated second")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--mock-timeout", mock_timeout, "Wall-time cap of each mock run, seconds")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--only", only, "Run one system only")->check(CLI::IsMember({"kafkasim", "mock"}));
  app.add_option("--scenario", scenario, "kafkasim's scenario")->check(CLI::ExistingFile)->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (sizes.empty()) sizes = {100'000, 1'000'000};
  std::vector<Mode> modes;
  if (mode_name != "overlap") modes.push_back(Mode::sequential);
  if (mode_name != "sequential") modes.push_back(Mode::overlap);

  fmt::print("peer benchmark: {} brokers, {} partitions, RF={}, acks=all, linger.ms=5, {}-byte values, {} keys, one\n"
             "group member reading every record back (sequential: after the last acknowledgement; overlap: while\n"
             "the producer sends). kafkasim: {} at {} records/s simulated;\n"
             "mock: librdkafka {} rdkafka_mock, the producer sending as fast as it can (overlap: at most {}\n"
             "records ahead of the consumer).\n\n",
             kBrokers, kPartitions, kReplicationFactor, kValueBytes, kKeys, scenario, rate, rd_kafka_version_str(),
             thousands(static_cast<double>(kMockMaxAhead)));

  std::vector<Result> results;
  int status = 0;
  for (const Mode mode : modes) {
    for (const int64_t n : sizes) {
      for (const std::string system : {"kafkasim", "mock"}) {
        if (!only.empty() && only != system) continue;
        Result r;
        const double cpu_before = cpu_seconds();
        try {
          r = system == "kafkasim" ? run_kafkasim(scenario, mode, n, rate) : run_mock(mode, n, mock_timeout);
        } catch (const std::exception& e) {
          r.system = system;
          r.mode = mode;
          r.records = n;
          r.error = e.what();
        }
        r.cpu_s = cpu_seconds() - cpu_before;
        std::string line = fmt::format("{} {} {}: {}", r.system, name(mode), n, r.detail);
        if (!r.incomplete.empty()) line += "; " + r.incomplete;
        if (!r.error.empty()) line += "; error: " + r.error;
        std::cerr << line << "\n";
        if (!r.error.empty()) status = 1;
        results.push_back(std::move(r));
      }
    }
  }

  fmt::print("\n{:<9} {:<10} {:>9} {:>9} {:>9} {:>7} {:>7} {:>8} {:>6}  {}\n", "system", "mode", "records", "produce s",
             "consume s", "join s", "wall s", "whole s", "cpu s", "records/s");
  for (const Result& r : results) print_row(r);
  fmt::print("\nproduce: first send to last acknowledgement; consume: from there to the last record read; join:\n"
             "the consumer's start to its assignment; wall: first send to last record read (sequential: the\n"
             "join included); records/s: records read / wall; whole: the run with set-up and tear-down\n"
             "(kafkasim: the scenario's load and its idle simulated tail); cpu: the process's CPU time over\n"
             "the whole run, all threads (kafkasim runs on one, the mock's clients and brokers on several).\n\n");
  for (const Mode mode : modes) {
    for (const int64_t n : sizes) {
      const Result* k = nullptr;
      const Result* m = nullptr;
      for (const Result& r : results)
        if (r.records == n && r.mode == mode) (r.system == "kafkasim" ? k : m) = &r;
      if (!k || !m) continue;
      std::string line = fmt::format("{:<10} {:>9} records: ", name(mode), n);
      if (!k->complete()) {
        line += "no ratio: kafkasim did not complete";
      } else if (!m->incomplete.empty() || !m->error.empty() || m->rate() <= 0) {
        line += "no ratio: " + (m->incomplete.empty() ? (m->error.empty() ? "the mock read nothing" : m->error) : m->incomplete);
      } else {
        line += fmt::format("kafkasim/mock speed {:.2f}x", k->rate() / m->rate());
        if (mode == Mode::sequential)
          line += fmt::format(", {:.2f}x leaving out the group join", k->rate_without_join() / m->rate_without_join());
        if (m->capped) line += " (the mock was capped: against the rate it reached)";
      }
      fmt::print("{}\n", line);
    }
  }
  return status;
}
