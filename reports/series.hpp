#pragma once
// A time series kept to a bounded number of points however long the run: samples fall into
// buckets of `width` nanoseconds (the largest sample of a bucket stands for it), and when the
// buckets would pass `max_points` the width doubles and neighbours merge. A reader is told
// the width, so a coarse series says it is one.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace report {

class MaxSeries {
 public:
  explicit MaxSeries(int64_t width_ns = 1'000'000'000, size_t max_points = 2000) : width_(width_ns), max_points_(max_points) {}
  void add(int64_t t_ns, int64_t value);
  int64_t width_ns() const { return width_; }
  size_t samples() const { return samples_; }
  // Each point as [bucket start ns, value].
  const std::vector<std::pair<int64_t, int64_t>>& points() const { return points_; }
  // {"bucket_ns", "points": [[t, v], ...]}
  nlohmann::ordered_json json() const;

 private:
  void coarsen();

  int64_t width_;
  size_t max_points_;
  size_t samples_ = 0;
  std::vector<std::pair<int64_t, int64_t>> points_;
};

}  // namespace report
