#include "reports/report_html.hpp"

#include <nlohmann/json.hpp>

#include "reports/web_assets.hpp"
#include "sim/escape.hpp"

namespace report {

namespace {

using Json = nlohmann::ordered_json;

// Text as the file holds it: invalid UTF-8 repaired (as every JSON output of kafkasim is).
std::string utf8(const std::string& s) { return sim::valid_utf8(s); }

Json scenario_json(const Model& m) {
  return Json{{"name", utf8(m.scenario)},
              {"seed", std::to_string(m.seed)},  // a 64-bit seed is more than JavaScript's numbers hold
              {"duration_ns", m.duration_ns},
              {"kafka_version", utf8(m.kafka_version)},
              {"description", utf8(m.description)}};
}

Json checks_json(const Model& m) {
  Json out = Json::array();
  for (const CheckLine& c : m.checks)
    out.push_back({{"name", utf8(c.name)}, {"held", c.held}, {"judged", c.judged}, {"detail", utf8(c.detail)}, {"explanation", utf8(c.explanation)}});
  return out;
}

Json anomalies_json(const Model& m) {
  Json out = Json::array();
  for (const AnomalyLine& a : m.anomalies)
    out.push_back({{"kind", utf8(a.kind)}, {"key", utf8(a.key)}, {"detail", utf8(a.detail)}, {"explanation", utf8(a.explanation)}, {"allowed", a.allowed}});
  return out;
}

Json timeline_json(const Model& m) {
  Json faults = Json::array();
  for (const FaultBand& f : m.faults)
    faults.push_back({{"kind", f.kind}, {"label", utf8(f.label)}, {"start_ns", f.start_ns}, {"end_ns", f.end_ns}, {"open_at_end", f.open_at_end}});
  Json notes = Json::array();
  for (const NoteMark& n : m.notes) notes.push_back({{"time_ns", n.time_ns}, {"text", utf8(n.text)}});
  return Json{{"end_ns", m.end_ns}, {"drain_start_ns", m.drain_start_ns}, {"drain_end_ns", m.drain_end_ns}, {"faults", faults}, {"notes", notes}};
}

// Escapes what could end the <script> element or a JavaScript line. Outside strings, JSON has
// none of these characters, so replacing them everywhere changes only strings.
std::string script_safe(const std::string& json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') out += "\\u003c";
    else if (c == '>') out += "\\u003e";
    else if (c == '&') out += "\\u0026";
    else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' && (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Replaces the one place holder `mark` in `page` with `text`.
void fill(std::string& page, std::string_view mark, std::string_view text) {
  const size_t at = page.find(mark);
  if (at != std::string::npos) page.replace(at, mark.size(), text);
}

Json model_to_json(const Model& m) {
  Json counts = Json::array();
  for (const Count& c : m.counts) counts.push_back({{"label", utf8(c.label)}, {"value", c.value}});
  Json summarised = Json::array();
  for (const std::string& s : m.summarised) summarised.push_back(utf8(s));
  Json config = Json::array();
  for (const ConfigLine& c : m.config)
    config.push_back({{"entity", utf8(c.entity)}, {"key", utf8(c.key)}, {"value", utf8(c.value)}, {"default", utf8(c.kafka_default)}, {"set", c.set}});
  Json views = Json::object();
  for (const auto& [name, block] : m.views) views[name] = block;
  Json j{{"format", 1},
         {"scenario", scenario_json(m)},
         {"has_check_result", m.has_check_result},
         {"result", utf8(m.result)},
         {"replay", utf8(m.replay)},
         {"trace_hash", utf8(m.trace_hash)},
         {"events", m.events},
         {"checks", checks_json(m)},
         {"anomalies", anomalies_json(m)},
         {"counts", counts},
         {"config", config},
         {"timeline", timeline_json(m)},
         {"summarised", summarised},
         {"views", views}};
  return j;
}

std::string safe_dump(const Json& j) { return script_safe(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)); }

std::string page_with(const std::string& data) {
  std::string page(web::html);
  // The data last: once it is in, no place holder is looked for, so no string of the run can
  // pose as one.
  fill(page, "/*@REPORT_CSS@*/", web::css);
  fill(page, "/*@REPORT_JS@*/", web::js);
  fill(page, "@REPORT_DATA@", data);
  return page;
}

}  // namespace

std::string model_json(const Model& m) { return safe_dump(model_to_json(m)); }

std::string render_html(const Model& m) { return page_with(model_json(m)); }

std::string render_compare_html(const Model& a, const Model& b) {
  Json j = model_to_json(a);
  j["compare"] = model_to_json(b);
  return page_with(safe_dump(j));
}

}  // namespace report
