#include "sim/check/history_json.hpp"

#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace check {

void write_history_jsonl(const History& h, std::ostream& out) {
  for (const Op& op : h.ops) {
    nlohmann::ordered_json j;
    j["index"] = op.index;
    j["op"] = op.id;  // pairs an invocation with its completion: our processes are not single-threaded
    j["process"] = op.process;
    j["type"] = std::string(to_string(op.type));
    j["f"] = op.f;
    auto value = nlohmann::json::array();
    // A txn's micro-operations: its sends, then its poll (the order between them is not kept).
    if (op.writes()) {
      for (const Send& s : op.sends) {
        if (s.offset) value.push_back({"send", s.key, {*s.offset, s.value}});
        else if (op.type == OpType::invoke) value.push_back({"send", s.key, s.value});
        else value.push_back({"send", s.key, {nullptr, s.value}});
      }
      if (op.f == "send" && op.sends.empty()) value.push_back({"send"});
    }
    if (op.reads() && (op.f == "poll" || !op.polls.empty())) {
      if (op.type == OpType::invoke) {
        value.push_back({"poll"});
      } else {
        nlohmann::ordered_json reads = nlohmann::ordered_json::object();
        for (const auto& [key, rs] : op.polls) {
          auto list = nlohmann::json::array();
          for (const Read& r : rs) list.push_back({r.offset, r.value});
          reads[key] = list;
        }
        value.push_back({"poll", reads});
      }
    }
    if (!op.writes() && !op.reads()) {
      for (const auto& k : op.keys) value.push_back(k);
    }
    j["value"] = value;
    if (!op.rebalance_log.empty()) {
      auto log = nlohmann::json::array();
      for (const Rebalance& r : op.rebalance_log) log.push_back({{"type", r.type}, {"keys", r.keys}});
      j["rebalance-log"] = log;
    }
    j["time"] = op.time_ns;
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
}

namespace {

std::string as_text(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

OpType op_type(const std::string& t) {
  if (t == "invoke") return OpType::invoke;
  if (t == "ok") return OpType::ok;
  if (t == "fail") return OpType::fail;
  if (t == "info") return OpType::info;
  throw ParseError("type \"" + t + "\" is not invoke, ok, fail or info");
}

// An operation's "op" id. Ids run up from 0, and the reader numbers the operations that have
// none after the largest id it has seen: bounded by 2^53 - 1 (the largest integer every JSON
// reader keeps exact), so that numbering never overflows.
int64_t op_id(const nlohmann::json& id) {
  constexpr uint64_t kMaxId = (uint64_t{1} << 53) - 1;
  // JSON text without a sign parses as unsigned; a negative id as signed.
  if (!id.is_number_unsigned() || id.get<uint64_t>() > kMaxId) {
    throw ParseError("\"op\" is the id of the invocation, a whole number from 0 to " + std::to_string(kMaxId));
  }
  return static_cast<int64_t>(id.get<uint64_t>());
}

// "rebalance-log": [{"type": "revoked"|"assigned", "keys": [...]}, ...].
std::vector<Rebalance> parse_rebalance_log(const nlohmann::json& log) {
  if (!log.is_array()) throw ParseError("\"rebalance-log\" is a list of {\"type\": \"revoked\"|\"assigned\", \"keys\": [...]}");
  std::vector<Rebalance> out;
  for (const auto& r : log) {
    if (!r.is_object() || !r.contains("type") || !r["type"].is_string() || !r.contains("keys") || !r["keys"].is_array())
      throw ParseError("a rebalance-log entry is {\"type\": \"revoked\"|\"assigned\", \"keys\": [...]}");
    Rebalance entry{r["type"].get<std::string>(), {}};
    for (const auto& k : r["keys"]) entry.keys.push_back(as_text(k));
    out.push_back(std::move(entry));
  }
  return out;
}

// ["send", key, value] (an invocation) or ["send", key, [offset, value]] (offset null: unknown).
Send parse_send(const nlohmann::json& m) {
  if (m.size() < 3) throw ParseError("a send is [\"send\", key, value] or [\"send\", key, [offset, value]]");
  Send s;
  s.key = as_text(m[1]);
  if (m[2].is_array() && m[2].size() == 2) {
    if (m[2][0].is_number_integer()) s.offset = m[2][0].get<int64_t>();
    s.value = as_text(m[2][1]);
  } else {
    s.value = as_text(m[2]);
  }
  return s;
}

// ["poll"] (an invocation: nothing read) or ["poll", {key: [[offset, value], ...]}], into `polls`.
void parse_poll(const nlohmann::json& m, std::map<std::string, std::vector<Read>>& polls) {
  if (m.size() < 2 || m[1].is_null()) return;
  if (!m[1].is_object()) throw ParseError("a completed poll is [\"poll\", {key: [[offset, value], ...]}]");
  for (const auto& [key, reads] : m[1].items()) {
    auto& out = polls[key];
    for (const auto& r : reads) {
      if (!r.is_array() || r.size() != 2 || !r[0].is_number_integer()) throw ParseError("a read is [offset, value]");
      out.push_back({r[0].get<int64_t>(), as_text(r[1])});
    }
  }
}

// The value of an operation: keys for assign/subscribe, otherwise a list of micro-operations.
void parse_value(const nlohmann::json& value, Op& op) {
  if (op.f == "assign" || op.f == "subscribe") {
    if (!value.is_array()) throw ParseError("the value of assign/subscribe is a list of keys");
    for (const auto& k : value) op.keys.push_back(as_text(k));
    return;
  }
  if (value.is_null()) return;
  if (!value.is_array()) throw ParseError("the value is a list of micro-operations");
  for (const auto& m : value) {
    if (!m.is_array() || m.empty() || !m[0].is_string()) throw ParseError("a micro-operation is [\"send\", ...] or [\"poll\", ...]");
    const std::string kind = m[0].get<std::string>();
    if (kind == "send") op.sends.push_back(parse_send(m));
    else if (kind == "poll") parse_poll(m, op.polls);
    else throw ParseError("unknown micro-operation \"" + kind + "\"");
  }
}

Op parse_op(const nlohmann::json& j, int64_t position) {
  if (!j.is_object()) throw ParseError("an operation must be a JSON object");
  Op op;
  op.index = j.contains("index") && j["index"].is_number_integer() ? j["index"].get<int64_t>() : position;
  if (!j.contains("process")) throw ParseError("missing \"process\"");
  op.process = as_text(j["process"]);
  if (!j.contains("type") || !j["type"].is_string()) throw ParseError("missing \"type\"");
  op.type = op_type(j["type"].get<std::string>());
  if (!j.contains("f") || !j["f"].is_string()) throw ParseError("missing \"f\"");
  op.f = j["f"].get<std::string>();
  if (op.f != "send" && op.f != "poll" && op.f != "txn" && op.f != "assign" && op.f != "subscribe") {
    throw ParseError("\"f\": \"" + op.f + "\" is not send, poll, txn, assign or subscribe");
  }
  if (j.contains("time") && j["time"].is_number_integer()) op.time_ns = j["time"].get<int64_t>();
  if (j.contains("rebalance-log")) op.rebalance_log = parse_rebalance_log(j["rebalance-log"]);
  static const nlohmann::json no_value = nlohmann::json::array();
  parse_value(j.contains("value") ? j["value"] : no_value, op);  // no copy of the value
  return op;
}

}  // namespace

namespace {

// How deep a history's JSON may nest. An operation needs five levels (a poll's reads); the
// bound keeps every part of the reader, the parser's DOM and what walks it later, off deep
// recursion whatever the input.
constexpr int kMaxDepth = 32;

nlohmann::json parse_bounded(std::string_view text) {
  return nlohmann::json::parse(text, [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kMaxDepth) throw ParseError("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    return true;
  });
}

// The shortest operation: {"process":0,"type":"ok","f":"txn"}.
constexpr size_t kMinOperationBytes = 35;

// Hands each operation of a history to `each` as (where, JSON): a JSON array's elements numbered
// from 1, or JSON lines by line number (blank lines skipped), each line's JSON dropped once
// handed on (holding every line's at once cost more than reading them). False, with `error`,
// when it is not JSON: a line that is not is reported whatever `each` made of the lines before.
bool read_operations(std::string_view text, std::string& error, const std::function<void(int64_t, const nlohmann::json&)>& each) {
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  if (start < text.size() && text[start] == '[') {
    nlohmann::json all;
    try {
      all = parse_bounded(text);
      if (!all.is_array()) throw ParseError("a history is a JSON array of operations or JSON lines, one operation each");
    } catch (const nlohmann::json::exception& e) {
      error = std::string("not a JSON array of operations (") + e.what() + ")";
      return false;
    } catch (const ParseError& e) {
      error = e.what();
      return false;
    }
    int64_t i = 0;
    for (const auto& j : all) each(++i, j);
    return true;
  }
  int64_t line_no = 0;
  for (size_t pos = 0; pos <= text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    ++line_no;
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    nlohmann::json j;
    try {
      j = parse_bounded(line);
    } catch (const nlohmann::json::exception& e) {
      error = "line " + std::to_string(line_no) + ": not JSON (" + e.what() + ")";
      return false;
    } catch (const ParseError& e) {
      error = "line " + std::to_string(line_no) + ": " + e.what();
      return false;
    }
    each(line_no, j);
  }
  return true;
}

// Pairs each completion with its invocation and gives every operation its id. Invocations not
// completed yet are kept by process (Jepsen's pairing: a process does one operation at a time)
// and by id (kafkasim's own histories, whose processes may have several operations in flight),
// each with its f and where it was invoked.
class Pairing {
 public:
  // `id` is the operation's "op" where the history gives one; `line` is where the operation stands.
  void pair(Op& op, const nlohmann::json* id, int64_t line) {
    if (id) {
      op.id = op_id(*id);
      pair_by_id(op, line);
      next_id_ = std::max(next_id_, op.id + 1);
    } else {
      pair_by_process(op, line);
    }
  }

 private:
  struct Open {
    int64_t id;
    std::string f;
    int64_t line;
  };

  static void completes(const Op& op, const Open& inv) {
    if (op.f != inv.f) {
      throw ParseError("a " + op.f + " completes the " + inv.f + " invoked at operation " + std::to_string(inv.line));
    }
  }

  void pair_by_id(const Op& op, int64_t line) {
    if (op.type == OpType::invoke) {
      if (!used_ids_.insert(op.id).second) throw ParseError("op " + std::to_string(op.id) + " is invoked twice");
      open_by_id_[op.id] = Open{op.id, op.f, line};
      return;
    }
    auto it = open_by_id_.find(op.id);
    if (it == open_by_id_.end()) throw ParseError("a completion of op " + std::to_string(op.id) + ", which has no invocation before it");
    completes(op, it->second);
    open_by_id_.erase(it);
  }

  // An invocation without an id takes the next one no operation has used.
  void pair_by_process(Op& op, int64_t line) {
    if (op.type == OpType::invoke) {
      if (auto it = open_by_process_.find(op.process); it != open_by_process_.end()) {
        throw ParseError("process " + op.process + " invokes again before its operation " + std::to_string(it->second.line) +
                         " completed (a process does one operation at a time)");
      }
      while (used_ids_.count(next_id_)) ++next_id_;
      op.id = next_id_++;
      used_ids_.insert(op.id);
      open_by_process_[op.process] = Open{op.id, op.f, line};
      return;
    }
    auto it = open_by_process_.find(op.process);
    if (it == open_by_process_.end()) throw ParseError("a completion with no invocation by process " + op.process);
    completes(op, it->second);
    op.id = it->second.id;
    open_by_process_.erase(it);
  }

  std::map<std::string, Open> open_by_process_;
  std::map<int64_t, Open> open_by_id_;
  std::set<int64_t> used_ids_;
  int64_t next_id_ = 0;
};

}  // namespace

std::optional<History> parse_history(std::string_view text, std::string& error) {
  History h;
  // Room for an operation per line up front: growing the list a million operations long moved
  // them ~20 times and left the freed copies to the allocator (peak memory was 2.5 times higher).
  // An operation takes at least kMinOperationBytes of JSON, which bounds the room whatever the
  // input (a file of blank lines).
  const auto lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  h.ops.reserve(std::min(lines, text.size() / kMinOperationBytes + 1));
  Pairing pairing;
  std::string wrong;  // the first wrong operation; the rest are only read, for a line that is not JSON
  const bool json = read_operations(text, error, [&](int64_t line, const nlohmann::json& j) {
    if (!wrong.empty()) return;
    try {
      Op op = parse_op(j, static_cast<int64_t>(h.ops.size()));
      pairing.pair(op, j.contains("op") ? &j["op"] : nullptr, line);
      op.index = static_cast<int64_t>(h.ops.size());
      h.ops.push_back(std::move(op));
    } catch (const ParseError& e) {
      wrong = "operation " + std::to_string(line) + ": " + e.what();
    }
  });
  if (!json) return std::nullopt;
  if (!wrong.empty()) {
    error = wrong;
    return std::nullopt;
  }
  return h;
}

nlohmann::ordered_json result_json(const CheckResult& r) {
  nlohmann::ordered_json out;
  out["valid"] = r.valid;
  out["history_valid"] = r.history_valid;
  out["sub_via"] = r.options.sub_via_subscribe ? "subscribe" : "assign";
  out["ww_deps"] = r.options.ww_deps;
  auto allowed = nlohmann::ordered_json::array();
  for (const auto& [name, list] : r.anomalies)
    if (!list.empty() && r.allowed(name)) allowed.push_back(name);
  out["allowed"] = allowed;
  if (!r.beyond_history.empty()) out["beyond_history"] = r.beyond_history;
  out["anomalies"] = nlohmann::ordered_json::object();
  for (const auto& [name, list] : r.anomalies) {
    auto arr = nlohmann::ordered_json::array();
    for (const Anomaly& a : list) {
      nlohmann::ordered_json item = {{"key", a.key}, {"detail", a.detail}, {"ops", a.ops}};
      if (!a.explanation.empty()) item["explanation"] = a.explanation;
      arr.push_back(std::move(item));
    }
    out["anomalies"][name] = arr;
  }
  return out;
}

void write_result_json(const CheckResult& r, std::ostream& out) {
  out << result_json(r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

}  // namespace check
