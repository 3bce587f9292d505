/// @file
/// The two ways a remote ask fails that a local one cannot: cokka::RemoteError and cokka::RemoteUnavailable.
#pragma once

#include <cokka/errors.hpp>

#include <string>
#include <utility>

namespace cokka {

/// The remote handler threw while handling an ask. The exception itself cannot cross the wire: this one carries
/// its type name (as the remote process spelled it, e.g. "std::invalid_argument") and its what(), unchanged.
class RemoteError : public Error {
public:
  /// An error for an exception of type `type_name` whose what() was `what`.
  RemoteError(std::string type_name, const std::string& what) : Error(what), type_name_(std::move(type_name)) {}

  /// The remote exception's type name ("std::runtime_error", "app::OutOfStock", ...).
  const std::string& type_name() const noexcept { return type_name_; }

private:
  std::string type_name_;
};

/// Nobody could handle the message: no node serves the subject ("no responders"), the connection to NATS is down
/// or closed, the local Node was destroyed, or the served actor is dead. The text says which.
class RemoteUnavailable : public Error {
public:
  using Error::Error;
};

}  // namespace cokka
