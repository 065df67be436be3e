#pragma once
// The trace reference (docs/trace.md), written from the trace's schema so it cannot drift:
// `kafkasim trace-schema` prints it, and a test fails when docs/trace.md differs.
#include <string>

namespace sim::cli {

std::string trace_reference_markdown();

}  // namespace sim::cli
