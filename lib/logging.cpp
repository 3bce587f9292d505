#include "log.hpp"

#include "cokka/errors.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace cokka {

namespace {
std::mutex logger_mutex;
std::shared_ptr<spdlog::logger> installed_logger;
std::atomic<std::uint64_t> installed_generation{0};  // bumped by set_logger, under logger_mutex

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
  if (!installed_logger) installed_logger = make_default_logger();
  return installed_logger;
}

void set_logger(std::shared_ptr<spdlog::logger> replacement) {
  std::lock_guard lock(logger_mutex);
  installed_logger = replacement ? std::move(replacement) : make_default_logger();
  installed_generation.fetch_add(1, std::memory_order_release);
}

namespace detail {

// The generation is read before logger(): a set_logger after that read leaves a newer generation, which the
// next record of this thread sees.
spdlog::logger& current_logger() {
  thread_local std::uint64_t seen_generation = ~std::uint64_t{0};
  thread_local std::shared_ptr<spdlog::logger> seen;
  const auto generation = installed_generation.load(std::memory_order_acquire);
  if (generation != seen_generation || !seen) {
    seen = logger();
    seen_generation = generation;
  }
  return *seen;
}

std::string describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return describe_error(e);
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

}  // namespace detail
}  // namespace cokka
