#pragma once
// The kinds of a broker's timers (sim/timer_tag.hpp puts the kind in a tag's top bits): its
// periodic tasks, the waits of the purgatory, and each fetcher's backoff.
#include <cstdint>

namespace kafka {

enum class BrokerTimer : uint16_t {
  heartbeat = 1,      // BrokerLifecycleManager's heartbeat to the controller
  isr_check,          // ReplicaManager's isr-expiration task
  hw_checkpoint,      // the high watermark checkpoint
  flush_check,        // LogManager's flush by time
  controller_retry,   // registration or metadata fetch after the controller was lost
  shutdown_deadline,  // controlled shutdown gave up waiting
  group_tick,         // the group coordinator's session expiry
  delayed,            // a request in the purgatory ended its wait (id: Purgatory's)
  fetcher_backoff,    // a fetcher's pause after its leader failed (id: the leader)
  group_join,         // a group's join phase may be due to end (its deadline or a window's)
  txn_load,           // a __transaction_state partition finished loading (id: the partition)
  txn_abort_check,    // abortTimedOutTransactions (transaction.abort.timed.out.transaction.cleanup.interval.ms)
  txn_markers,        // transaction markers waiting to be sent again
  txn_verify_timeout, // a leader's transaction verification went unanswered (id: its correlation id)
};

}  // namespace kafka
