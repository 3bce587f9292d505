#pragma once

#include <nats/nats.h>

#include <string>

namespace cokka::nats::detail {

/// The libnats connection, kept alive for everything that may still call into it: refs (publishing), the io
/// driver (read and write events) and reply handlers of served asks. The Node closes it; the last owner frees it.
struct Connection {
  natsConnection* handle = nullptr;

  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() { natsConnection_Destroy(handle); }
};

/// "<text of status>: <libnats' last error on this thread>", for exception texts and log records.
std::string describe_status(natsStatus status);

}  // namespace cokka::nats::detail
