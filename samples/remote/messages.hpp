// The messages the two processes of the remote sample exchange: both include this file, so both register the
// same types under the same names.
#pragma once

#include <cokka/nats.hpp>

#include <string>
#include <vector>

namespace inventory {

//! [messages]
struct Reserve {  // ask: reserve `count` items of `sku`; the reply is a Reservation
  std::string sku;
  int count = 0;
};
COKKA_MESSAGE(Reserve, "inventory.Reserve/1", sku, count);

struct Reservation {
  std::string sku;
  int reserved = 0;
  int left = 0;
  std::vector<std::string> log;  // containers travel as fields
};
COKKA_MESSAGE(Reservation, "inventory.Reservation/1", sku, reserved, left, log);

struct Restock {  // tell: no reply
  std::string sku;
  int count = 0;
};
COKKA_MESSAGE(Restock, "inventory.Restock/1", sku, count);

struct Shutdown {};  // tell: the service process exits
COKKA_MESSAGE(Shutdown, "inventory.Shutdown/1");
//! [messages]

}  // namespace inventory
