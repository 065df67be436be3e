#pragma once
// The Messages view's data: the protocol messages around the moments a learner looks at, for a
// space-time diagram (nodes as lanes, each message an arrow from its send to its arrival).
//
// A run sends millions of messages, so the file keeps them around moments: each fault and its
// end (crash, restart, shutdown, pause, resume, partition, isolation, heal, slow links and
// disks), each note, each log truncation, each send that failed or timed out, and each request
// a producer gave up waiting for (request.timeout.ms). A moment keeps the messages sent just
// before it (the last kBefore) and the next kAfter sent within kWindowNs after it; moments
// closer together share their messages. Failed sends and timeouts come in floods (every batch
// of a crashed leader fails at once): one within kWindowNs of the last of its kind joins that
// moment, and together they take at most half of kMaxMoments, so faults and notes always find
// room. What was left out is said in the file.
//
// A message is paired with its arrival by its link and kind: the network keeps a connection's
// messages in order, so the n-th net.recv of (from, to, msg) is the n-th net.send of it that
// was not dropped; a drop at the very time of the link's last send is that send's (refused at
// once), any other the oldest in flight. A net.reset ends the connection: what was in flight on
// it is dropped as it would have arrived ("connection-reset"), while the next connection's
// messages may arrive first, so the reset's messages are set apart and only those drops take
// them. A message that never arrived is marked: dropped (net.drop, with its reason) or not
// delivered by the end of the trace.
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "reports/view_data.hpp"

namespace report {

class MessagesData final : public ViewData {
 public:
  static constexpr size_t kBefore = 60;                      // messages kept from before a moment
  static constexpr size_t kAfter = 240;                      // messages kept after it
  static constexpr int64_t kWindowNs = 200'000'000;          // how long after a moment
  static constexpr size_t kMaxMoments = 400;                 // moments kept (and timeouts drawn)
  static constexpr size_t kMaxMessages = 60'000;             // messages kept in all

  const char* name() const override { return "messages"; }
  void write(const sim::Event& e) override;
  nlohmann::ordered_json json(int64_t end_ns) const override;
  void summarised(std::vector<std::string>& out) const override;

 private:
  struct Message {
    int64_t sent_ns = 0;
    int64_t received_ns = -1;  // -1: never arrived
    uint32_t from = 0, to = 0;  // into nodes_
    std::string msg;
    std::string detail;        // the message's own fields, e.g. "correlation_id=3 error=NONE"
    std::string dropped;       // the drop's reason, if it was dropped
  };
  struct Moment {
    int64_t time_ns = 0;
    std::string what;
    // Failed sends and request timeouts: the kind of flood it stands for, and how many more of
    // it within kWindowNs joined it.
    int flood = 0;
    size_t more = 0;
  };
  // A request a producer stopped waiting for, drawn where it gave up.
  struct Timeout {
    int64_t time_ns = 0;
    uint32_t node = 0;
    int64_t peer = -1;  // -1: not known
    std::string api;
    int64_t correlation_id = -1;
  };
  // A link's messages in flight, by their number among every message sent: on its current
  // connection, and those of connections a net.reset ended.
  struct InFlight {
    std::deque<uint64_t> current, reset;
  };
  // A link and a kind of message (sender, receiver, msg: indexes) as one number.
  static uint64_t link(uint32_t from, uint32_t to, uint32_t msg) { return (uint64_t{from} << 42) | (uint64_t{to} << 21) | msg; }

  uint32_t node_index(std::string_view name);
  uint32_t msg_index(std::string_view msg);
  // flood: 0 for a moment of its own, else the kind of flood it belongs to (1 failed sends,
  // 2 timeouts).
  void moment(int64_t now, std::string what, int flood = 0);
  void reset(uint32_t a, uint32_t b);
  // Keeps m (or not) and tracks it until it arrives or is dropped.
  void sent(Message m);
  // The message numbered `n` if the file keeps it or may still (it is among the recent ones).
  Message* find(uint64_t n);

  std::vector<std::string> nodes_;
  std::map<std::string, uint32_t, std::less<>> node_ids_;
  std::map<std::string, uint32_t, std::less<>> msg_ids_;
  // Each link's messages in flight, by their number among every message sent.
  std::unordered_map<uint64_t, InFlight> in_flight_;
  // The last message sent: a drop on its link at its time is its own (the network refused it
  // at once: link down, connection refused), not the oldest in flight.
  struct LastSent {
    uint64_t link = 0, n = 0;
    int64_t time_ns = -1;
  } last_sent_;
  std::deque<std::pair<uint64_t, Message>> recent_;  // the last kBefore messages not kept, by number
  std::vector<Message> kept_;
  std::map<uint64_t, size_t> kept_in_flight_;  // a kept message not arrived yet: its place in kept_
  std::vector<Moment> moments_;
  size_t flood_moments_ = 0;
  std::vector<Timeout> timeouts_;
  int64_t window_end_ns_ = -1;  // messages sent before it are kept (while kAfter allows)
  size_t window_left_ = 0;
  size_t moments_left_out_ = 0, messages_left_out_ = 0, sent_ = 0;
};

}  // namespace report
