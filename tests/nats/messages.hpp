// Message types shared by the NATS tests and the peer process they start (both register them the same way).
#pragma once

#include <cokka/nats.hpp>

#include <string>

namespace wire {

struct Add {
  int a = 0;
  int b = 0;
};
COKKA_MESSAGE(Add, "test.Add/1", a, b);

struct Sum {
  int value = 0;
  int pid = 0;  // of the process that computed it
};
COKKA_MESSAGE(Sum, "test.Sum/1", value, pid);

/// The handler throws std::invalid_argument with `text`.
struct Fail {
  std::string text;
};
COKKA_MESSAGE(Fail, "test.Fail/1", text);

/// The handler returns nothing.
struct Note {
  std::string text;
};
COKKA_MESSAGE(Note, "test.Note/1", text);

/// The handler sleeps `ms` milliseconds (a plain handler: it holds its io thread), then replies with `ms`.
struct Sleep {
  int ms = 0;
};
COKKA_MESSAGE(Sleep, "test.Sleep/1", ms);

/// The peer process stops its actor and exits.
struct Quit {};
COKKA_MESSAGE(Quit, "test.Quit/1");

}  // namespace wire
