#include "reports/view_data.hpp"

#include "reports/logs_data.hpp"

namespace report {

// The views with data of their own. A new view adds its ViewData here and its drawing as
// reports/web/<name>.js (listed in reports/CMakeLists.txt).
std::vector<std::unique_ptr<ViewData>> make_view_data(const Limits& limits) {
  (void)limits;
  std::vector<std::unique_ptr<ViewData>> views;
  views.push_back(std::make_unique<LogsData>());
  return views;
}

}  // namespace report
