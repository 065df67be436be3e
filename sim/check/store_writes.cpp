#include "sim/check/store_writes.hpp"

#include "sim/check/event_fields.hpp"

namespace check {

namespace {
namespace ev = kafka::event;

struct Reader {
  std::vector<StoreWriteRecord>& writes;
  MemberLives& lives;
  const sim::Event& e;

  void operator()(const ev::ConsumerStart::View& v) { lives.started(v.member); }
  void operator()(const ev::StoreWrite::View& v) {
    StoreWriteRecord w;
    w.store = std::string(v.store);
    w.key = std::string(v.key);
    w.op = std::string(v.op);
    w.value = std::string(v.value);
    w.changed = v.changed;
    w.member = std::string(v.member);
    // The member's process when the store applied the write. (A write still in flight when its
    // member crashed, applied after the member had started again, would count in the new one:
    // the network delivers what a crashed node sent.)
    w.life = lives.of(v.member);
    w.invocation = v.invocation;
    if (!v.member.empty()) w.partition = partition_key(v.topic, v.partition);
    w.offset = v.offset;
    w.txn = v.txn;
    w.time_ns = e.time.ns;
    writes.push_back(std::move(w));
  }
};
}  // namespace

void StoreSink::write(const sim::Event& e) { Reads::visit(e, Reader{writes_, lives_, e}); }

}  // namespace check
