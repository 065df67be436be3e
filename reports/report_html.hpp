#pragma once
// The report as one self-contained HTML file: the page (reports/web/report.html) with its CSS
// and JS inlined and the model as JSON in <script type="application/json" id="report-data">.
// Every string from the run is in that JSON block only, with <, >, &, U+2028 and U+2029
// escaped so that nothing can close the element; the page puts them into the DOM as text.
#include <string>

#include "reports/report_model.hpp"

namespace report {

// The model as JSON, safe inside a <script> element.
std::string model_json(const Model& m);
// The whole file.
std::string render_html(const Model& m);
// The file comparing two runs (the same scenario with one setting changed) on one time axis:
// every view shows the first run, and the Compare view sets the two side by side. The second
// run's model is the first's `compare` member.
std::string render_compare_html(const Model& a, const Model& b);

}  // namespace report
