# Writes OUT, a C++ file holding the report's web files (WEB_DIR) as raw string literals: the
# page, its stylesheet, and its script, which is the files of JS_FILES ("|"-separated, in order)
# joined. Run at build time by reports/CMakeLists.txt whenever one of them changes.
#
# VENDOR_JS, VENDOR_CSS and VENDOR_LICENSE (optional, together) name a third-party library
# (uPlot) to put before the page's own script and stylesheet, its licence kept in a comment.
# When the files are absent the page goes without it (its views say so).
set(delimiter "kafkasim_web")
string(REPLACE "|" ";" js_files "${JS_FILES}")
# The page's own files in one function whose body is strict: a library put before them (below)
# cannot take the directive's place at the head of the script.
set(js "(function () {\n\"use strict\";\n")
foreach(file ${js_files})
  file(READ "${WEB_DIR}/${file}" content)
  string(APPEND js "// ---- ${file}\n${content}")
endforeach()
string(APPEND js "})();\n")
file(READ "${WEB_DIR}/report.html" html)
file(READ "${WEB_DIR}/report.css" css)
if(VENDOR_JS AND EXISTS "${VENDOR_JS}" AND EXISTS "${VENDOR_CSS}" AND EXISTS "${VENDOR_LICENSE}")
  file(READ "${VENDOR_LICENSE}" licence)
  string(FIND "${licence}" "*/" closes)
  if(NOT closes EQUAL -1)
    message(FATAL_ERROR "${VENDOR_LICENSE} holds */ and cannot go in a comment")
  endif()
  file(READ "${VENDOR_JS}" vendor_js)
  # Its banner names its home page; the page holds no URL at all, so the name stays without
  # the scheme.
  string(REGEX REPLACE "^/\\*! https?://" "/*! " vendor_js "${vendor_js}")
  string(FIND "${vendor_js}" "http" url)
  if(NOT url EQUAL -1)
    message(FATAL_ERROR "${VENDOR_JS} holds a URL the page must not carry")
  endif()
  file(READ "${VENDOR_CSS}" vendor_css)
  set(js "/* ${VENDOR_JS_NAME}: its licence follows.\n${licence}*/\n${vendor_js}\n${js}")
  set(css "/* ${VENDOR_JS_NAME}: MIT licence, in the page's script. */\n${vendor_css}\n${css}")
endif()
set(body "// Generated from reports/web by reports/embed_web.cmake: do not edit.\n#include \"reports/web_assets.hpp\"\n\nnamespace report::web {\n")
foreach(name html css js)
  string(FIND "${${name}}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "the report's ${name} holds the raw string delimiter )${delimiter}\"")
  endif()
  string(APPEND body "extern const std::string_view ${name};\nconst std::string_view ${name} = R\"${delimiter}(${${name}})${delimiter}\";\n")
endforeach()
string(APPEND body "\n}  // namespace report::web\n")
file(WRITE "${OUT}.tmp" "${body}")
file(RENAME "${OUT}.tmp" "${OUT}")
