#pragma once
// The Replica logs view's data (reports/web/logs.js): per partition, the list of changes to its
// replicas' state in time order, so the page can rebuild each replica's log, LEO, HW, the
// leader, the ISR, the LSO and each group's committed offset at any moment, backwards as well as
// forwards. Changes are batches, not records: a 1M-record run's block stays a few MB.
//
// A change is a JSON array [time_ns, kind, who, numbers...]:
//   "a" append    [t, "a", broker, base_offset, count, leader_epoch, producer_id, leo]
//   "t" truncate  [t, "t", broker, to, from_leo]
//   "r" recover   [t, "r", broker, leo, hw]        (a restart read the log back: it ends at leo)
//   "L" leader    [t, "L", broker, leader_epoch, leo, hw, isr]
//   "F" follower  [t, "F", broker, leader, leader_epoch, leo, hw]
//   "I" isr       [t, "I", broker, leader_epoch, isr]
//   "h" hw        [t, "h", broker, hw]
//   "s" lso       [t, "s", broker, lso, first_unstable_offset]
//   "c" commit    [t, "c", group (index into groups), offset]
// Brokers going down and up (crash, clean stop, restart) are the block's "down" list, shared
// by every partition: [t, broker, 1 down | 0 up].
//
// Acknowledged sends (op.ok of a send) whose record no replica holds at the end (same offset,
// same leader epoch) are "lost": [offset, leader_epoch, producer_id] each, the first kLostShown.
//
// The bound: a partition's first kChangesInFull changes are kept as they are; after that, a
// replica's appends within one window of kFoldWindowNs (contiguous, same epoch and producer)
// fold into one change dated at the window's end, as do its HW moves and a group's commits, while truncations, leader,
// follower, ISR and LSO changes and crashes stay exact (and the kDetailAfterTruncate changes
// after each truncation are kept whole). summarised() says what was folded.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "reports/epoch_log.hpp"
#include "reports/view_data.hpp"

namespace report {

class LogsData final : public ViewData {
 public:
  static constexpr size_t kChangesInFull = 20000;
  // Changes beyond this are left out: the block says from when ("complete_until_ns") and the
  // page says so past that time, so the view never freezes silently.
  static constexpr size_t kChangesMax = 4 * kChangesInFull;
  static constexpr size_t kDetailAfterTruncate = 500;
  static constexpr int64_t kFoldWindowNs = 100'000'000;
  static constexpr size_t kLostShown = 1000;

  const char* name() const override { return "logs"; }
  void write(const sim::Event& e) override;
  nlohmann::ordered_json json(int64_t end_ns) const override;
  void summarised(std::vector<std::string>& out) const override;

  // One change, as the block writes it (text: the ISR of "L" and "I").
  struct Change {
    Change() = default;
    Change(int64_t t_, char kind_, int64_t who_, std::array<int64_t, 5> n_, std::string text_ = {})
        : t(t_), kind(kind_), who(who_), n(n_), text(std::move(text_)) {}
    int64_t t = 0;
    char kind = 0;
    int64_t who = 0;
    std::array<int64_t, 5> n{};
    std::string text;
    int64_t first_t = 0;  // a folded change: the time of its first part (which names its window)
  };
  // Acknowledged offsets [from, to) written in one leader epoch by one producer.
  struct AckRun {
    int64_t from = 0, to = 0, epoch = 0, pid = -1;
  };
  struct Partition {
    std::string topic;
    int64_t partition = 0;
    bool appended = false;
    std::vector<Change> changes;
    std::map<int64_t, Change> pending_append, pending_hw, pending_commit;  // folding, by broker (commits: by group)
    size_t detail_left = 0, folded = 0, dropped = 0;
    int64_t dropped_from_ns = -1;  // the time of the first change left out: the block is whole until then
    std::map<int64_t, EpochLog> logs;                // each replica's log now, by broker
    EpochLog leader_writes{/*by_producer=*/true};  // each offset's latest write by a leader
    std::vector<AckRun> acked;
  };

 private:
  struct Key {
    std::string topic;
    int64_t partition;
  };
  struct KeyLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      const std::string_view at(a.first), bt(b.first);
      return at != bt ? at < bt : a.second < b.second;
    }
  };
  enum class Fold { none, append, hw, commit };

  void handle(int64_t broker, const kafka::event::LogAppend::View& v);
  void handle(int64_t broker, const kafka::event::LogTruncate::View& v);
  void handle(int64_t broker, const kafka::event::LogRecover::View& v);
  void handle(int64_t broker, const kafka::event::ReplicaLeader::View& v);
  void handle(int64_t broker, const kafka::event::ReplicaFollower::View& v);
  void handle(int64_t broker, const kafka::event::ReplicaIsr::View& v);
  void handle(int64_t broker, const kafka::event::ReplicaHw::View& v);
  void handle(int64_t broker, const kafka::event::ReplicaLso::View& v);
  void handle(const kafka::event::ConsumerCommit::View& v);
  void handle(const kafka::event::OpInvoke::View& v);
  void handle(const kafka::event::OpOk::View& v);
  void handle(const kafka::event::ProducerInitProducerId::View& v);
  void node_down(std::string_view node, bool down);

  Partition& partition(std::string_view topic, int64_t p);
  Partition* find(std::string_view topic, int64_t p);
  void add(Partition& p, Change c, Fold fold);
  static void push(Partition& p, Change c);
  // Ends the folds, dating them `at`.
  static void flush(Partition& p, int64_t at);
  static int64_t window_end(int64_t t) { return (t / kFoldWindowNs + 1) * kFoldWindowNs - 1; }

  int64_t now_ = 0;
  std::string_view node_;  // the event's node
  std::map<std::pair<std::string, int64_t>, Partition, KeyLess> partitions_;
  Partition* last_ = nullptr;  // the last partition looked up: most events are about the same one
  std::vector<std::string> groups_;
  std::map<int64_t, std::string> producers_;  // producer id -> client id
  std::vector<std::array<int64_t, 3>> down_;
  // Sends in flight: process -> op -> topic, to know an acknowledgement's topic.
  std::map<std::string, std::unordered_map<int64_t, std::string>, std::less<>> sends_;
};

}  // namespace report
