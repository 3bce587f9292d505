#include "cokka/detail/type_name.hpp"
#include "cokka/errors.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string_view>

namespace cokka::detail {

std::string demangle(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> raw{abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), std::free};
  std::string name = status == 0 && raw ? raw.get() : type.name();
  // The long spelling of std::string says nothing useful to a reader.
  constexpr std::string_view long_string = "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >";
  for (auto pos = name.find(long_string); pos != std::string::npos; pos = name.find(long_string, pos))
    name.replace(pos, long_string.size(), "std::string");
  return name;
}

std::string describe_error(const std::exception& error) { return demangle(typeid(error)) + ": " + error.what(); }

}  // namespace cokka::detail
