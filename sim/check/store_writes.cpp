#include "sim/check/store_writes.hpp"

#include "sim/check/event_fields.hpp"

namespace check {

void StoreSink::write(const sim::Event& e) {
  Reads::visit(e, [this, &e](const kafka::event::StoreWrite::View& v) {
    StoreWriteRecord w;
    w.store = std::string(v.store);
    w.key = std::string(v.key);
    w.op = std::string(v.op);
    w.value = std::string(v.value);
    w.changed = v.changed;
    w.member = std::string(v.member);
    w.invocation = v.invocation;
    if (!v.member.empty()) w.partition = partition_key(v.topic, v.partition);
    w.offset = v.offset;
    w.txn = v.txn;
    w.time_ns = e.time.ns;
    writes_.push_back(std::move(w));
  });
}

}  // namespace check
