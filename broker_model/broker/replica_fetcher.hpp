#pragma once
// The follower's side of replication (Kafka's ReplicaFetcherManager and its fetcher threads,
// AbstractFetcherThread): one fetch session per leader broker, carrying every partition this
// broker follows there. A partition that becomes a follower first finds where its log
// diverges from the leader's, by the protocol of inter.broker.protocol.version, truncates
// there, and then appends what it fetches.
#include <cstdint>
#include <map>
#include <string>

#include "broker_model/broker/partition.hpp"
#include "broker_model/cluster_layout.hpp"
#include "broker_model/config/bugs.hpp"
#include "broker_model/config/config.hpp"
#include "sim/node.hpp"

namespace kafka {

// How a new follower finds where its log diverges from the leader's.
enum class TruncationMode {
  high_watermark,   // before 0.11: truncate to the local HW (KIP-101's two failure scenarios)
  epoch_v0,         // 0.11 - 1.1: OffsetsForLeaderEpoch v0 (KIP-101 without KIP-279)
  epoch_v1,         // 2.0 - 2.6: OffsetsForLeaderEpoch v1+ (KIP-279)
  fetch_diverging,  // 2.7+: the Fetch response names the diverging epoch (KAFKA-10554)
};
TruncationMode truncation_mode_for(const std::string& inter_broker_protocol_version);

// KIP-279's rule (AbstractFetcherThread.getOffsetTruncationState): where a follower's log
// must be cut, given the largest epoch the leader has at or below the one asked about and
// that epoch's end offset in the leader's log (either may be unknown, -1). `done` is false
// when the follower's own log ends the shared epoch elsewhere: it must ask again about the
// epoch before.
struct TruncationPoint {
  int64_t to;
  bool done;
};
TruncationPoint truncation_point(const PartitionLog& log, int32_t leader_epoch, int64_t leader_end);

class ReplicaManager;

class ReplicaFetcher {
 public:
  ReplicaFetcher(BrokerId id, const ClusterLayout& layout, const ConfigSet& config, Bugs bugs, ReplicaManager& replicas);

  TruncationMode mode() const { return mode_; }
  void set_broker_epoch(int64_t epoch) { broker_epoch_ = epoch; }

  // `p` now follows p.leader: truncate as the protocol says (or ask first), then fetch.
  void add_partition(sim::Context& ctx, Partition& p);
  void handle_fetch_response(sim::Context& ctx, BrokerId leader, const FetchResponse& resp);
  void handle_epoch_response(sim::Context& ctx, const OffsetsForLeaderEpochResponse& resp);
  // The connection to `leader` failed: what was in flight is lost; back off, then resume.
  void leader_failed(sim::Context& ctx, BrokerId leader);
  void resume(sim::Context& ctx, BrokerId leader);

  // A session is never both in flight and backing off.
  std::string invariants() const;

 private:
  struct Session {
    bool in_flight = false;
    int32_t correlation_id = 0;
    bool backing_off = false;
  };
  void fetch(sim::Context& ctx, BrokerId leader);
  void ask_leader_epoch(sim::Context& ctx, Partition& p);
  void truncate(sim::Context& ctx, Partition& p, int64_t offset, const char* why);
  // Returns false when the partition's fetch failed.
  bool process_partition(sim::Context& ctx, Partition& p, const FetchResponse::PartitionData& pd);
  void append_fetched(sim::Context& ctx, Partition& p, const FetchResponse::PartitionData& pd);

  BrokerId id_;
  const ClusterLayout& layout_;
  Bugs bugs_;
  TruncationMode mode_;
  int32_t wait_ms_, min_bytes_;
  sim::Duration backoff_;
  int64_t broker_epoch_ = -1;
  ReplicaManager& replicas_;
  std::map<BrokerId, Session> sessions_;
  int32_t next_correlation_ = 0;
};

}  // namespace kafka
