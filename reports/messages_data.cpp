#include "reports/messages_data.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "broker_model/trace_schema.hpp"

namespace report {

namespace {

using namespace sim::event;
using namespace kafka::event;

// The moments: faults and their ends, notes, truncations, failed sends.
using Moments = sim::schema::Reads<NodeCrash, NodeRestart, NodeShutdown, NodePause, NodeResume, FaultPartition, FaultBlock, FaultIsolate,
                                   FaultHeal, FaultSlowNetwork, FaultSlowDisk, Note, LogTruncate, OpFail, OpInfo, ProducerRequestTimeout>;
using Messages = sim::schema::Reads<NetSend, NetRecv, NetDrop, NetReset>;

// The floods a moment may stand for (MessagesData::Moment::flood).
constexpr int kFailedSends = 1, kTimeouts = 2;

// An event's fields as "name=value", but those named in `skip`.
std::string event_fields(const sim::Event& e, std::initializer_list<std::string_view> skip = {}) {
  std::string out;
  for (const sim::Field& f : e.fields) {
    if (std::find(skip.begin(), skip.end(), f.key) != skip.end()) continue;
    const sim::Value& v = f.value;
    std::string text = v.type() == sim::Value::Type::text      ? std::string(v.text())
                       : v.type() == sim::Value::Type::boolean ? (v.boolean() ? "true" : "false")
                       : v.type() == sim::Value::Type::real    ? fmt::format("{}", v.real())
                                                               : fmt::format("{}", v.integer());
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", f.key, text);
  }
  return out;
}

// A message's own fields: those net.send adds after to, msg and bytes.
std::string message_fields(const sim::Event& e) { return event_fields(e, {"to", "msg", "bytes"}); }

}  // namespace

uint32_t MessagesData::node_index(std::string_view name) {
  auto it = node_ids_.find(name);
  if (it != node_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back(name);
  node_ids_.emplace(std::string(name), id);
  return id;
}

uint32_t MessagesData::msg_index(std::string_view msg) {
  auto it = msg_ids_.find(msg);
  if (it == msg_ids_.end()) it = msg_ids_.emplace(std::string(msg), static_cast<uint32_t>(msg_ids_.size())).first;
  return it->second;
}

void MessagesData::moment(int64_t now, std::string what, int flood) {
  if (flood != 0) {
    for (auto it = moments_.rbegin(); it != moments_.rend() && now - it->time_ns <= kWindowNs; ++it)
      if (it->flood == flood) {
        ++it->more;
        return;
      }
  }
  if (moments_.size() >= kMaxMoments || (flood != 0 && flood_moments_ >= kMaxMoments / 2)) {
    ++moments_left_out_;
    return;
  }
  if (flood != 0) ++flood_moments_;
  moments_.push_back({now, std::move(what), flood, 0});
  // What led up to it, and a window after it.
  for (auto& [n, m] : recent_) {
    if (kept_.size() >= kMaxMessages) {
      ++messages_left_out_;
      continue;
    }
    if (m.received_ns < 0 && m.dropped.empty()) kept_in_flight_[n] = kept_.size();
    kept_.push_back(std::move(m));
  }
  recent_.clear();
  window_end_ns_ = now + kWindowNs;
  window_left_ = kAfter;
}

MessagesData::Message* MessagesData::find(uint64_t n) {
  if (auto k = kept_in_flight_.find(n); k != kept_in_flight_.end()) return &kept_[k->second];
  for (auto& [m_n, m] : recent_)
    if (m_n == n) return &m;
  return nullptr;
}

void MessagesData::sent(Message m) {
  const uint64_t n = sent_++;
  const uint64_t key = link(m.from, m.to, msg_index(m.msg));
  in_flight_[key].current.push_back(n);
  last_sent_ = {key, n, m.sent_ns};
  if (m.sent_ns <= window_end_ns_ && window_left_ > 0 && kept_.size() < kMaxMessages) {
    --window_left_;
    kept_in_flight_[n] = kept_.size();
    kept_.push_back(std::move(m));
    return;
  }
  if (m.sent_ns <= window_end_ns_) ++messages_left_out_;
  recent_.emplace_back(n, std::move(m));
  if (recent_.size() > kBefore) recent_.pop_front();
}

void MessagesData::reset(uint32_t a, uint32_t b) {
  for (auto& [key, q] : in_flight_) {
    const auto from = static_cast<uint32_t>(key >> 42), to = static_cast<uint32_t>((key >> 21) & ((1u << 21) - 1));
    if ((from == a && to == b) || (from == b && to == a)) {
      q.reset.insert(q.reset.end(), q.current.begin(), q.current.end());
      q.current.clear();
    }
  }
}

void MessagesData::write(const sim::Event& e) {
  const int64_t now = e.time.ns;
  Messages::visit(e, [&]<typename V>(const V& v) {
    if constexpr (std::is_same_v<V, NetSend::View>) {
      Message m;
      m.sent_ns = now;
      m.from = node_index(e.node_name);
      m.to = node_index(v.to);
      m.msg = std::string(v.msg);
      m.detail = message_fields(e);
      sent(std::move(m));
    } else if constexpr (std::is_same_v<V, NetReset::View>) {
      // A connect that failed had nothing in flight; any other reset ends a connection.
      if (v.reason != "connection-refused" && v.reason != "connect-timeout") reset(node_index(v.a), node_index(v.b));
    } else {
      const bool recv = std::is_same_v<V, NetRecv::View>;
      bool of_reset = false;  // a drop of what a reset connection had in flight
      uint32_t from, to;
      if constexpr (std::is_same_v<V, NetRecv::View>) {
        from = node_index(v.from), to = node_index(e.node_name);
      } else {
        from = node_index(e.node_name), to = node_index(v.to);
        of_reset = v.reason == "connection-reset";
      }
      const uint64_t key = link(from, to, msg_index(v.msg));
      auto it = in_flight_.find(key);
      if (it == in_flight_.end()) return;  // a drop without a send: never sent at all
      InFlight& q = it->second;
      // Its queue: a reset connection's for its drops, else the current one's; the other when
      // that one is empty.
      std::deque<uint64_t>* from_q = of_reset ? &q.reset : &q.current;
      if (from_q->empty()) from_q = of_reset ? &q.current : &q.reset;
      if (from_q->empty()) return;
      const bool refused_at_send = !recv && from_q == &q.current && last_sent_.link == key && last_sent_.time_ns == now &&
                                   from_q->back() == last_sent_.n;
      const uint64_t n = refused_at_send ? from_q->back() : from_q->front();
      if (refused_at_send) from_q->pop_back();
      else from_q->pop_front();
      if (q.current.empty() && q.reset.empty()) in_flight_.erase(it);
      Message* m = find(n);
      kept_in_flight_.erase(n);
      if (m == nullptr) return;
      if (recv) m->received_ns = now;
      if constexpr (std::is_same_v<V, NetDrop::View>) m->dropped = std::string(v.reason);
    }
  });
  Moments::visit(e, [&]<typename V>(const V& v) {
    if constexpr (std::is_same_v<V, Note::View>) moment(now, fmt::format("note: {}", v.text));
    else if constexpr (std::is_same_v<V, LogTruncate::View>)
      moment(now, fmt::format("{} truncates {}-{} to {} ({})", e.node_name, v.topic, v.partition, v.to, v.reason));
    else if constexpr (std::is_same_v<V, OpFail::View> || std::is_same_v<V, OpInfo::View>)
      moment(now, fmt::format("{}'s send {} {}: {}", v.process, v.op, std::is_same_v<V, OpFail::View> ? "failed" : "has no known outcome",
                              v.error), kFailedSends);
    else if constexpr (std::is_same_v<V, ProducerRequestTimeout::View>) {
      moment(now, fmt::format("{}'s {} request {} to {} timed out", e.node_name, v.api, v.correlation_id, v.peer.empty() ? "?" : v.peer),
             kTimeouts);
      if (timeouts_.size() < kMaxMoments)
        timeouts_.push_back({now, node_index(e.node_name), v.peer.empty() ? -1 : int64_t{node_index(v.peer)}, std::string(v.api),
                             v.correlation_id});
    } else moment(now, fmt::format("{} {}", e.kind, event_fields(e)));
  });
}

nlohmann::ordered_json MessagesData::json(int64_t end_ns) const {
  (void)end_ns;
  using Json = nlohmann::ordered_json;
  Json moments = Json::array();
  for (const Moment& m : moments_)
    moments.push_back({{"time_ns", m.time_ns},
                       {"what", m.more == 0 ? m.what : fmt::format("{} (and {} more within {} ms)", m.what, m.more, kWindowNs / 1'000'000)}});
  Json timeouts = Json::array();
  for (const Timeout& t : timeouts_)
    timeouts.push_back({{"time_ns", t.time_ns}, {"node", t.node}, {"peer", t.peer}, {"api", t.api}, {"correlation_id", t.correlation_id}});
  // Sorted by send time (a moment's earlier messages come in after the window before it).
  std::vector<const Message*> order;
  order.reserve(kept_.size());
  for (const Message& m : kept_) order.push_back(&m);
  std::stable_sort(order.begin(), order.end(), [](const Message* a, const Message* b) { return a->sent_ns < b->sent_ns; });
  Json messages = Json::array();
  for (const Message* m : order) {
    Json j{{"sent_ns", m->sent_ns}, {"received_ns", m->received_ns}, {"from", m->from}, {"to", m->to}, {"msg", m->msg}};
    if (!m->detail.empty()) j["detail"] = m->detail;
    if (!m->dropped.empty()) j["dropped"] = m->dropped;
    messages.push_back(std::move(j));
  }
  return Json{{"nodes", nodes_}, {"moments", moments}, {"window_ns", kWindowNs}, {"messages", messages}, {"timeouts", timeouts}, {"sent", sent_}};
}

void MessagesData::summarised(std::vector<std::string>& out) const {
  if (sent_ > kept_.size() || moments_left_out_ > 0)
    out.push_back(fmt::format("messages: {} of the {} sent are kept, those around {} moments (faults, notes, truncations, failed sends, timeouts){}",
                              kept_.size(), sent_, moments_.size(),
                              moments_left_out_ > 0 ? fmt::format("; {} moments were left out", moments_left_out_) : ""));
}

}  // namespace report
