#pragma once
// Seeded randomness of our own. The generator (xoshiro256**) and every distribution are
// written here, not taken from <random>, because std distributions differ between standard
// libraries and a seed must replay the same run anywhere the binary runs.
//
// Each component draws from its own stream, derived from (run seed, component name), so
// adding a consumer to a scenario does not shift the network's jitter draws.
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/time.hpp"

namespace sim {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0);
  // The stream for one named component of a run.
  static Rng stream(uint64_t run_seed, std::string_view name);

  uint64_t next_u64();

  // Uniform integer in [lo, hi], both inclusive; unbiased (Lemire's method with rejection).
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform index in [0, n).
  size_t index(size_t n) { return static_cast<size_t>(uniform_int(0, static_cast<int64_t>(n) - 1)); }
  // Uniform double in [0, 1) with 53 random bits.
  double uniform_real();
  double uniform_real(double lo, double hi) { return lo + (hi - lo) * uniform_real(); }
  bool bernoulli(double p) { return p > 0 && uniform_real() < p; }
  double exponential(double mean);
  double normal(double mean, double stddev);
  // exp(normal(mu, sigma)); median = exp(mu).
  double lognormal(double mu, double sigma);

  template <typename T>
  const T& choice(std::span<const T> items) { return items[index(items.size())]; }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[index(i)]);
  }

 private:
  uint64_t s_[4];
};

// A distribution of durations, as scenario files describe latencies and processing times.
struct DurationDist {
  enum class Kind { constant, uniform, normal, lognormal, exponential };
  Kind kind = Kind::constant;
  Duration a;         // constant value, uniform low, normal mean, lognormal median, exponential mean
  Duration b;         // uniform high, normal stddev
  double sigma = 0;   // lognormal shape

  static DurationDist constant(Duration d) { return {Kind::constant, d, {}, 0}; }
  Duration sample(Rng& rng) const;
  Duration mean() const;
};

}  // namespace sim
