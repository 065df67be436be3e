#pragma once
// Plain-language explanations of anomalies, built from the Timeline (sim/check/timeline.hpp):
// which events, on which nodes, at which times led to them. These sentences are what a learner
// reads under a violated check; each names only what the trace shows.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/check/delivery.hpp"
#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"
#include "sim/check/timeline.hpp"

namespace check {

// "2.249s": a trace time for people.
std::string format_time(int64_t ns);

// How an acknowledged record came to be in no replica's log: the leader that appended and
// acknowledged it (with its epoch and the offset), how far each follower had replicated when
// that leader crashed, was paused or was cut off, which replica became leader next and at what
// log end offset, and the truncations that removed the offset.
std::string explain_lost_write(const Timeline& timeline, const std::string& partition, const std::string& value,
                               std::optional<int64_t> offset, int64_t acked_ns, const std::string& process);

// How two replicas came to hold different records at `offset` below their high watermarks:
// the leaders that appended each one (node, epoch, time), and what the replica that kept the
// older record did when it followed the newer leader (its log end offset, its truncations).
std::string explain_divergence(const Timeline& timeline, const std::string& partition, int64_t offset,
                               const std::string& replica_a, const std::string& replica_b);

// The application sent a value twice itself: a send that ended without an acknowledgement, then
// another send of the same value.
struct Resend {
  std::string process;
  int64_t first_end_ns = 0;   // when the first send ended
  std::string first_outcome;  // "info" (maybe written) or "fail"
  int64_t again_ns = 0;       // when the application sent it again
};

// How one value came to be at two offsets of a partition (`offsets`, ascending): both leader
// appends (node, epoch, time, producer id and batch sequence), the producer's retries and
// producer id resets between them, and why the leader could not recognise the retry; or, given
// a `resend`, the application's own second send, which nothing below it can recognise.
std::string explain_duplicate(const Timeline& timeline, const std::string& partition, const std::string& value,
                              const std::vector<int64_t>& offsets, const Resend* resend = nullptr);

// How one offset came to hold different values: each leader append there (node, epoch, time)
// and the truncations between them.
std::string explain_inconsistent_offset(const Timeline& timeline, const std::string& partition, int64_t offset);

// How a poll returned a value whose send failed: the failure, the leader's append of it anyway,
// and the read.
std::string explain_failed_send_read(const History& history, const Timeline& timeline, const std::string& partition,
                                     const std::string& value, int64_t writer_op, int64_t reader_op);

// Why acknowledged values of a partition were never polled: the first one's append and
// acknowledgement, and how far the ok polls of the partition got.
std::string explain_unseen(const History& history, const Timeline& timeline, const std::string& partition,
                           const std::string& value);

// How one consumer's successive polls of a partition (ops at these history indices) jumped or
// went back: both polls, and the rebalances, resumes, resets and crashes of the member between.
std::string explain_poll_step(const History& history, const GroundTruth& truth, const Timeline& timeline,
                              const std::string& partition, int64_t earlier_op, int64_t later_op);

// How a producer's later send landed at or before its earlier one: both appends, and the
// producer's retries and the leader changes of the partition between them.
std::string explain_send_order(const History& history, const Timeline& timeline, const std::string& partition,
                               int64_t earlier_op, int64_t later_op);

// Inside one operation, consecutive reads (or, with `sends`, sends) of a partition that skipped
// offsets or went back, the second being `value`: the two records and, for a skip, the appends
// of the offsets between.
std::string explain_internal_step(const History& history, const Timeline& timeline, const std::string& partition,
                                  int64_t op_index, const std::string& value, bool sends);

// Gives every anomaly in `found` that the trace can explain its explanation: lost-write (the
// value in no final log), duplicate (twice in a final log), inconsistent-offsets, G1a, unseen,
// poll-skip and nonmonotonic-poll, nonmonotonic-send.
// (replica-divergence is explained where it is found.)
void explain_anomalies(CheckResult& found, const History& history, const GroundTruth& truth, const Timeline& timeline);

// Consumer groups (explain_delivery.cpp). A group's members are the consumers the trace names
// with it (GroundTruth::member_groups).

// How an acknowledged record in the log was never processed by `group`: the poll that returned
// it, the commit that went past it, the member's crash or lost partition, and where the next
// owner resumed (a committed offset or a reset past it).
std::string explain_skipped(const History& history, const GroundTruth& truth, const Timeline& timeline,
                            const std::string& group, const std::string& partition, const std::string& value);

// How a record came to be processed twice by `group`: the first processing, the group's last
// commit of the partition before it, what became of that member, and where the next owner
// resumed.
std::string explain_reprocessed(const History& history, const GroundTruth& truth, const Timeline& timeline,
                                 const std::string& group, const std::string& partition, const std::string& value);

}  // namespace check
