#include "sim/check/jepsen_analysis.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace check::jepsen {

Analysis::Analysis(const History& h) : ids(h) {
  find_writers_and_readers();
  order_processes();
  order_versions();
}

// Writers (the last completion to send each value), readers (every completion that read it, in
// history order, once per read) and what ok completions read; then which completions must have
// committed, which needs the latter.
void Analysis::find_writers_and_readers() {
  const size_t values = ids.value_text.size(), completions = ids.completions.size();
  writer.assign(values, kNone);
  ok_read.assign(values, 0);
  readers_begin.assign(values + 1, 0);
  for (int32_t c = 0; c < static_cast<int32_t>(completions); ++c) {
    for (const KeyRun& r : ids.writes(c))
      for (const MicroOp& m : ids.values(r)) writer[static_cast<size_t>(m.value)] = c;
    const bool ok = op(c).type == OpType::ok;
    for (const KeyRun& r : ids.reads(c))
      for (const MicroOp& m : ids.values(r)) {
        ++readers_begin[static_cast<size_t>(m.value) + 1];
        if (ok) ok_read[static_cast<size_t>(m.value)] = 1;
      }
  }
  for (size_t v = 0; v < values; ++v) readers_begin[v + 1] += readers_begin[v];
  readers.resize(static_cast<size_t>(readers_begin.back()));
  std::vector<int32_t> next(readers_begin.begin(), readers_begin.end() - 1);
  for (int32_t c = 0; c < static_cast<int32_t>(completions); ++c)
    for (const KeyRun& r : ids.reads(c))
      for (const MicroOp& m : ids.values(r)) readers[static_cast<size_t>(next[static_cast<size_t>(m.value)]++)] = c;

  committed.assign(completions, 0);
  for (int32_t c = 0; c < static_cast<int32_t>(completions); ++c) {
    const OpType t = op(c).type;
    bool yes = t == OpType::ok;
    if (t == OpType::info)
      for (const KeyRun& r : ids.writes(c))
        for (const MicroOp& m : ids.values(r)) yes = yes || ok_read[static_cast<size_t>(m.value)];
    committed[static_cast<size_t>(c)] = yes;
  }
}

// Per-process order: by invocation position (a process may have many ops outstanding).
void Analysis::order_processes() {
  process_begin.assign(ids.process_names.size() + 1, 0);
  for (int32_t p : ids.process) ++process_begin[static_cast<size_t>(p) + 1];
  for (size_t p = 0; p + 1 < process_begin.size(); ++p) process_begin[p + 1] += process_begin[p];
  by_process.resize(ids.completions.size());
  std::vector<int32_t> next(process_begin.begin(), process_begin.end() - 1);
  for (int32_t c = 0; c < static_cast<int32_t>(ids.completions.size()); ++c)
    by_process[static_cast<size_t>(next[static_cast<size_t>(ids.process[static_cast<size_t>(c)])]++)] = c;
  auto invocation_order = [&](int32_t x, int32_t y) {
    return std::make_pair(ids.invoked[static_cast<size_t>(x)], op(x).index) <
           std::make_pair(ids.invoked[static_cast<size_t>(y)], op(y).index);
  };
  for (size_t p = 0; p + 1 < process_begin.size(); ++p)
    std::sort(by_process.begin() + process_begin[p], by_process.begin() + process_begin[p + 1], invocation_order);
}

// Version orders: every poll (even of fail/info ops: consumers must never return bad data), and
// the sends with known offsets of ops that must have committed. Fail sends never count.
void Analysis::order_versions() {
  struct Entry {
    KeyId key;
    ValueId value;
    int64_t offset;
  };
  std::vector<Entry> entries;
  entries.reserve(ids.micro.size());
  // A value whose send failed (an aborted transaction's, say) is no version of the log, even
  // when a read_uncommitted poll returned it: that read is G1a, and the versions around it
  // are adjacent for every reader.
  std::vector<bool> failed(ids.value_text.size(), false);
  for (int32_t c = 0; c < static_cast<int32_t>(ids.completions.size()); ++c)
    if (op(c).type == OpType::fail)
      for (const KeyRun& r : ids.writes(c))
        for (const MicroOp& m : ids.values(r)) failed[static_cast<size_t>(m.value)] = true;
  for (int32_t c = 0; c < static_cast<int32_t>(ids.completions.size()); ++c) {
    if (committed[static_cast<size_t>(c)])
      for (const KeyRun& r : ids.writes(c))
        for (const MicroOp& m : ids.values(r))
          if (m.has_offset) entries.push_back({r.key, m.value, m.offset});
    for (const KeyRun& r : ids.reads(c))
      for (const MicroOp& m : ids.values(r))
        if (!failed[static_cast<size_t>(m.value)]) entries.push_back({r.key, m.value, m.offset});
  }
  auto as_tuple = [](const Entry& e) { return std::tie(e.key, e.offset, e.value); };
  std::sort(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) { return as_tuple(x) < as_tuple(y); });
  entries.erase(std::unique(entries.begin(), entries.end(), [&](const Entry& x, const Entry& y) { return as_tuple(x) == as_tuple(y); }),
                entries.end());

  orders.assign(ids.key_names.size(), {});
  first_index.assign(ids.value_text.size(), kNone);
  last_index.assign(ids.value_text.size(), kNone);
  auto by_text = [&](ValueId x, ValueId y) { return ids.text(x) < ids.text(y); };
  for (size_t e = 0; e < entries.size();) {
    KeyOrder& o = orders[static_cast<size_t>(entries[e].key)];
    const auto i = static_cast<int32_t>(o.offset_of.size());
    o.offset_of.push_back(entries[e].offset);
    o.begin.push_back(static_cast<int32_t>(o.values.size()));
    const size_t first = e;
    for (; e < entries.size() && entries[e].key == entries[first].key && entries[e].offset == entries[first].offset; ++e) {
      o.values.push_back(entries[e].value);
      if (first_index[static_cast<size_t>(entries[e].value)] == kNone) first_index[static_cast<size_t>(entries[e].value)] = i;
      last_index[static_cast<size_t>(entries[e].value)] = i;
    }
    if (e - first > 1) std::sort(o.values.end() - static_cast<std::ptrdiff_t>(e - first), o.values.end(), by_text);
  }
  for (KeyOrder& o : orders) o.begin.push_back(static_cast<int32_t>(o.values.size()));
}

Values Analysis::skipped(ValueId v, const Step& s) const {
  Values out;
  const KeyOrder& o = order_of(v);
  for (int64_t i = s.from + 1; i < s.to; ++i) out.push_back(o.at(i));
  return out;
}

Anomaly anomaly(std::string_view key, std::string detail, std::vector<int64_t> ops, std::string_view value) {
  return Anomaly{std::string(key), std::move(detail), std::move(ops), {}, std::string(value)};
}

std::string join(const HistoryIds& ids, std::span<const ValueId> vs, size_t limit) {
  std::string out = "[";
  for (size_t i = 0; i < vs.size() && i < limit; ++i) {
    if (i) out += ", ";
    out += ids.text(vs[i]);
  }
  if (vs.size() > limit) out += fmt::format(", ... ({} in all)", vs.size());
  return out + "]";
}

std::string name(const Op& op) {
  return fmt::format("op {} ({} {} {})", op.index, op.process, op.f, to_string(op.type));
}

}  // namespace check::jepsen
