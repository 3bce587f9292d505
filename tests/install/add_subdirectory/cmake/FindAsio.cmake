# The parent project's own FindAsio.cmake, first in its CMAKE_MODULE_PATH, as many projects have one:
# cokka must include its own.
message(FATAL_ERROR "cokka included the parent project's FindAsio.cmake instead of its own")
