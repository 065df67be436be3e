#include "reports/view_data.hpp"

#include "reports/charts_data.hpp"
#include "reports/groups_data.hpp"
#include "reports/fates_data.hpp"
#include "reports/messages_data.hpp"
#include "reports/logs_data.hpp"

namespace report {

// The views with data of their own. A new view adds its ViewData here and its drawing as
// reports/web/<name>.js (listed in reports/CMakeLists.txt).
std::vector<std::unique_ptr<ViewData>> make_view_data(const Limits& limits) {
  (void)limits;
  std::vector<std::unique_ptr<ViewData>> views;
  views.push_back(std::make_unique<LogsData>());
  views.push_back(std::make_unique<MessagesData>());
  views.push_back(std::make_unique<GroupsData>());
  views.push_back(std::make_unique<ChartsData>());
  views.push_back(std::make_unique<FatesData>());
  return views;
}

}  // namespace report
