#include "sim/check/hanging_transactions.hpp"

#include <fmt/format.h>

#include <optional>
#include <sstream>
#include <string>

#include "sim/check/explain.hpp"

namespace check {

namespace {

// Where a partition's first unstable offset stood still, from when.
struct Pin {
  int64_t offset = -1;
  int64_t since_ns = 0;
  std::string leader;
};

bool names_partition(const std::string& list, const std::string& partition) {
  std::stringstream in(list);
  for (std::string p; std::getline(in, p, ',');)
    if (p == partition) return true;
  return false;
}

// The producer id of the leader's batch at `offset` appended no later than `by`.
int64_t producer_at(const Timeline& t, const std::string& partition, int64_t offset, int64_t by) {
  auto it = t.partitions.find(partition);
  if (it == t.partitions.end()) return -1;
  int64_t pid = -1;
  for (const ReplicaEvent& e : it->second)
    if (e.kind == ReplicaEvent::Kind::leader_append && e.from == offset && e.time_ns <= by) pid = e.producer_id;
  return pid;
}

// The coordinator's last word on the producer's transactional id.
std::optional<TxnStateEvent> last_state(const Timeline& t, int64_t producer_id) {
  std::string id;
  for (const TxnStateEvent& s : t.txn_states)
    if (s.producer_id == producer_id) id = s.transactional_id;
  if (id.empty()) return std::nullopt;
  std::optional<TxnStateEvent> last;
  for (const TxnStateEvent& s : t.txn_states)
    if (s.transactional_id == id) last = s;
  return last;
}

bool open_with(const TxnStateEvent& s, const std::string& partition) {
  const bool open = s.state == "Ongoing" || s.state == "PrepareCommit" || s.state == "PrepareAbort";
  return open && names_partition(s.partitions, partition);
}

Anomaly describe(const Timeline& t, const std::string& partition, const Pin& pin, int64_t until_ns, bool to_the_end,
                 const std::optional<TxnStateEvent>& coordinator) {
  const int64_t pid = producer_at(t, partition, pin.offset, pin.since_ns);
  const std::string who = coordinator ? fmt::format("transactional id {} (producer id {})", coordinator->transactional_id, pid)
                                      : fmt::format("producer id {}", pid);
  const double held_s = static_cast<double>(until_ns - pin.since_ns) / 1e9;
  std::string detail = fmt::format("{}: {} holds a transaction open from offset {} since {} at {}; the last stable offset "
                                   "stayed at {} for {:.1f} s{}",
                                   partition, who, pin.offset, format_time(pin.since_ns), pin.leader, pin.offset, held_s,
                                   to_the_end ? ", to the end of the run" : "");
  std::string why;
  if (coordinator && !open_with(*coordinator, partition)) {
    why = fmt::format("The coordinator's last state for {} is {} (at {}), which does not hold {} in an open transaction: no "
                      "marker will ever end the transaction there. A transactional batch that reaches a leader after its "
                      "transaction was aborted opens a new one (a hanging transaction); read_committed consumers never read "
                      "past offset {}. Kafka 3.6+ leaders verify such a batch with the coordinator first (KIP-890).",
                      coordinator->transactional_id, coordinator->state, format_time(coordinator->time_ns), partition, pin.offset);
  } else {
    why = "Longer than transaction.max.timeout.ms: the coordinator would have aborted any transaction it knew of by then.";
  }
  Anomaly a{partition, std::move(detail), {}, std::move(why)};
  a.offset = pin.offset;
  return a;
}

}  // namespace

std::vector<Anomaly> hanging_transactions(const Timeline& t, const RunEnd& end, int64_t txn_max_timeout_ns) {
  std::vector<Anomaly> out;
  for (const auto& [partition, events] : t.lso) {
    Pin pin;
    bool reported = false;
    for (const LsoEvent& e : events) {
      if (e.first_unstable != pin.offset) {
        pin = Pin{e.first_unstable, e.time_ns, e.node};
        reported = false;
      }
      if (pin.offset >= 0 && !reported && e.time_ns - pin.since_ns > txn_max_timeout_ns) {
        out.push_back(describe(t, partition, pin, e.time_ns, false, last_state(t, producer_at(t, partition, pin.offset, pin.since_ns))));
        reported = true;
      }
    }
    if (pin.offset < 0 || reported || end.cut) continue;
    const auto coordinator = last_state(t, producer_at(t, partition, pin.offset, pin.since_ns));
    const bool too_long = end.end_ns - pin.since_ns > txn_max_timeout_ns;
    const bool orphaned = end.drained() && coordinator && !open_with(*coordinator, partition);
    if (too_long || orphaned) out.push_back(describe(t, partition, pin, end.end_ns, true, coordinator));
  }
  return out;
}

}  // namespace check
