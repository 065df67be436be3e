#include "sim/check/history.hpp"

namespace check {

std::string_view to_string(OpType t) {
  switch (t) {
    case OpType::invoke: return "invoke";
    case OpType::ok: return "ok";
    case OpType::fail: return "fail";
    case OpType::info: return "info";
  }
  return "?";
}

}  // namespace check
