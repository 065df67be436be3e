#include <gtest/gtest.h>

#include <vector>

#include "sim/scheduler.hpp"

using namespace sim;

TEST(Scheduler, RunsInTimeOrder) {
  Scheduler s;
  std::vector<int> order;
  s.at(Time{30}, [&] { order.push_back(3); });
  s.at(Time{10}, [&] { order.push_back(1); });
  s.at(Time{20}, [&] { order.push_back(2); });
  while (s.step()) {}
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(s.now(), Time{30});
  EXPECT_EQ(s.events_run(), 3u);
}

TEST(Scheduler, EqualTimesRunInInsertionOrder) {
  Scheduler s;
  std::vector<int> order;
  for (int i = 0; i < 100; ++i) s.at(Time{5}, [&order, i] { order.push_back(i); });
  while (s.step()) {}
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(Scheduler, EventsScheduledForNowRunAfterThoseAlreadyQueued) {
  Scheduler s;
  std::vector<int> order;
  s.at(Time{5}, [&] {
    order.push_back(1);
    s.at(s.now(), [&] { order.push_back(3); });
  });
  s.at(Time{5}, [&] { order.push_back(2); });
  while (s.step()) {}
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(Scheduler, CancelledEventsNeverRun) {
  Scheduler s;
  int ran = 0;
  EventId a = s.at(Time{10}, [&] { ran += 1; });
  EventId b = s.at(Time{20}, [&] { ran += 10; });
  EXPECT_TRUE(s.pending(a));
  EXPECT_TRUE(s.cancel(a));
  EXPECT_FALSE(s.pending(a));
  EXPECT_FALSE(s.cancel(a)) << "cancelling twice is a no-op";
  while (s.step()) {}
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(s.cancel(b)) << "an event that ran cannot be cancelled";
}

TEST(Scheduler, StaleIdsDoNotCancelReusedSlots) {
  Scheduler s;
  int ran = 0;
  EventId a = s.at(Time{1}, [] {});
  s.step();  // a ran; its slot is free
  EventId b = s.at(Time{2}, [&] { ++ran; });
  EXPECT_EQ(a.slot, b.slot) << "the slot is reused";
  EXPECT_FALSE(s.cancel(a));
  s.step();
  EXPECT_EQ(ran, 1);
}

TEST(Scheduler, StepHonoursTheLimit) {
  Scheduler s;
  int ran = 0;
  s.at(Time{10}, [&] { ++ran; });
  s.at(Time{20}, [&] { ++ran; });
  while (s.step(Time{15})) {}
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(s.next_time(), Time{20});
  s.advance_to(Time{15});
  EXPECT_EQ(s.now(), Time{15});
  while (s.step()) {}
  EXPECT_EQ(ran, 2);
  EXPECT_TRUE(s.idle());
}

TEST(Scheduler, CancelledHeadDoesNotHideLaterEvents) {
  Scheduler s;
  EventId a = s.at(Time{1}, [] {});
  s.at(Time{2}, [] {});
  s.cancel(a);
  EXPECT_EQ(s.next_time(), Time{2});
}
