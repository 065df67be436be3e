#pragma once
// A follower's replica as the partition's leader sees it (Kafka's cluster.Replica): how far it
// has fetched and when it was last caught up, which decide the ISR and the high watermark.
#include <cstdint>

#include "sim/time.hpp"

namespace kafka {

struct Replica {
  int64_t leo = -1;  // unknown until it fetches
  sim::Time last_caught_up{0};
  sim::Time last_fetch{0};
  int64_t last_fetch_leader_leo = -1;

  // Replica.updateFetchState: a fetch that reaches the leader's end catches the follower up
  // now; one that reaches where the leader's end was at the previous fetch, then.
  void update_fetch_state(int64_t fetch_offset, int64_t leader_leo, sim::Time now) {
    if (fetch_offset >= leader_leo) last_caught_up = now;
    else if (fetch_offset >= last_fetch_leader_leo && last_fetch > last_caught_up) last_caught_up = last_fetch;
    leo = fetch_offset;
    last_fetch_leader_leo = leader_leo;
    last_fetch = now;
  }

  // Partition.isFollowerInSync's clock: at the leader's end, or caught up within `lag`.
  bool caught_up(int64_t leader_leo, sim::Time now, sim::Duration lag) const {
    return leo == leader_leo || now - last_caught_up <= lag;
  }
};

}  // namespace kafka
