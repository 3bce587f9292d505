/// @file
/// Remote actors over NATS (the optional component cokka::nats): Node, RemoteRef, COKKA_MESSAGE and the remote
/// errors, in one include. See docs/remote.md.
#pragma once

#include <cokka/nats/errors.hpp>
#include <cokka/nats/message.hpp>
#include <cokka/nats/node.hpp>
#include <cokka/nats/remote_ref.hpp>
