#pragma once
// Histories as JSON, in the format of docs/history-format.md (Jepsen's operation shape):
// one object per operation {"index", "process", "type", "f", "value", "time"}, value a list of
// micro-ops ["send", key, value], ["send", key, [offset, value]], ["poll"],
// ["poll", {key: [[offset, value], ...]}].
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sim/check/history.hpp"
#include "sim/check/jepsen.hpp"

namespace check {

// Writes the history as JSON lines, one operation per line.
void write_history_jsonl(const History& h, std::ostream& out);

// Reads a history recorded elsewhere: a JSON array of operations or JSON lines. Keys and values
// may be strings or numbers (Jepsen's are integers). Invocations and completions are paired by
// process, as Jepsen's processes are single-threaded, or by "op" id where the history gives
// one (kafkasim's own). On a malformed input (JSON nested past 32 levels, an unknown "f", a
// completion of another f or of nothing) returns nothing and sets `error` to what is wrong and
// where ("operation 12: ...").
std::optional<History> parse_history(std::string_view text, std::string& error);

// The check's result as {"valid": bool, "anomalies": {name: [{"key", "detail", "ops"}, ...]}}.
nlohmann::ordered_json result_json(const CheckResult& r);
void write_result_json(const CheckResult& r, std::ostream& out);

}  // namespace check
