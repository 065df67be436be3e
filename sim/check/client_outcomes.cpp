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

void ClientOutcomes::write(const sim::Event& e) {
  if (e.kind.starts_with("op.")) {
    on_op(e);
  } else if (e.kind.starts_with("consumer.")) {
    on_consumer(e);
  }
}

void ClientOutcomes::on_op(const sim::Event& e) {
  // A poll's records are the group's to count when processed, not here.
  if (e.kind == "op.poll_record") return;
  const check::EventFields f(e);
  const std::string_view name = f.text("process");
  Process& proc = process(name);
  const int64_t op = f.integer("op");
  const bool send = f.text("f") == "send";
  if (e.kind == "op.invoke") {
    ++proc.invoked;
    if (!send) return;
    if (!proc.producer) proc.producer = &producers_[std::string(name)];
    ++proc.producer->sent;
    const bool has_key = f.boolean("has_key");
    proc.sends[op] = Pending{topics_.id(f.text("topic")), has_key, has_key ? texts_.add(f.text("key")) : TextArena::Piece{},
                             texts_.add(f.text("value"))};
    return;
  }
  if (!send) return;
  auto it = proc.sends.find(op);
  if (it == proc.sends.end()) return;
  const Pending sent = it->second;
  proc.sends.erase(it);
  ProducerOutcomes& out = *proc.producer;  // set when the send was invoked
  if (e.kind == "op.ok") {
    ++out.ok;
    out.acked.push_back({sent.topic, static_cast<int32_t>(f.integer("partition")), f.integer("offset"), sent.has_key, sent.key, sent.value});
    return;
  }
  ++(e.kind == "op.fail" ? out.failed : out.indefinite);
  const std::string_view error = f.text("error"), cause = f.text("cause");
  ++out.errors[std::string(error)];
  ++out.causes[std::string(cause == "NONE" ? error : cause)];
}

ClientOutcomes::Process& ClientOutcomes::process(std::string_view name) {
  if (last_ && name == last_name_) return *last_;
  last_name_ = name;
  last_ = &processes_[last_name_];
  return *last_;
}

void ClientOutcomes::on_consumer(const sim::Event& e) {
  const check::EventFields f(e);
  const std::string_view kind = e.kind.substr(9);
  if (kind == "processed") {
    GroupOutcomes& g = groups_[std::string(f.text("group"))];
    g.processed.push_back({members_.id(f.text("member")), topics_.id(f.text("topic")), static_cast<int32_t>(f.integer("partition")),
                           f.integer("offset"), e.time.ns, texts_.add(f.text("key")), texts_.add(f.text("value"))});
  } else if (kind == "assigned") {
    ++groups_[std::string(f.text("group"))].assignments;
  } else if (kind == "unblocked") {
    groups_[std::string(f.text("group"))].blocked_ns += f.integer("blocked");
  } else if (kind == "truncation_detected") {
    ++groups_[std::string(f.text("group"))].truncations;
  } else if (kind == "commit") {
    const std::string_view error = f.text("error");
    if (error != "NONE") ++groups_[std::string(f.text("group"))].commit_errors[std::string(error)];
  }
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
