#pragma once

#include "cokka/detail/cell.hpp"
#include "cokka/logging.hpp"

#include <spdlog/spdlog.h>

#include <exception>
#include <string>
#include <utility>

namespace cokka::detail {

/// cokka's logger as this thread last saw it: a mutex and a reference count only after set_logger, not per
/// record (every actor logs four lifecycle records at debug level, which is usually off).
spdlog::logger& current_logger();

/// Writes one record to cokka's logger when its level is enabled. Arguments are formatted only then, so
/// pass an ActorCell or an ExceptionText rather than strings built in advance.
template <class... Args>
void log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
  auto& target = current_logger();
  if (target.should_log(level)) target.log(level, format, std::forward<Args>(args)...);
}

/// "Type: what()" of an exception, or a note that it is not a std::exception.
std::string describe_exception(const std::exception_ptr& error);

/// Formats as describe_exception(error), computed only when the record is written (it rethrows the exception).
struct ExceptionText {
  const std::exception_ptr& error;
};

}  // namespace cokka::detail

/// An actor's cell formats as its description(), "Type (urn:uuid:...)".
template <>
struct fmt::formatter<cokka::detail::ActorCell> : fmt::formatter<fmt::string_view> {
  template <class Context>
  auto format(const cokka::detail::ActorCell& cell, Context& context) const {
    return fmt::format_to(context.out(), "{} ({})", cell.type_name(), cell.urn());
  }
};

template <>
struct fmt::formatter<cokka::detail::ExceptionText> : fmt::formatter<fmt::string_view> {
  template <class Context>
  auto format(const cokka::detail::ExceptionText& text, Context& context) const {
    return fmt::formatter<fmt::string_view>::format(cokka::detail::describe_exception(text.error), context);
  }
};
