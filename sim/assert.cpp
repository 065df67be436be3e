#include "sim/assert.hpp"

#include <fmt/format.h>

namespace sim {

void assertion_failed(const char* condition, const char* file, int line, const std::string& detail) {
  std::string where = file;
  if (const size_t slash = where.rfind('/'); slash != std::string::npos) where = where.substr(slash + 1);
  throw InvariantViolation(fmt::format("invariant violated at {}:{}: {}{}{}", where, line, condition,
                                       detail.empty() ? "" : ": ", detail));
}

}  // namespace sim
