# shellcheck shell=bash
# Sourced by the scripts that build: one compiler per core unless the caller set CMAKE_BUILD_PARALLEL_LEVEL
# (Ninja's own default, cores + 2, overloads a machine shared with other builds).
# ctest's parallelism stays the test presets' "jobs": 2, the core count of the developers' and CI's machines:
# a preset takes a plain number (no nproc), and it overrides CTEST_PARALLEL_LEVEL, so the scripts cannot set it.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
