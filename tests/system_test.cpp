#include <cokka/cokka.hpp>
#include <doctest/doctest.h>
