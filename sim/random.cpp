#include "sim/random.hpp"
#include "sim/assert.hpp"

#include <cmath>

#include "sim/hash.hpp"

namespace sim {

namespace {
constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(uint64_t seed) {
  // SplitMix64 expands one word into the four state words, as xoshiro's authors advise.
  uint64_t x = seed;
  for (auto& w : s_) {
    x += 0x9e3779b97f4a7c15ULL;
    w = mix64(x - 0x9e3779b97f4a7c15ULL);
  }
}

Rng Rng::stream(uint64_t run_seed, std::string_view name) {
  return Rng(mix64(run_seed) ^ fnv1a64(name));
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

int64_t Rng::uniform_int(int64_t lo, int64_t hi) {
  SIM_ASSERT(lo <= hi);
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (range == UINT64_MAX) return static_cast<int64_t>(next_u64());
  const uint64_t n = range + 1;
  // Lemire: multiply-shift, rejecting the few low products that would bias the result.
  u128 m = static_cast<u128>(next_u64()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<u128>(next_u64()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + static_cast<uint64_t>(m >> 64));
}

double Rng::uniform_real() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

double Rng::exponential(double mean) {
  // 1 - u lies in (0, 1], so the log is finite.
  return -mean * std::log(1.0 - uniform_real());
}

double Rng::normal(double mean, double stddev) {
  // Box-Muller; one value per call keeps the stream's position independent of history.
  const double u1 = 1.0 - uniform_real();
  const double u2 = uniform_real();
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double Rng::lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

Duration DurationDist::sample(Rng& rng) const {
  double ns = 0;
  switch (kind) {
    case Kind::constant: return a;
    case Kind::uniform: return Duration{rng.uniform_int(a.ns, b.ns)};
    case Kind::normal: ns = rng.normal(static_cast<double>(a.ns), static_cast<double>(b.ns)); break;
    case Kind::lognormal: ns = static_cast<double>(a.ns) * std::exp(rng.normal(0.0, sigma)); break;
    case Kind::exponential: ns = rng.exponential(static_cast<double>(a.ns)); break;
  }
  if (!(ns > 0)) return Duration{0};
  if (ns > 9e18) return Duration::max();
  return Duration{static_cast<int64_t>(std::llround(ns))};
}

Duration DurationDist::mean() const {
  switch (kind) {
    case Kind::constant: return a;
    case Kind::uniform: return Duration{a.ns + (b.ns - a.ns) / 2};
    case Kind::normal: return a;
    case Kind::lognormal: return Duration{static_cast<int64_t>(static_cast<double>(a.ns) * std::exp(sigma * sigma / 2))};
    case Kind::exponential: return a;
  }
  return a;
}

}  // namespace sim
