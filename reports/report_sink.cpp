#include "reports/report_sink.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace report {

namespace {

using namespace sim::event;
using namespace kafka::event;

// Every kind the report reads: its list is its code.
using Reads = sim::schema::Reads<Scenario, Note, Check, DrainStart, DrainEnd, NodeCrash, NodeShutdown, NodeRestart, NodePause,
                                 NodeResume, FaultPartition, FaultBlock, FaultIsolate, FaultHeal, FaultSlowNetwork, FaultSlowDisk,
                                 ConfigChange, OpInvoke, OpOk, OpFail, OpInfo, OpPollRecord>;

std::string node_key(std::string_view node) { return fmt::format("node:{}", node); }

}  // namespace

void ReportSink::write(const sim::Event& e) {
  ++m_.events;
  now_ = e.time.ns;
  m_.end_ns = now_;
  Reads::visit(e, [&](const auto& v) { handle(v); });
  for (const auto& view : views_) view->write(e);
}

void ReportSink::handle(const Scenario::View& v) {
  m_.scenario = v.name;
  m_.seed = static_cast<uint64_t>(v.seed);  // the trace writes a seed above 2^63 as negative
  m_.duration_ns = v.duration;
  m_.kafka_version = v.kafka_version;
}

void ReportSink::handle(const Note::View& v) {
  ++ops_.notes;
  if (m_.notes.size() >= limits_.notes) {
    ++notes_left_out_;
    return;
  }
  m_.notes.push_back({now_, std::string(v.text)});
}

// The trace's verdicts, for a report made without the check result (which replaces them).
void ReportSink::handle(const Check::View& v) { m_.checks.push_back({std::string(v.name), v.held, true, std::string(v.detail), {}}); }

// The drain heals the network without a fault.heal of its own (its crashed and paused nodes
// restart and resume with their own events).
void ReportSink::handle(const DrainStart::View&) {
  m_.drain_start_ns = now_;
  close_bands_starting("net:");
  close_bands_starting("slow-net:");
}
void ReportSink::handle(const DrainEnd::View&) { m_.drain_end_ns = now_; }

void ReportSink::handle(const NodeCrash::View& v) {
  ++ops_.crashes;
  open_band(node_key(v.node), "crash", std::string(v.node));
}

void ReportSink::handle(const NodeShutdown::View& v) {
  ++ops_.shutdowns;
  open_band(node_key(v.node), "shutdown", std::string(v.node));
}

void ReportSink::handle(const NodeRestart::View& v) {
  ++ops_.restarts;
  close_band(node_key(v.node));
}

void ReportSink::handle(const NodePause::View& v) {
  ++ops_.pauses;
  open_band(fmt::format("pause:{}", v.node), "pause", std::string(v.node));
}

void ReportSink::handle(const NodeResume::View& v) { close_band(fmt::format("pause:{}", v.node)); }

void ReportSink::handle(const FaultPartition::View& v) {
  ++ops_.partitions;
  open_band("net:partition", "partition", std::string(v.groups));
}

void ReportSink::handle(const FaultBlock::View& v) {
  ++ops_.partitions;
  open_band(fmt::format("net:block:{}>{}", v.from, v.to), "partition", fmt::format("{} -> {} (one way)", v.from, v.to));
}

void ReportSink::handle(const FaultIsolate::View& v) {
  ++ops_.partitions;
  open_band(fmt::format("net:isolate:{}", v.node), "isolation", std::string(v.node));
}

// A heal restores every link and undoes every slow_network.
void ReportSink::handle(const FaultHeal::View&) {
  close_bands_starting("net:");
  close_bands_starting("slow-net:");
}

// A link's latency changed: the band lasts until its next change or a heal.
void ReportSink::handle(const FaultSlowNetwork::View& v) {
  open_band(fmt::format("slow-net:{}|{}", v.from, v.to), "slow-network", fmt::format("{} <-> {}", v.from, v.to));
}

void ReportSink::handle(const FaultSlowDisk::View& v) {
  const std::string key = fmt::format("slow-disk:{}", v.node);
  if (v.latency <= 0) return close_band(key);  // back to a healthy disk
  open_band(key, "slow-disk", fmt::format("{} ({} us per operation)", v.node, v.latency / 1000));
}

// A handful per entity, so kept whole.
void ReportSink::handle(const ConfigChange::View& v) {
  m_.config.push_back({std::string(v.entity), std::string(v.key), std::string(v.value), std::string(v.kafka_default), v.set});
}

void ReportSink::handle(const OpInvoke::View& v) {
  if (v.f == "send") ++ops_.sends;
}

void ReportSink::handle(const OpOk::View& v) {
  if (v.f == "send") ++ops_.acknowledged;
  else if (v.f == "poll") ++ops_.polls;
}

void ReportSink::handle(const OpFail::View&) { ++ops_.failed; }
void ReportSink::handle(const OpInfo::View&) { ++ops_.indefinite; }
void ReportSink::handle(const OpPollRecord::View&) { ++ops_.records_polled; }

void ReportSink::open_band(const std::string& key, std::string kind, std::string label) {
  close_band(key);
  open_.emplace(key, FaultBand{std::move(kind), std::move(label), now_, now_, false});
}

void ReportSink::close_band(const std::string& key) {
  auto it = open_.find(key);
  if (it == open_.end()) return;
  it->second.end_ns = now_;
  add_band(std::move(it->second));
  open_.erase(it);
}

void ReportSink::close_bands_starting(const std::string& prefix) {
  for (auto it = open_.lower_bound(prefix); it != open_.end() && it->first.starts_with(prefix);) {
    it->second.end_ns = now_;
    add_band(std::move(it->second));
    it = open_.erase(it);
  }
}

void ReportSink::add_band(FaultBand band) {
  if (m_.faults.size() >= limits_.fault_bands) {
    ++bands_left_out_;
    return;
  }
  m_.faults.push_back(std::move(band));
}

Model ReportSink::model() const {
  Model m = m_;
  // Bands still open end with the trace, in the order they began.
  std::vector<FaultBand> open;
  for (const auto& [key, band] : open_) open.push_back(band);
  std::stable_sort(open.begin(), open.end(), [](const FaultBand& a, const FaultBand& b) { return a.start_ns < b.start_ns; });
  size_t left_out = bands_left_out_;
  for (FaultBand& b : open) {
    if (m.faults.size() >= limits_.fault_bands) {
      ++left_out;
      continue;
    }
    b.end_ns = m.end_ns;
    b.open_at_end = true;
    m.faults.push_back(std::move(b));
  }
  std::stable_sort(m.faults.begin(), m.faults.end(), [](const FaultBand& a, const FaultBand& b) { return a.start_ns < b.start_ns; });
  if (notes_left_out_ > 0)
    m.summarised.push_back(fmt::format("notes: the first {} of {} are shown", m.notes.size(), m.notes.size() + notes_left_out_));
  if (left_out > 0)
    m.summarised.push_back(fmt::format("fault bands: the first {} of {} are shown", m.faults.size(), m.faults.size() + left_out));
  for (const auto& view : views_) {
    m.views.emplace_back(view->name(), view->json(m.end_ns));
    view->summarised(m.summarised);
  }
  const OpCounts& c = ops_;
  m.counts = {{"events in the trace", static_cast<int64_t>(m.events)},
              {"sends", c.sends},
              {"acknowledged", c.acknowledged},
              {"failed", c.failed},
              {"indefinite (may have been written)", c.indefinite},
              {"polls", c.polls},
              {"records polled", c.records_polled},
              {"crashes", c.crashes},
              {"clean shutdowns", c.shutdowns},
              {"restarts", c.restarts},
              {"pauses", c.pauses},
              {"partitions and isolations", c.partitions},
              {"notes", c.notes}};
  return m;
}

}  // namespace report
