#pragma once
// The runtime's side of cokka::Interceptor: the calls a send and a handling make once interceptors are
// installed (ActorCell::intercepted()).

#include "cokka/interceptor.hpp"

#include <exception>

namespace cokka::detail {

class ActorCell;
class Envelope;

/// On the sender's thread, for a user message to `cell`: runs each on_send on a copy of the sender's context
/// and gives `envelope` the headers they leave (none when empty). Without memory for them, the message goes
/// without its context (a send does not fail for its tracing) and a warning is logged.
void intercept_send(const ActorCell& cell, Envelope& envelope) noexcept;
/// On `cell`'s strand, as the handler of `envelope` begins: each on_handle, in order.
void intercept_handle(const ActorCell& cell, const Envelope& envelope) noexcept;
/// On `cell`'s strand, once that handler ended (`failure` null on success): each on_handled, in reverse order.
/// Also from ~System's closing of the cell, for a handler the shutdown ended where nobody runs the strand.
void intercept_handled(const ActorCell& cell, const Envelope& envelope, const std::exception_ptr& failure) noexcept;

}  // namespace cokka::detail
