#pragma once
// What crosses the network. The kernel treats messages as opaque and immutable once sent;
// the model defines one struct per protocol message.
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/trace.hpp"

namespace sim {

class Message {
 public:
  virtual ~Message() = default;
  // The protocol name shown in the trace, e.g. "ProduceRequest".
  virtual std::string_view name() const = 0;
  // Bytes on the wire; drives bandwidth limits.
  virtual uint32_t size_bytes() const { return 64; }
  // Extra fields for the trace's net events (borrowed from the message, which outlives them).
  virtual void describe(std::vector<Field>& out) const { (void)out; }
};
using MessagePtr = std::shared_ptr<const Message>;

}  // namespace sim
