#pragma once
// Generated histories for the checker's benchmark and its output dump (checker_dump.cpp):
// a clean one, as a run writes it, and a faulty one that shows every anomaly the checks know.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "sim/check/history.hpp"
#include "sim/random.hpp"

namespace check::bench {

// A history of `ops` operations (invocations and completions): producers sending to 8 keys,
// consumers polling them back in batches, as a run of kafkasim writes them.
inline History make_history(int64_t ops) {
  History h;
  sim::Rng rng(1);
  std::map<std::string, int64_t> next_offset;
  std::map<std::string, std::vector<Read>> log;
  std::map<std::string, size_t> polled;
  int64_t id = 0;
  auto push = [&](Op op) {
    op.index = static_cast<int64_t>(h.ops.size());
    h.ops.push_back(std::move(op));
  };
  while (static_cast<int64_t>(h.ops.size()) < ops) {
    if (rng.uniform_int(0, 9) < 8) {  // a send
      const std::string key = "t-" + std::to_string(rng.uniform_int(0, 7));
      const std::string value = "v" + std::to_string(id);
      Op inv;
      inv.id = id;
      inv.process = "p" + std::to_string(id % 4);
      inv.f = "send";
      inv.type = OpType::invoke;
      inv.sends.push_back({key, value, std::nullopt});
      Op ok = inv;
      ok.type = OpType::ok;
      ok.sends[0].offset = next_offset[key]++;
      log[key].push_back({*ok.sends[0].offset, value});
      push(std::move(inv));
      push(std::move(ok));
    } else {  // a poll returning what is new on a key
      const std::string key = "t-" + std::to_string(rng.uniform_int(0, 7));
      Op inv;
      inv.id = id;
      inv.process = "c" + key;
      inv.f = "poll";
      inv.type = OpType::invoke;
      Op ok = inv;
      ok.type = OpType::ok;
      auto& from = polled[key];
      for (size_t i = from; i < log[key].size() && i < from + 50; ++i) ok.polls[key].push_back(log[key][i]);
      from += ok.polls[key].size();
      push(std::move(inv));
      push(std::move(ok));
    }
    ++id;
  }
  return h;
}

// A history with faults of every kind the checks look for: overlapping operations, failed and
// indeterminate ones, offsets skipped, reused and written twice, records lost, consumers that
// skip and rewind, transactions that read each other's writes (cycles), rebalances, assigns.
class FaultyHistory {
 public:
  explicit FaultyHistory(uint64_t seed) : rng_(seed) {}

  History make(int64_t ops) {
    while (static_cast<int64_t>(h_.ops.size()) < ops) {
      if (open_.size() < 8 && (open_.empty() || rng_.bernoulli(0.5))) {
        invoke();
      } else {
        const size_t i = rng_.index(open_.size());
        Op op = std::move(open_[i]);
        open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
        complete(std::move(op));
      }
    }
    return std::move(h_);
  }

 private:
  std::string key() { return "k-" + std::to_string(rng_.uniform_int(0, 5)); }
  OpType outcome(double info, double fail) {
    const double x = rng_.uniform_real();
    return x < info ? OpType::info : x < info + fail ? OpType::fail : OpType::ok;
  }
  void push(Op op) {
    op.index = static_cast<int64_t>(h_.ops.size());
    h_.ops.push_back(std::move(op));
  }

  void invoke() {
    Op op;
    op.id = next_id_++;
    const int64_t kind = rng_.uniform_int(0, 19);
    if (kind < 10) {
      op.f = "send";
      op.process = "p" + std::to_string(rng_.uniform_int(0, 3));
      for (int64_t n = rng_.uniform_int(1, 3); n > 0; --n) op.sends.push_back({key(), "v" + std::to_string(next_value_++), {}});
    } else if (kind < 16) {
      op.f = "poll";
      op.process = "c" + std::to_string(rng_.uniform_int(0, 3));
    } else if (kind < 19) {
      op.f = "txn";
      op.process = "t" + std::to_string(rng_.uniform_int(0, 2));
      for (int64_t n = rng_.uniform_int(1, 2); n > 0; --n) op.sends.push_back({key(), "v" + std::to_string(next_value_++), {}});
    } else {
      op.f = rng_.bernoulli(0.5) ? "assign" : "subscribe";
      op.process = "c" + std::to_string(rng_.uniform_int(0, 3));
      for (int64_t k = 0; k < 6; ++k)
        if (rng_.bernoulli(0.6)) op.keys.push_back("k-" + std::to_string(k));
    }
    op.type = OpType::invoke;
    push(op);
    if (!op.sends.empty()) {  // the outcome is known now; the first half of the sends lands at once
      op.type = outcome(0.1, 0.1);
      append(op, 0, (op.sends.size() + 1) / 2);
    }
    open_.push_back(std::move(op));
  }

  void complete(Op op) {
    if (op.f == "assign" || op.f == "subscribe") {
      op.type = outcome(0.05, 0.05);
    } else if (op.f == "poll") {
      op.type = outcome(0.08, 0.07);
      poll(op);
    } else {
      append(op, (op.sends.size() + 1) / 2, op.sends.size());
      if (op.f == "txn") poll(op);
    }
    if (rng_.bernoulli(0.03)) op.rebalance_log.push_back({rng_.bernoulli(0.5) ? "revoked" : "assigned", {key()}});
    push(std::move(op));
  }

  // Writes sends [from, to) of the op to the log: ok ones with their offsets, some info and fail
  // ones too. A send now and then lands in an earlier hole, before records sent before it.
  void append(Op& op, size_t from, size_t to) {
    const bool lands = op.type == OpType::ok || (op.type == OpType::info && rng_.bernoulli(0.5)) ||
                       (op.type == OpType::fail && rng_.bernoulli(0.05));
    if (!lands) return;
    const bool reversed = to - from > 1 && rng_.bernoulli(0.05);
    for (size_t n = from; n < to; ++n) {
      Send& s = op.sends[reversed ? to - 1 - (n - from) : n];
      int64_t& next = next_offset_[s.key];
      std::vector<int64_t>& holes = holes_[s.key];
      if (rng_.bernoulli(0.03)) holes.push_back(next++);  // a hole (a marker, an unseen record)
      int64_t offset = next > 0 && rng_.bernoulli(0.01) ? next - 1 : next++;  // sometimes two values at one offset
      if (!holes.empty() && rng_.bernoulli(0.02)) {
        offset = holes.back();
        holes.pop_back();
      }
      if (op.type == OpType::ok || rng_.bernoulli(0.5)) s.offset = offset;
      if (!rng_.bernoulli(0.02)) land(s.key, {offset, s.value});  // else lost
      if (rng_.bernoulli(0.01)) land(s.key, {next++, s.value});  // written twice
    }
  }
  void land(const std::string& k, Read r) {
    std::vector<Read>& log = log_[k];
    auto at = std::upper_bound(log.begin(), log.end(), r.offset, [](int64_t o, const Read& x) { return o < x.offset; });
    log.insert(at, std::move(r));
  }

  // Reads up to 8 records of one or two keys from the consumer's position, which sometimes
  // jumps ahead or back; consecutive reads are sometimes swapped.
  void poll(Op& op) {
    for (int64_t n = op.f == "txn" ? 1 : rng_.uniform_int(1, 2); n > 0; --n) {
      const std::string k = op.f == "txn" && !op.sends.empty() && rng_.bernoulli(0.3) ? op.sends.front().key : key();
      const std::vector<Read>& log = log_[k];
      size_t& at = position_[op.process][k];
      if (rng_.bernoulli(0.03)) at += static_cast<size_t>(rng_.uniform_int(1, 2));
      if (rng_.bernoulli(0.03)) at -= std::min(at, static_cast<size_t>(rng_.uniform_int(1, 3)));
      if (op.f == "txn" && rng_.bernoulli(0.5)) at = log.size() - std::min(log.size(), size_t{2});
      std::vector<Read>& reads = op.polls[k];
      for (size_t i = at; i < log.size() && reads.size() < 8; ++i) {
        if (rng_.bernoulli(0.01)) continue;  // a skip inside the poll
        reads.push_back(log[i]);
      }
      if (reads.size() > 1 && rng_.bernoulli(0.02)) std::swap(reads[0], reads[1]);
      if (op.type == OpType::ok) at += reads.size();
      if (reads.empty()) op.polls.erase(k);
    }
  }

  sim::Rng rng_;
  History h_;
  std::vector<Op> open_;
  int64_t next_id_ = 0;
  int64_t next_value_ = 0;
  std::map<std::string, int64_t> next_offset_;
  std::map<std::string, std::vector<Read>> log_;  // key -> records by offset
  std::map<std::string, std::vector<int64_t>> holes_;
  std::map<std::string, std::map<std::string, size_t>> position_;  // process -> key -> log position
};

}  // namespace check::bench
