#include <gtest/gtest.h>

#include "test_nodes.hpp"

using namespace kafkasim_test;

TEST(Topology, RackLatenciesApplyAcrossRacksOnly) {
  Topology t;
  t.add_node(0, "r1");
  t.add_node(1, "r1");
  t.add_node(2, "r2");
  t.set_default(constant_link(Duration::millis(1)));
  t.set_rack_link("r1", "r2", constant_link(Duration::millis(7)));
  EXPECT_EQ(t.params(0, 1).latency.a, Duration::millis(1));
  EXPECT_EQ(t.params(0, 2).latency.a, Duration::millis(7));
  EXPECT_EQ(t.params(2, 1).latency.a, Duration::millis(7));
  t.set_override(0, 1, constant_link(Duration::millis(50)));
  EXPECT_EQ(t.params(0, 1).latency.a, Duration::millis(50));
  EXPECT_EQ(t.params(1, 0).latency.a, Duration::millis(1)) << "overrides are one way";
  t.clear_overrides();
  EXPECT_EQ(t.params(0, 1).latency.a, Duration::millis(1));
}

TEST(Topology, ComponentsFollowTwoWayReachability) {
  Topology t;
  for (NodeId i = 0; i < 5; ++i) t.add_node(i, "");
  // {0,1} | {2,3,4}
  for (NodeId a : {0u, 1u})
    for (NodeId b : {2u, 3u, 4u}) {
      t.set_up(a, b, false);
      t.set_up(b, a, false);
    }
  auto groups = t.components();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0], (std::vector<NodeId>{0, 1}));
  EXPECT_EQ(groups[1], (std::vector<NodeId>{2, 3, 4}));
  // A one-way link makes 2 reach 0, but not the other way: still two components.
  t.set_up(2, 0, true);
  EXPECT_TRUE(t.reachable(2, 1)) << "2 -> 0 -> 1";
  EXPECT_FALSE(t.reachable(1, 2));
  EXPECT_EQ(t.components().size(), 2u);
  t.heal_all();
  EXPECT_EQ(t.components().size(), 1u);
}

TEST(Topology, GrowsAsNodesAreAddedAndKeepsExistingCuts) {
  Topology t;
  t.add_node(0, "");
  t.add_node(1, "");
  t.set_up(0, 1, false);
  for (NodeId i = 2; i < 40; ++i) t.add_node(i, "");
  EXPECT_FALSE(t.up(0, 1));
  EXPECT_TRUE(t.up(1, 0));
  EXPECT_TRUE(t.reachable(0, 39));
}
