#pragma once
// Histories as JSON, in the format of docs/history-format.md (Jepsen's operation shape):
// one object per operation {"index", "process", "type", "f", "value", "time"}, value a list of
// micro-ops ["send", key, value], ["send", key, [offset, value]], ["poll"],
// ["poll", {key: [[offset, value], ...]}].
#include <ostream>

#include "sim/check/history.hpp"

namespace check {

// Writes the history as JSON lines, one operation per line.
void write_history_jsonl(const History& h, std::ostream& out);

}  // namespace check
