/// @file
/// cokka's spdlog logger.
#pragma once

#include <spdlog/logger.h>

#include <memory>

namespace cokka {

/// The logger cokka writes to. By default the logger spdlog's registry holds under the name "cokka": one the
/// application registered before cokka's first log, or else one cokka creates (and registers) on first use,
/// with a stderr sink at level warning. Change its sinks and level freely. Thread-safe.
///
/// Levels follow Pykka, one record per event, each naming the actor as "Type (urn:uuid:...)":
/// - debug: lifecycle: "Registered X", "Starting X", "Unregistered X", "Stopped X";
/// - info: a handler's exception went back to the asker ("X returned an exception to the asker of a M: E");
/// - warning: a message nobody handles (an actor without on_receive): "Unexpected message received by X: a M";
///   a member that looks like a hook the actor lacks, once per actor type at its first start: "T has a member
///   on_recieve that looks like the hook on_receive, which it does not have: ...";
/// - error: a failure nobody else sees: a tell's (or a proxy defer's) handler threw and stopped the actor, or
///   on_start, on_stop or on_failure threw. Exceptions appear as "ExceptionType: what()".
std::shared_ptr<spdlog::logger> logger();

/// Replaces the logger cokka writes to (any name; null goes back to the default described at logger()).
/// Records being written meanwhile may still go to the previous logger. Thread-safe.
void set_logger(std::shared_ptr<spdlog::logger> replacement);

}  // namespace cokka
