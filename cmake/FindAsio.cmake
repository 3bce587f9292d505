# Standalone Asio ships no CMake config or pkg-config file: find the header, make an imported target.
if(NOT TARGET cokka::asio)
  find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
  add_library(cokka::asio INTERFACE IMPORTED)
  set_target_properties(cokka::asio PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${ASIO_INCLUDE_DIR}")
  # Asio 1.22 enables its C++20 coroutine support for g++ only; clang 14 with libstdc++ has it too.
  # Asio 1.22 decides between aligned_alloc and operator new for its recycled handler memory by whether
  # libstdc++'s configuration was included before its own (_GLIBCXX_HAVE_ALIGNED_ALLOC): two translation units
  # that include in different orders free each other's blocks with the wrong function (ASan:
  # alloc-dealloc-mismatch). One choice for every translation unit that uses cokka: plain operator new.
  set_property(TARGET cokka::asio PROPERTY INTERFACE_COMPILE_DEFINITIONS
    ASIO_DISABLE_STD_ALIGNED_ALLOC
    $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>
    $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_STD_COROUTINE=1>)
endif()
