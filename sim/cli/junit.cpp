#include "sim/cli/junit.hpp"

#include <fmt/format.h>

#include "sim/escape.hpp"

namespace sim::cli {

void write_junit(std::ostream& x, const std::vector<JunitCase>& cases) {
  size_t failed = 0, errors = 0;
  for (const JunitCase& c : cases) {
    const Verdict v = verdict_of(*c.report);
    failed += v == Verdict::failed;
    errors += v == Verdict::error;
  }
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << fmt::format("<testsuites><testsuite name=\"kafkasim\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n", cases.size(), failed, errors);
  for (const JunitCase& c : cases) {
    const RunReport& r = *c.report;
    const Verdict v = verdict_of(r);
    x << fmt::format("  <testcase classname=\"{}\" name=\"{} (seed {})\" time=\"{:.3f}\">", xml_text(c.file),
                     xml_text(r.scenario.empty() ? c.file : r.scenario), r.seed, r.seconds);
    if (v != Verdict::passed) {
      const char* tag = v == Verdict::failed ? "failure" : "error";
      x << fmt::format("<{} message=\"{}\">replay: {}</{}>", tag, xml_text(r.failure), xml_text(r.replay), tag);
    }
    // Expectations the run could not judge pass no verdict; CI shows them as the run's output.
    if (!r.not_judged.empty()) x << fmt::format("<system-out>not judged: {}</system-out>", xml_text(r.not_judged));
    x << "</testcase>\n";
  }
  x << "</testsuite></testsuites>\n";
}

}  // namespace sim::cli
