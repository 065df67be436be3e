#pragma once
// A follower's replica as the partition's leader sees it (Kafka's cluster.Replica): how far it
// has fetched and when it was last caught up, which decide the ISR and the high watermark.
// Kafka keeps "never" as time 0 (1970), which no recent clock reading is within
// replica.lag.time.max.ms of; the virtual clock starts at 0, so "never" is an empty optional.
#include <algorithm>
#include <cstdint>
#include <optional>

#include "sim/time.hpp"

namespace kafka {

struct Replica {
  int64_t leo = -1;  // unknown until it fetches
  std::optional<sim::Time> last_caught_up;  // lastCaughtUpTimeMs; empty: never
  std::optional<sim::Time> last_fetch;      // lastFetchTimeMs; empty: never
  int64_t last_fetch_leader_leo = -1;
  std::optional<int64_t> broker_epoch;  // of its last Fetch request (KIP-903); empty: none yet

  // Replica.updateFetchStateOrThrow: a fetch that reaches the leader's end catches the follower
  // up now; one that reaches where the leader's end was at the previous fetch, then.
  void update_fetch_state(int64_t fetch_offset, int64_t leader_leo, sim::Time now, int64_t fetch_broker_epoch = -1) {
    if (fetch_offset >= leader_leo) last_caught_up = latest(last_caught_up, now);
    else if (fetch_offset >= last_fetch_leader_leo && last_fetch) last_caught_up = latest(last_caught_up, *last_fetch);
    leo = fetch_offset;
    last_fetch_leader_leo = std::max(leader_leo, last_fetch_leader_leo);
    last_fetch = now;
    broker_epoch = fetch_broker_epoch;
  }

  // Replica.resetReplicaState, when this broker is elected or re-elected leader: a new leader
  // knows nothing of the follower; a re-elected one keeps its end offset and broker epoch.
  // Either way an ISR member counts as caught up now and any other as never.
  void reset(sim::Time now, int64_t leader_end, bool is_new_leader, bool in_sync) {
    last_caught_up = in_sync ? std::optional<sim::Time>(now) : std::nullopt;
    if (is_new_leader) {
      leo = -1;
      last_fetch_leader_leo = -1;
      last_fetch.reset();
      broker_epoch.reset();
    } else {
      last_fetch_leader_leo = leader_end;
      last_fetch = in_sync ? std::optional<sim::Time>(now) : std::nullopt;
    }
  }

  // ReplicaState.isCaughtUp: at the leader's end, or caught up within `lag`.
  bool caught_up(int64_t leader_leo, sim::Time now, sim::Duration lag) const {
    return leo == leader_leo || (last_caught_up && now - *last_caught_up <= lag);
  }

 private:
  static sim::Time latest(std::optional<sim::Time> a, sim::Time b) { return a && *a > b ? *a : b; }
};

}  // namespace kafka
