/// @file
/// Everything cokka offers, in one include.
#pragma once

#include <cokka/actor.hpp>
#include <cokka/actor_options.hpp>
#include <cokka/actor_ref.hpp>
#include <cokka/clock.hpp>
#include <cokka/debug.hpp>
#include <cokka/errors.hpp>
#include <cokka/executor.hpp>
#include <cokka/format.hpp>
#include <cokka/future.hpp>
#include <cokka/headers.hpp>
#include <cokka/interceptor.hpp>
#include <cokka/logging.hpp>
#include <cokka/mailbox.hpp>
#include <cokka/message.hpp>
#include <cokka/promise.hpp>
#include <cokka/proxy.hpp>
#include <cokka/reflect.hpp>
#include <cokka/registry.hpp>
#include <cokka/supervision.hpp>
#include <cokka/system.hpp>
#include <cokka/timers.hpp>
