#pragma once
// One view's data: the part of the report model that a view of the page (reports/web/<view>.js)
// draws beyond the Summary's, read from the trace by the view itself. Each writes one block of
// the model's JSON, `views.<name>`, so a view's data and its drawing change together and a new
// view touches nothing of the others.
//
// A block grows with the run only as far as its own caps let it: what a view left out it says
// in `summarised`, which the file shows (a long run's report summarises and says so).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/report_model.hpp"
#include "sim/trace.hpp"

namespace report {

// The largest offset a view keeps state for offset by offset (a bit, an index): 64M records in
// one partition. A run's logs stay far below it; a crafted trace's larger (or negative) offsets
// are not tracked, so no trace can make a view allocate by naming one.
inline constexpr int64_t kMaxTrackedOffset = int64_t{1} << 26;

class ViewData {
 public:
  virtual ~ViewData() = default;
  // The block's name under the model's "views" (the page's view of the same name reads it).
  virtual const char* name() const = 0;
  // Every event of the trace, in order.
  virtual void write(const sim::Event& e) = 0;
  // The block as the trace stands; `end_ns` is the last event's time.
  virtual nlohmann::ordered_json json(int64_t end_ns) const = 0;
  // What the block left out, one line each.
  virtual void summarised(std::vector<std::string>& out) const { (void)out; }
};

// Every view's data, in the order of the page's views.
std::vector<std::unique_ptr<ViewData>> make_view_data(const Limits& limits);

}  // namespace report
