#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "sim/random.hpp"

using namespace sim;

TEST(Random, SameSeedSameSequence) {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differs |= x != c.next_u64();
  }
  EXPECT_TRUE(differs);
}

TEST(Random, GeneratorOutputIsPinned) {
  // A trace hash recorded today must replay on any machine and any later build: the
  // generator's output may never change silently. These are xoshiro256**'s first outputs for
  // a state seeded by SplitMix64 from 0, checked against an independent implementation.
  Rng r(0);
  const uint64_t first = r.next_u64();
  const uint64_t second = r.next_u64();
  Rng again(0);
  EXPECT_EQ(again.next_u64(), first);
  EXPECT_EQ(again.next_u64(), second);
  EXPECT_EQ(first, 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(second, 0xbf6e1f784956452aULL);
}

TEST(Random, StreamsDependOnNameAndSeedOnly) {
  Rng net1 = Rng::stream(7, "network");
  Rng other = Rng::stream(7, "consumer-1");  // creating another stream shifts nothing
  (void)other.next_u64();
  Rng net2 = Rng::stream(7, "network");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(net1.next_u64(), net2.next_u64());
  EXPECT_NE(Rng::stream(7, "network").next_u64(), Rng::stream(8, "network").next_u64());
  EXPECT_NE(Rng::stream(7, "network").next_u64(), Rng::stream(7, "networl").next_u64());
}

TEST(Random, UniformIntCoversRangeEvenly) {
  Rng r(1);
  std::map<int64_t, int> counts;
  const int n = 60000;
  for (int i = 0; i < n; ++i) {
    const int64_t v = r.uniform_int(-2, 3);
    ASSERT_GE(v, -2);
    ASSERT_LE(v, 3);
    ++counts[v];
  }
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [v, c] : counts) EXPECT_NEAR(c, n / 6, n / 6 * 0.05) << v;
  EXPECT_EQ(r.uniform_int(5, 5), 5);
}

TEST(Random, DistributionsHaveTheirMeans) {
  Rng r(2);
  const int n = 200000;
  double sum_u = 0, sum_e = 0, sum_n = 0, sum_n2 = 0;
  std::vector<double> logn;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform_real();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    sum_e += r.exponential(3.0);
    const double x = r.normal(10.0, 2.0);
    sum_n += x;
    sum_n2 += x * x;
    logn.push_back(r.lognormal(std::log(5.0), 0.5));
  }
  EXPECT_NEAR(sum_u / n, 0.5, 0.01);
  EXPECT_NEAR(sum_e / n, 3.0, 0.05);
  const double mean = sum_n / n;
  EXPECT_NEAR(mean, 10.0, 0.03);
  EXPECT_NEAR(std::sqrt(sum_n2 / n - mean * mean), 2.0, 0.03);
  std::nth_element(logn.begin(), logn.begin() + n / 2, logn.end());
  EXPECT_NEAR(logn[n / 2], 5.0, 0.1) << "the median of a lognormal is exp(mu)";
}

TEST(Random, ShuffleIsAPermutationAndDeterministic) {
  std::vector<int> a(20), b;
  for (int i = 0; i < 20; ++i) a[i] = i;
  b = a;
  Rng r1(9), r2(9);
  r1.shuffle(a);
  r2.shuffle(b);
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(sorted[i], i);
  EXPECT_NE(a, sorted);
}

TEST(Random, DurationDistributions) {
  Rng r(3);
  DurationDist u{DurationDist::Kind::uniform, Duration::millis(1), Duration::millis(3), 0};
  for (int i = 0; i < 1000; ++i) {
    const Duration d = u.sample(r);
    EXPECT_GE(d, Duration::millis(1));
    EXPECT_LE(d, Duration::millis(3));
  }
  DurationDist normal{DurationDist::Kind::normal, Duration::millis(1), Duration::millis(5), 0};
  for (int i = 0; i < 1000; ++i) EXPECT_GE(normal.sample(r).ns, 0) << "delays are never negative";
  EXPECT_EQ(DurationDist::constant(Duration::millis(4)).sample(r), Duration::millis(4));
}
