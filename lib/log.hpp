#pragma once

#include "cokka/logging.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <utility>

namespace cokka::detail {

/// Writes one record to cokka's logger when its level is enabled.
template <class... Args>
void log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
  auto target = logger();
  if (target->should_log(level)) target->log(level, format, std::forward<Args>(args)...);
}

/// "Type: what()" of an exception, or a note that it is not a std::exception.
std::string describe_exception(const std::exception_ptr& error);

}  // namespace cokka::detail
