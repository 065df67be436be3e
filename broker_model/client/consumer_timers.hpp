#pragma once
// The kinds of the consumer node's timers (sim/timer_tag.hpp puts the kind in a tag's top
// bits), so the node can hand each timer to the part that set it.
#include <cstdint>

#include "sim/timer_tag.hpp"

namespace kafka {

enum class ConsumerTimer : uint16_t {
  heartbeat = 1,           // the heartbeat thread's tick: heartbeats and the max.poll.interval.ms check
  poll_tick = 2,           // poll(timeout) returns at its timeout; the first poll at start
  process = 3,             // the application finished processing one record
  coordinator_retry = 5,   // FindCoordinator again after retry.backoff.ms
  metadata_refresh = 6,    // metadata.max.age.ms
  commit_retry = 8,        // commitSync retries a retriable error after retry.backoff.ms
  shutdown_deadline = 9,   // close() gives up waiting and exits
  metadata_retry = 11,     // a subscribed topic is still missing from metadata
  lag_report = 12,         // consumer.lag, every second
  position_retry = 13,     // a reset, validation or OffsetFetch failed: poll() tries again after retry.backoff.ms
  app_every = 14,          // the application's app:every timer; the id says which
  producer = 15,           // the hosted producer's own timers: its tag is the id
  listener_backoff = 16,   // the error handler's back off before a failed record is delivered again
  task_producer = 17,      // exactly_once (v1): a task producer's timers, its slot in the id's top bits
};

}  // namespace kafka
