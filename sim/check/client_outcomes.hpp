#pragma once
// What the scenario's applications saw, read from the trace as it streams: for each producer its
// operations' outcomes (p:acked(), p:stats()), for each consumer group what its members processed,
// their rebalances, commits and commit errors, fatal errors, truncations and time blocked (g:processed(),
// g:stats()).
//
// The clients keep none of this themselves: a crashed client's successor starts empty, as Kafka's
// would, and the record of what happened is the trace's. The one thing a successor needs is the
// next operation number of its process, so that a restarted client's operations (and the values
// generated from them, "<client id>-<op>") stay unique: next_op() answers it.
//
// Storage is compact because a benchmark run keeps a million of each: texts in an arena, topics
// and members as small numbers, and everything in chunks, so that growing never copies what is
// kept (a doubling vector would hold both copies at its peak).
#include <cstdint>
#include <deque>
#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker_model/trace_schema.hpp"
#include "sim/trace.hpp"

namespace check {

// Names seen often (topics, members), kept once and referred to by number.
class NameTable {
 public:
  uint32_t id(std::string_view name);
  size_t size() const { return names_.size(); }
  const std::string& name(uint32_t id) const { return names_[id]; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
};

// Text kept for the run. Generated texts ("orders-17", "key-3": a name, '-', a number) are kept
// as the name's number and the number, no bytes at all; other texts in chunks that never move.
class TextArena {
 public:
  struct Piece {
    uint32_t chunk = 0;  // kNumbered | the name's id, for a generated text
    uint32_t at = 0;     // (generated: the number's low half)
    uint32_t size = 0;   // (generated: the number's high half)
  };
  Piece add(std::string_view text);
  std::string get(Piece p) const;

 private:
  static constexpr uint32_t kNumbered = 1u << 31;
  static constexpr uint32_t kMaxNames = 1u << 16;  // past it, texts are kept as they are
  static constexpr size_t kChunk = 1 << 20;
  NameTable names_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t capacity_ = 0, used_ = 0;  // of the last chunk
};

struct ProducerOutcomes {
  struct Acked {
    uint32_t topic;
    int32_t partition;
    int64_t offset;
    bool has_key;
    TextArena::Piece key, value;
  };
  uint64_t sent = 0, ok = 0, failed = 0, indefinite = 0;
  std::map<std::string, uint64_t> errors;  // final error of each failed or indefinite record
  std::map<std::string, uint64_t> causes;  // the last broker error behind each of those
  std::deque<Acked> acked;                 // in the order the acknowledgements came
  // Each acknowledged send's latency, from the application's send() (op.invoke) to its
  // acknowledgement (op.ok), in nanoseconds: p:stats().latency_ms's percentiles.
  std::deque<int64_t> latencies_ns;
};

struct GroupOutcomes {
  struct Processed {
    uint32_t member;
    uint32_t topic;
    int32_t partition;
    int64_t offset;
    int64_t time_ns;
    TextArena::Piece key, value;
  };
  std::deque<Processed> processed;
  uint64_t assignments = 0;  // rebalances completed by any member (consumer.assigned)
  int64_t blocked_ns = 0;    // time members holding partitions waited in poll() for a rebalance
  uint64_t truncations = 0;  // KIP-320 truncations detected
  uint64_t commits = 0;         // offset commits that succeeded (consumer.commit, error NONE)
  uint64_t commits_failed = 0;  // and those that failed
  std::map<std::string, uint64_t> commit_errors;  // failed commits by error
  std::map<std::string, uint64_t> fatal_errors;   // members' applications stopped by a group error, by error
};

class ClientOutcomes final : public sim::TraceSink {
 public:
  using Reads = sim::schema::Reads<kafka::event::OpInvoke, kafka::event::OpOk, kafka::event::OpFail, kafka::event::OpInfo,
                                   kafka::event::ConsumerProcessed, kafka::event::ConsumerAssigned, kafka::event::ConsumerUnblocked,
                                   kafka::event::ConsumerTruncationDetected, kafka::event::ConsumerCommit,
                                   kafka::event::ConsumerFatal>;
  void write(const sim::Event& e) override;

  // The number the process's next operation takes: how many it has invoked so far.
  uint64_t next_op(const std::string& process) const;

  // Empty outcomes for a client or group the trace has not mentioned yet.
  const ProducerOutcomes& producer(const std::string& process) const;
  const GroupOutcomes& group(const std::string& group_id) const;

  std::string text(TextArena::Piece p) const { return texts_.get(p); }
  const std::string& topic(uint32_t id) const { return topics_.name(id); }
  const std::string& member(uint32_t id) const { return members_.name(id); }

 private:
  // A send between its invocation and its outcome.
  struct Pending {
    int64_t invoked_ns;
    uint32_t topic;
    bool has_key;
    TextArena::Piece key, value;
  };
  struct Process {
    uint64_t invoked = 0;
    std::unordered_map<int64_t, Pending> sends;  // op -> invocation
    ProducerOutcomes* producer = nullptr;         // once it has sent
  };
  // The process an event names; one producer's events mostly follow each other, so the last
  // one found is tried first.
  Process& process(std::string_view name);

  class Reader;
  void on_invoke(const kafka::event::OpInvoke::View& v, int64_t now_ns);
  // A send's outcome (a poll's or a subscribe's has nothing to count).
  void on_outcome(const sim::schema::KindSpec& kind, int64_t now_ns, std::string_view name, int64_t op, std::string_view f,
                  int64_t partition, int64_t offset, std::string_view error, std::string_view cause);
  GroupOutcomes& group_of(std::string_view group_id) { return groups_[std::string(group_id)]; }

  std::unordered_map<std::string, Process> processes_;
  std::string last_name_;
  Process* last_ = nullptr;
  std::unordered_map<std::string, ProducerOutcomes> producers_;
  std::unordered_map<std::string, GroupOutcomes> groups_;
  TextArena texts_;
  NameTable topics_, members_;
};

}  // namespace check
