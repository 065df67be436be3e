#pragma once
// Committed-offset correctness, from ground truth: a group whose commit policy promises
// at-least-once never commits past a record it has not processed. A commit of offset O for a
// partition says "everything below O is done"; if a record below O (one written before the
// commit) had not been processed by the group when the commit completed, a crash right then
// would skip it. The anomaly "commit-past-unprocessed" names each such commit with a witness.
//
// The records below O are those of the partition's most advanced replica (highest HW) in the
// final state; a record counts as written before the commit when its send was invoked before.
// Records a reset (auto.offset.reset) or a seek jumped over before the commit are excused: the
// application or its configuration skipped them, not the commit.
#include <string>
#include <vector>

#include "sim/check/delivery.hpp"
#include "sim/check/jepsen.hpp"

namespace check {

// One anomaly per offending commit of `group` (successful commits only), in commit order.
std::vector<Anomaly> commits_past_unprocessed(const History& history, const GroundTruth& truth, const std::string& group);

}  // namespace check
