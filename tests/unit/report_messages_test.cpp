// The Messages view's data (reports/messages_data.hpp): messages are kept around moments only,
// each paired with its arrival in the order of its link, a dropped one with its reason.
#include <gtest/gtest.h>

#include "report_view_feed.hpp"
#include "reports/messages_data.hpp"

namespace {

struct Net {
  report::MessagesData data;
  kafkasim_test::ViewFeed feed{data};
  // e at `ms` from node a (1), b (2) or the world (0).
  template <typename E>
  void emit(int64_t ms, sim::NodeId node, const E& e) {
    feed.at_ms(static_cast<double>(ms), e, node == 1 ? "a" : node == 2 ? "b" : "");
  }
  void send(int64_t ms, sim::NodeId from, const char* to, const char* msg) {
    emit(ms, from, sim::event::NetSend{.to = to, .msg = msg, .bytes = 64});
  }
  void recv(int64_t ms, sim::NodeId at, const char* from, const char* msg) { emit(ms, at, sim::event::NetRecv{.from = from, .msg = msg}); }
};

}  // namespace

TEST(ReportMessages, KeptAroundMomentsAndPairedInLinkOrder) {
  Net n;
  // Long before any moment: not kept once enough later messages push them out of the lookback.
  for (int i = 0; i < 100; ++i) {
    n.send(i, 1, "b", "FetchRequest");
    n.recv(i, 2, "a", "FetchRequest");
  }
  n.send(1000, 1, "b", "ProduceRequest");  // arrives after the moment
  n.send(1001, 1, "b", "ProduceRequest");  // dropped
  n.emit(1002, sim::kNoNode, sim::event::NodeCrash{.node = "b", .unflushed = 0, .entries_lost = 0, .files_torn = 0});
  n.recv(1003, 2, "a", "ProduceRequest");
  n.emit(1004, 1, sim::event::NetDrop{.to = "b", .msg = "ProduceRequest", .reason = "receiver-down"});
  n.send(1005, 2, "a", "ProduceResponse");  // in the window, never arrives
  n.send(5000, 2, "a", "ProduceResponse");  // after the window
  const auto j = n.data.json(5000'000'000);
  ASSERT_EQ(j["moments"].size(), 1u);
  EXPECT_EQ(j["sent"], 104);
  const auto& m = j["messages"];
  ASSERT_EQ(m.size(), report::MessagesData::kBefore + 1) << "the lookback before the moment and one message in its window";
  const auto& last = m[m.size() - 1];
  EXPECT_EQ(last["msg"], "ProduceResponse");
  EXPECT_EQ(last["received_ns"], -1);
  EXPECT_FALSE(last.contains("dropped"));
  const auto& first_produce = m[m.size() - 3];
  EXPECT_EQ(first_produce["msg"], "ProduceRequest");
  EXPECT_EQ(first_produce["received_ns"], 1003'000'000) << "the first send of the link arrives first";
  const auto& dropped = m[m.size() - 2];
  EXPECT_EQ(dropped["dropped"], "receiver-down");
  EXPECT_EQ(dropped["received_ns"], -1);
  std::vector<std::string> said;
  n.data.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("of the 104 sent are kept"), std::string::npos) << said[0];
}

// A message the network refuses at once (its link is down) is dropped at its send: the drop is
// that message's, not the older one still in flight on the link, which arrives later.
TEST(ReportMessages, ADropAtTheSendIsThatMessagesOwn) {
  Net n;
  n.emit(0, sim::kNoNode, sim::event::Note{.text = "moment"});
  n.send(1, 1, "b", "FetchRequest");  // in flight
  n.send(2, 1, "b", "FetchRequest");  // refused at once
  n.emit(2, 1, sim::event::NetDrop{.to = "b", .msg = "FetchRequest", .reason = "link-down"});
  n.recv(5, 2, "a", "FetchRequest");
  const auto j = n.data.json(5'000'000);
  const auto& m = j["messages"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["received_ns"], 5'000'000) << "the first arrives";
  EXPECT_FALSE(m[0].contains("dropped"));
  EXPECT_EQ(m[1]["dropped"], "link-down") << "the second was the one refused";
  EXPECT_EQ(m[1]["received_ns"], -1);
}

// A reset ends a connection: what was in flight on it is dropped as it would have arrived, and
// the next connection's messages, with no backlog ahead of them, may arrive first. Each
// arrival and drop still belongs to its own message.
TEST(ReportMessages, AResetConnectionsStragglersAreNotTheNextConnectionsMessages) {
  Net n;
  n.emit(0, sim::kNoNode, sim::event::Note{.text = "moment"});
  n.send(1, 1, "b", "ProduceRequest");  // on the first connection, slow to arrive
  n.emit(2, sim::kNoNode, sim::event::NetReset{.a = "a", .b = "b", .reason = "link-down"});
  n.send(3, 1, "b", "ProduceRequest");  // on the next connection
  n.recv(4, 2, "a", "ProduceRequest");  // the second arrives first
  n.emit(9, 1, sim::event::NetDrop{.to = "b", .msg = "ProduceRequest", .reason = "connection-reset"});  // the first, when it would have
  const auto j = n.data.json(10'000'000);
  const auto& m = j["messages"];
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0]["sent_ns"], 1'000'000);
  EXPECT_EQ(m[0]["dropped"], "connection-reset");
  EXPECT_EQ(m[0]["received_ns"], -1);
  EXPECT_EQ(m[1]["sent_ns"], 3'000'000);
  EXPECT_EQ(m[1]["received_ns"], 4'000'000);
  EXPECT_FALSE(m[1].contains("dropped"));
}

// A crashed leader fails a whole flood of sends at once. They join one moment per 200 ms, and
// together take at most half the moments, so a fault or a note after them still has room.
TEST(ReportMessages, AFloodOfFailedSendsLeavesRoomForFaultsAndNotes) {
  Net n;
  const auto fail = [&](int64_t ms, int64_t op) {
    n.emit(ms, 1, kafka::event::OpFail{.process = "p", .op = op, .f = "send", .partition = 0, .offset = -1, .error = "NOT_ENOUGH_REPLICAS", .cause = "NONE"});
  };
  for (int i = 0; i < 50; ++i) fail(i, i);  // one moment: all within 200 ms of the first
  for (int i = 0; i < 1000; ++i) fail(1000 + 300 * i, 50 + i);  // a moment each, 300 ms apart
  n.emit(400'000, sim::kNoNode, sim::event::Note{.text = "the fix"});
  const auto j = n.data.json(500'000'000'000);
  const auto& moments = j["moments"];
  ASSERT_EQ(moments.size(), report::MessagesData::kMaxMoments / 2 + 1);
  EXPECT_NE(moments[0]["what"].get<std::string>().find("(and 49 more within 200 ms)"), std::string::npos) << moments[0]["what"];
  EXPECT_EQ(moments[moments.size() - 1]["what"], "note: the fix");
  std::vector<std::string> said;
  n.data.summarised(said);
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].find("801 moments were left out"), std::string::npos) << said[0];
}

// A request the producer stopped waiting for is a moment, and drawn where it gave up.
TEST(ReportMessages, ARequestTimeoutIsAMomentAndMarked) {
  Net n;
  n.send(1, 1, "b", "ProduceRequest");
  n.emit(30'001, 1, kafka::event::ProducerRequestTimeout{.client_id = "p", .api = "Produce", .correlation_id = 7, .peer = "b"});
  const auto j = n.data.json(40'000'000'000);
  ASSERT_EQ(j["moments"].size(), 1u);
  EXPECT_EQ(j["moments"][0]["what"], "a's Produce request 7 to b timed out");
  ASSERT_EQ(j["timeouts"].size(), 1u);
  const auto& t = j["timeouts"][0];
  EXPECT_EQ(t["time_ns"], 30'001'000'000);
  EXPECT_EQ(j["nodes"][t["node"].get<size_t>()], "a");
  EXPECT_EQ(j["nodes"][t["peer"].get<size_t>()], "b");
  EXPECT_EQ(t["api"], "Produce");
  EXPECT_EQ(t["correlation_id"], 7);
  EXPECT_EQ(j["messages"].size(), 1u) << "the request it gave up on is kept, from before the moment";
}
