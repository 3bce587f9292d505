/// @file
/// cokka's spdlog logger.
#pragma once

#include <spdlog/logger.h>

#include <memory>

namespace cokka {

/// The logger cokka writes to: named "cokka", created on first use with a stderr sink at level warning.
/// Levels follow Pykka: debug for lifecycle, info for exceptions returned to askers, warning for unexpected
/// messages, error for failures nobody else will see. Change its sinks and level freely. Thread-safe.
std::shared_ptr<spdlog::logger> logger();

/// Replaces the logger cokka writes to (null restores the default). Thread-safe.
void set_logger(std::shared_ptr<spdlog::logger> replacement);

}  // namespace cokka
