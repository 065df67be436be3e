#include "sim/check/history_json.hpp"

#include <nlohmann/json.hpp>

namespace check {

void write_history_jsonl(const History& h, std::ostream& out) {
  for (const Op& op : h.ops) {
    nlohmann::ordered_json j;
    j["index"] = op.index;
    j["process"] = op.process;
    j["type"] = std::string(to_string(op.type));
    j["f"] = op.f;
    auto value = nlohmann::json::array();
    if (op.f == "send") {
      for (const Send& s : op.sends) {
        if (s.offset) value.push_back({"send", s.key, {*s.offset, s.value}});
        else if (op.type == OpType::invoke) value.push_back({"send", s.key, s.value});
        else value.push_back({"send", s.key, {nullptr, s.value}});
      }
      if (op.sends.empty()) value.push_back({"send"});
    } else if (op.f == "poll") {
      if (op.type == OpType::invoke) {
        value.push_back({"poll"});
      } else {
        nlohmann::ordered_json reads = nlohmann::ordered_json::object();
        for (const auto& [key, rs] : op.polls) {
          auto list = nlohmann::json::array();
          for (const Read& r : rs) list.push_back({r.offset, r.value});
          reads[key] = list;
        }
        value.push_back({"poll", reads});
      }
    } else {
      for (const auto& k : op.keys) value.push_back(k);
    }
    j["value"] = value;
    j["time"] = op.time_ns;
    out << j.dump() << '\n';
  }
}

}  // namespace check
