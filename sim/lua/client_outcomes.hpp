#pragma once
// What the scenario's applications saw, read from the trace as it streams: for each producer its
// operations' outcomes (p:acked(), p:stats()), for each consumer group what its members processed,
// their rebalances, commit errors, truncations and time blocked (g:processed(), g:stats()).
//
// The clients keep none of this themselves: a crashed client's successor starts empty, as Kafka's
// would, and the record of what happened is the trace's. The one thing a successor needs is the
// next operation number of its process, so that a restarted client's operations (and the values
// generated from them, "<client id>-<op>") stay unique: next_op() answers it.
//
// Storage is compact because a benchmark run keeps a million of each: texts in one arena, topics
// and members as small numbers.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sim/trace.hpp"

namespace sim::lua {

// Text kept for the run in one growing buffer; a piece is addressed by offset and length.
class TextArena {
 public:
  struct Piece {
    uint64_t at = 0;
    uint32_t size = 0;
  };
  Piece add(std::string_view text);
  std::string_view get(Piece p) const { return std::string_view(bytes_).substr(p.at, p.size); }

 private:
  std::string bytes_;
};

// Names seen often (topics, members), kept once and referred to by number.
class NameTable {
 public:
  uint32_t id(std::string_view name);
  const std::string& name(uint32_t id) const { return names_[id]; }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, uint32_t> ids_;
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
  std::vector<Acked> acked;                // in the order the acknowledgements came
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
  std::vector<Processed> processed;
  uint64_t assignments = 0;  // rebalances completed by any member (consumer.assigned)
  int64_t blocked_ns = 0;    // time members holding partitions waited in poll() for a rebalance
  uint64_t truncations = 0;  // KIP-320 truncations detected
  std::map<std::string, uint64_t> commit_errors;  // failed commits by error
};

class ClientOutcomes final : public TraceSink {
 public:
  void write(const Event& e) override;

  // The number the process's next operation takes: how many it has invoked so far.
  uint64_t next_op(const std::string& process) const;

  // Empty outcomes for a client or group the trace has not mentioned yet.
  const ProducerOutcomes& producer(const std::string& process) const;
  const GroupOutcomes& group(const std::string& group_id) const;

  std::string_view text(TextArena::Piece p) const { return texts_.get(p); }
  const std::string& topic(uint32_t id) const { return topics_.name(id); }
  const std::string& member(uint32_t id) const { return members_.name(id); }

 private:
  // A send between its invocation and its outcome.
  struct Pending {
    uint32_t topic;
    bool has_key;
    TextArena::Piece key, value;
  };
  struct Process {
    uint64_t invoked = 0;
    std::unordered_map<int64_t, Pending> sends;  // op -> invocation
  };

  void on_op(const Event& e);
  void on_consumer(const Event& e);

  std::unordered_map<std::string, Process> processes_;
  std::unordered_map<std::string, ProducerOutcomes> producers_;
  std::unordered_map<std::string, GroupOutcomes> groups_;
  TextArena texts_;
  NameTable topics_, members_;
};

}  // namespace sim::lua
