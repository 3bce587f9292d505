#pragma once

#include "cokka/dead_letters.hpp"
#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelope.hpp"

namespace cokka::detail {

/// Publishes `envelope`, sent to `cell`, as a dead letter of `cell`'s System when it is a tell (asks and
/// stops report to their senders). Any thread; a no-op once the System is going. Bounded mailboxes call it
/// with DeadLetterReason::mailbox_full for the envelope they drop (before disposing of it).
void dead_letter(ActorCell& cell, DeadLetterReason reason, const Envelope& envelope) noexcept;

}  // namespace cokka::detail
