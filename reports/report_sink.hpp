#pragma once
// ReportSink: reads a run's trace, live or from a JSON Lines file, into the report's model:
// the scenario, notes, fault bands, the drain, the checks and the operation counts. It keeps
// only what the report shows, so a run of millions of events costs it little.
//
// Fault bands: a crash or a clean shutdown lasts until the node restarts, a pause until it
// resumes, a partition, an isolation or a one-way block until the next heal (or the drain's),
// a slow network until the next change of the same link or a heal, a slow disk until the next
// change of its latency; whatever is still open when the trace ends is closed there and marked
// so.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "reports/report_model.hpp"
#include "reports/view_data.hpp"
#include "sim/trace.hpp"

namespace report {

class ReportSink final : public sim::TraceSink {
 public:
  explicit ReportSink(Limits limits = {}) : limits_(limits), views_(make_view_data(limits)) {}
  void write(const sim::Event& e) override;
  // The model so far, its open fault bands closed at the last event.
  Model model() const;

 private:
  // The operations the Summary counts, in the order it shows them.
  struct OpCounts {
    int64_t sends = 0, acknowledged = 0, failed = 0, indefinite = 0, polls = 0, records_polled = 0;
    int64_t crashes = 0, shutdowns = 0, restarts = 0, pauses = 0, partitions = 0, notes = 0;
  };

  void handle(const sim::event::Scenario::View& v);
  void handle(const sim::event::Note::View& v);
  void handle(const sim::event::Check::View& v);
  void handle(const sim::event::DrainStart::View& v);
  void handle(const sim::event::DrainEnd::View& v);
  void handle(const sim::event::NodeCrash::View& v);
  void handle(const sim::event::NodeShutdown::View& v);
  void handle(const sim::event::NodeRestart::View& v);
  void handle(const sim::event::NodePause::View& v);
  void handle(const sim::event::NodeResume::View& v);
  void handle(const sim::event::FaultPartition::View& v);
  void handle(const sim::event::FaultBlock::View& v);
  void handle(const sim::event::FaultIsolate::View& v);
  void handle(const sim::event::FaultHeal::View& v);
  void handle(const sim::event::FaultSlowNetwork::View& v);
  void handle(const sim::event::FaultSlowDisk::View& v);
  void handle(const kafka::event::ConfigChange::View& v);
  void handle(const kafka::event::OpInvoke::View& v);
  void handle(const kafka::event::OpOk::View& v);
  void handle(const kafka::event::OpFail::View& v);
  void handle(const kafka::event::OpInfo::View& v);
  void handle(const kafka::event::OpPollRecord::View& v);

  // `key` names what ends the band ("node:broker-1", "net:partition"); a band already open
  // under it is closed first.
  void open_band(const std::string& key, std::string kind, std::string label);
  void close_band(const std::string& key);
  void close_bands_starting(const std::string& prefix);
  void add_band(FaultBand band);

  Limits limits_;
  Model m_;
  int64_t now_ = 0;  // the time of the event being read
  std::map<std::string, FaultBand> open_;
  OpCounts ops_;
  size_t notes_left_out_ = 0, bands_left_out_ = 0;
  std::vector<std::unique_ptr<ViewData>> views_;
};

}  // namespace report
