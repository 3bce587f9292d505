#include "log.hpp"

#include "cokka/detail/type_name.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace cokka {

namespace {
std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> current_logger;

// spdlog's registry holds the default logger too, so that spdlog::get("cokka") finds it and spdlog's global
// settings reach it; a "cokka" logger the application registered first is used as it is.
std::shared_ptr<spdlog::logger> make_default_logger() {
  if (auto registered = spdlog::get("cokka")) return registered;
  auto made = std::make_shared<spdlog::logger>("cokka", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  made->set_level(spdlog::level::warn);
  try {
    spdlog::register_logger(made);
  } catch (const spdlog::spdlog_ex&) {  // registered meanwhile by another thread
    if (auto registered = spdlog::get("cokka")) return registered;
  }
  return made;
}
}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  std::lock_guard lock(logger_mutex);
  if (!current_logger) current_logger = make_default_logger();
  return current_logger;
}

void set_logger(std::shared_ptr<spdlog::logger> replacement) {
  std::lock_guard lock(logger_mutex);
  current_logger = replacement ? std::move(replacement) : make_default_logger();
}

namespace detail {

std::string describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return demangle(typeid(e)) + ": " + e.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

}  // namespace detail
}  // namespace cokka
