#pragma once
// The report's page, stylesheet and script (reports/web/), built into the program by
// reports/embed_web.cmake: the HTML file needs nothing at run time.
#include <string_view>

namespace report::web {

extern const std::string_view html;
extern const std::string_view css;
extern const std::string_view js;

}  // namespace report::web
