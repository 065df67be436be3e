// Fuzz target: the history reader of `kafkasim check` and the checks it feeds, on any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/check/history_json.hpp"
#include "sim/check/jepsen.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  const auto history = check::parse_history(std::string_view(reinterpret_cast<const char*>(data), size), error);
  if (!history) {
    if (error.empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  for (bool subscribe : {false, true}) {
    check::CheckOptions opts;
    opts.sub_via_subscribe = subscribe;
    opts.ww_deps = subscribe;
    check::check_history(*history, opts);
  }
  return 0;
}
