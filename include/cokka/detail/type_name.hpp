#pragma once

#include <string>
#include <typeinfo>

namespace cokka::detail {

/// Readable, namespace-qualified name of a type ("app::Greeter", "std::string"), demangled once per type.
std::string demangle(const std::type_info& type);

template <class T>
const std::string& type_name() {
  static const std::string name = demangle(typeid(T));
  return name;
}

}  // namespace cokka::detail

#include <chrono>

namespace cokka::detail {

template <class T>
inline constexpr bool is_duration = false;
template <class Rep, class Period>
inline constexpr bool is_duration<std::chrono::duration<Rep, Period>> = true;

}  // namespace cokka::detail
