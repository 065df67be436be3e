#pragma once
// Feeds a report view's data (reports/view_data.hpp) events built with the trace's own emitters,
// so a test says what happened in the schema's words and the view reads it as it reads a run.
#include <cstdint>
#include <span>
#include <string_view>

#include "broker_model/trace_schema.hpp"
#include "reports/view_data.hpp"

namespace kafkasim_test {

class ViewFeed {
 public:
  explicit ViewFeed(report::ViewData& view) : view_(view) {}
  // e at `ms` milliseconds, from `node`.
  template <typename E>
  void at_ms(double ms, const E& e, std::string_view node = "") {
    sim::schema::with_fields(e, [&](std::span<const sim::Field> fields) {
      view_.write(sim::Event{seq_++, sim::Time{static_cast<int64_t>(ms * 1e6)}, 0, node, E::spec.name, fields, &E::spec});
    });
  }

 private:
  report::ViewData& view_;
  uint64_t seq_ = 0;
};

}  // namespace kafkasim_test
