# cmake -DINPUT=<page.html> -DOUTPUT=<page.cpp> -P embed.cmake: the page as one C++ raw string literal, so that
# the page stays an ordinary HTML file to edit and the library needs no file at run time.
file(READ "${INPUT}" page)
string(FIND "${page}" ")cokka_page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains )cokka_page\", the end of the raw string it is embedded in")
endif()
file(WRITE "${OUTPUT}" "// Generated from page.html by embed.cmake: edit page.html instead.
#include \"site.hpp\"

namespace cokka::detail::live_view {
const char* const page_html = R\"cokka_page(${page})cokka_page\";
}  // namespace cokka::detail::live_view
")
