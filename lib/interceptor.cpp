#include "cokka/interceptor.hpp"

#include "cokka/detail/cell.hpp"
#include "cokka/detail/envelope.hpp"
#include "interceptors.hpp"
#include "log.hpp"
#include "system_state.hpp"

#include <memory>
#include <new>

namespace cokka {

void Interceptor::on_send(const MessageInfo&, Headers&) noexcept {}
void Interceptor::on_handle(const MessageInfo&, const Headers&) noexcept {}
void Interceptor::on_handled(const MessageInfo&, const Headers&, const std::exception_ptr&) noexcept {}

const Headers& current_headers() noexcept {
  static const Headers none;
  const auto* cell = detail::ActorCell::current();
  const auto* headers = cell ? cell->current_headers() : nullptr;
  return headers ? *headers : none;
}

}  // namespace cokka

namespace cokka::detail {

namespace {

MessageInfo describe(const ActorCell& cell, const Envelope& envelope) noexcept {
  return {cell.type_name(), cell.urn(), envelope.describe(), envelope.kind() == Envelope::Kind::ask};
}

const Headers& headers_of(const Envelope& envelope) noexcept {
  static const Headers none;
  return envelope.headers() ? *envelope.headers() : none;
}

}  // namespace

void intercept_send(const ActorCell& cell, Envelope& envelope) noexcept {
  // The System (and its interceptors) may be being destroyed while a thread outside it still sends: ~System
  // closes the cell, which waits for this entry, before it frees them. Refused, the send goes without headers
  // (the closed cell rejects it anyway).
  ActorCell::Entry entry(cell);
  if (!entry) return;
  const auto message = describe(cell, envelope);
  try {
    Headers headers = current_headers();
    for (const auto& interceptor : cell.system_state().interceptors()) interceptor->on_send(message, headers);
    if (!headers.empty()) envelope.set_headers(std::make_unique<Headers>(std::move(headers)));
  } catch (const std::bad_alloc&) {
    log(spdlog::level::warn, "cokka: no memory for the headers of a {} to a {}: it goes without them", message.message,
        message.actor_type);
  }
}

void intercept_handle(const ActorCell& cell, const Envelope& envelope) noexcept {
  const auto message = describe(cell, envelope);
  for (const auto& interceptor : cell.system_state().interceptors()) interceptor->on_handle(message, headers_of(envelope));
}

void intercept_handled(const ActorCell& cell, const Envelope& envelope, const std::exception_ptr& failure) noexcept {
  const auto message = describe(cell, envelope);
  const auto& interceptors = cell.system_state().interceptors();
  for (auto it = interceptors.rbegin(); it != interceptors.rend(); ++it)
    (*it)->on_handled(message, headers_of(envelope), failure);
}

}  // namespace cokka::detail
