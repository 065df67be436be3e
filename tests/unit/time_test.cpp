#include <gtest/gtest.h>

#include "sim/time.hpp"

using namespace sim;

TEST(Time, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250us")->ns, 250'000);
  EXPECT_EQ(parse_duration("5ms")->ns, 5'000'000);
  EXPECT_EQ(parse_duration("2s")->ns, 2'000'000'000);
  EXPECT_EQ(parse_duration("1m")->ns, 60'000'000'000);
  EXPECT_EQ(parse_duration("1h")->ns, 3'600'000'000'000);
  EXPECT_EQ(parse_duration("100ns")->ns, 100);
  EXPECT_EQ(parse_duration("1.5s")->ns, 1'500'000'000);
  EXPECT_EQ(parse_duration("0.25ms")->ns, 250'000);
  EXPECT_EQ(parse_duration("30")->ns, 30'000'000) << "a bare number is milliseconds";
  EXPECT_EQ(parse_duration(" 7 s ")->ns, 7'000'000'000);
}

TEST(Time, RejectsMalformedText) {
  for (const char* bad : {"", "ms", "5 parsecs", "1.2.3s", "-5s", "s5", "5sec", "99999999999999999999h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(Time, FormatsReadably) {
  EXPECT_EQ(format_duration(Duration::millis(1500)), "1.5s");
  EXPECT_EQ(format_duration(Duration::millis(250)), "250ms");
  EXPECT_EQ(format_duration(Duration::micros(12)), "12us");
  EXPECT_EQ(format_duration(Duration::nanos(7)), "7ns");
  EXPECT_EQ(format_duration(Duration::seconds(60)), "60s");
}

TEST(Time, AdditionSaturatesInsteadOfWrapping) {
  const Time t{1000};
  EXPECT_EQ(t + Duration::max(), Time::max());
  EXPECT_LT(t, t + Duration{1});
}
