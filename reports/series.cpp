#include "reports/series.hpp"

#include <algorithm>

namespace report {

void MaxSeries::add(int64_t t_ns, int64_t value) {
  ++samples_;
  const int64_t start = t_ns - t_ns % width_;
  if (!points_.empty() && points_.back().first == start) {
    points_.back().second = std::max(points_.back().second, value);
    return;
  }
  points_.emplace_back(start, value);
  if (points_.size() > max_points_) coarsen();
}

// Doubles the width: each point moves to the start of its wider bucket, and points that now
// share one merge into their largest.
void MaxSeries::coarsen() {
  width_ *= 2;
  std::vector<std::pair<int64_t, int64_t>> merged;
  merged.reserve(points_.size() / 2 + 1);
  for (const auto& [t, v] : points_) {
    const int64_t start = t - t % width_;
    if (!merged.empty() && merged.back().first == start) merged.back().second = std::max(merged.back().second, v);
    else merged.emplace_back(start, v);
  }
  points_ = std::move(merged);
}

nlohmann::ordered_json MaxSeries::json() const {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const auto& [t, v] : points_) points.push_back({t, v});
  return {{"bucket_ns", width_}, {"points", std::move(points)}};
}

}  // namespace report
