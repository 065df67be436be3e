#pragma once
// The check result a report shows: the JSON `kafkasim run --json` writes (the verdict of each
// expectation with its explanation, the anomalies with theirs, the replay line, the scenario's
// description). `run --report` passes its own result through this same JSON, so a report made
// later from the files is the same file.
#include <string>

#include <nlohmann/json.hpp>

#include "reports/report_model.hpp"

namespace report {

// Puts the result's verdicts, anomalies and identity into the model (its checks replace the
// trace's). Returns "" or what is wrong with the result's shape.
std::string apply_check_result(const nlohmann::json& result, const Limits& limits, Model& model);

}  // namespace report
