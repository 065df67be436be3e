#include "sim/check/client_outcomes.hpp"

#include <algorithm>
#include <cstring>

#include "sim/check/event_fields.hpp"

namespace check {

namespace {
// "name-123" -> ("name", 123); the number in its shortest decimal form only, so that the text
// comes back byte for byte.
bool split_numbered(std::string_view text, std::string_view& name, uint64_t& number) {
  const size_t dash = text.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size() || text.size() - dash - 1 > 19) return false;
  const std::string_view digits = text.substr(dash + 1);
  if (digits.size() > 1 && digits[0] == '0') return false;
  number = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    number = number * 10 + static_cast<uint64_t>(c - '0');
  }
  name = text.substr(0, dash);
  return true;
}
}  // namespace

TextArena::Piece TextArena::add(std::string_view text) {
  if (text.empty()) return {};
  std::string_view name;
  uint64_t number = 0;
  if (split_numbered(text, name, number) && name.size() <= 256 && names_.size() < kMaxNames) {
    return Piece{kNumbered | names_.id(name), static_cast<uint32_t>(number), static_cast<uint32_t>(number >> 32)};
  }
  if (text.size() > capacity_ - used_) {
    // A text longer than a chunk gets a chunk of its own size.
    capacity_ = std::max(kChunk, text.size());
    chunks_.push_back(std::make_unique_for_overwrite<char[]>(capacity_));
    used_ = 0;
  }
  const Piece p{static_cast<uint32_t>(chunks_.size() - 1), static_cast<uint32_t>(used_), static_cast<uint32_t>(text.size())};
  std::memcpy(chunks_.back().get() + used_, text.data(), text.size());
  used_ += text.size();
  return p;
}

std::string TextArena::get(Piece p) const {
  if (p.chunk & kNumbered) {
    const uint64_t number = uint64_t{p.at} | uint64_t{p.size} << 32;
    return names_.name(p.chunk & ~kNumbered) + "-" + std::to_string(number);
  }
  if (p.size == 0) return {};
  return std::string(chunks_[p.chunk].get() + p.at, p.size);
}

uint32_t NameTable::id(std::string_view name) {
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(names_.back(), id);
  return id;
}

namespace ev = kafka::event;

class ClientOutcomes::Reader {
 public:
  Reader(ClientOutcomes& o, const sim::Event& e) : o_(o), e_(e) {}
  void operator()(const ev::OpInvoke::View& v) { o_.on_invoke(v, e_.time.ns); }
  void operator()(const ev::OpOk::View& v) {
    o_.on_outcome(ev::OpOk::spec, e_.time.ns, v.process, v.op, v.f, v.partition, v.offset, v.error, v.cause);
  }
  void operator()(const ev::OpFail::View& v) {
    o_.on_outcome(ev::OpFail::spec, e_.time.ns, v.process, v.op, v.f, v.partition, v.offset, v.error, v.cause);
  }
  void operator()(const ev::OpInfo::View& v) {
    o_.on_outcome(ev::OpInfo::spec, e_.time.ns, v.process, v.op, v.f, v.partition, v.offset, v.error, v.cause);
  }
  void operator()(const ev::ConsumerProcessed::View& v) {
    o_.group_of(v.group).processed.push_back({o_.members_.id(v.member), o_.topics_.id(v.topic), static_cast<int32_t>(v.partition),
                                              v.offset, e_.time.ns, o_.texts_.add(v.key), o_.texts_.add(v.value)});
  }
  void operator()(const ev::ConsumerAssigned::View& v) { ++o_.group_of(v.group).assignments; }
  void operator()(const ev::ConsumerUnblocked::View& v) { o_.group_of(v.group).blocked_ns += v.blocked; }
  void operator()(const ev::ConsumerTruncationDetected::View& v) { ++o_.group_of(v.group).truncations; }
  void operator()(const ev::ConsumerCommit::View& v) {
    GroupOutcomes& g = o_.group_of(v.group);
    if (v.error == "NONE") {
      ++g.commits;
    } else {
      ++g.commits_failed;
      ++g.commit_errors[std::string(v.error)];
    }
  }
  void operator()(const ev::ConsumerFatal::View& v) {
    // The detail is "<request>: <error>".
    const size_t colon = v.detail.rfind(": ");
    ++o_.group_of(v.group).fatal_errors[std::string(colon == std::string_view::npos ? v.detail : v.detail.substr(colon + 2))];
  }

 private:
  ClientOutcomes& o_;
  const sim::Event& e_;
};

void ClientOutcomes::write(const sim::Event& e) { Reads::visit(e, Reader(*this, e)); }

void ClientOutcomes::on_invoke(const ev::OpInvoke::View& v, int64_t now_ns) {
  Process& proc = process(v.process);
  ++proc.invoked;
  if (v.f != "send") return;
  if (!proc.producer) proc.producer = &producers_[std::string(v.process)];
  ++proc.producer->sent;
  proc.sends[v.op] = Pending{now_ns, topics_.id(v.topic), v.has_key, v.has_key ? texts_.add(v.key) : TextArena::Piece{}, texts_.add(v.value)};
}

void ClientOutcomes::on_outcome(const sim::schema::KindSpec& kind, int64_t now_ns, std::string_view name, int64_t op,
                                std::string_view f, int64_t partition, int64_t offset, std::string_view error,
                                std::string_view cause) {
  Process& proc = process(name);
  if (f != "send") return;
  auto it = proc.sends.find(op);
  if (it == proc.sends.end()) return;
  const Pending sent = it->second;
  proc.sends.erase(it);
  ProducerOutcomes& out = *proc.producer;  // set when the send was invoked
  if (&kind == &ev::OpOk::spec) {
    ++out.ok;
    out.acked.push_back({sent.topic, static_cast<int32_t>(partition), offset, sent.has_key, sent.key, sent.value});
    out.latencies_ns.push_back(now_ns - sent.invoked_ns);
    return;
  }
  ++(&kind == &ev::OpFail::spec ? out.failed : out.indefinite);
  ++out.errors[std::string(error)];
  ++out.causes[std::string(cause == "NONE" ? error : cause)];
}

ClientOutcomes::Process& ClientOutcomes::process(std::string_view name) {
  if (last_ && name == last_name_) return *last_;
  last_name_ = name;
  last_ = &processes_[last_name_];
  return *last_;
}

uint64_t ClientOutcomes::next_op(const std::string& process) const {
  auto it = processes_.find(process);
  return it == processes_.end() ? 0 : it->second.invoked;
}

const ProducerOutcomes& ClientOutcomes::producer(const std::string& process) const {
  static const ProducerOutcomes none;
  auto it = producers_.find(process);
  return it == producers_.end() ? none : it->second;
}

const GroupOutcomes& ClientOutcomes::group(const std::string& group_id) const {
  static const GroupOutcomes none;
  auto it = groups_.find(group_id);
  return it == groups_.end() ? none : it->second;
}

}  // namespace check
