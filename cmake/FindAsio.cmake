# Standalone Asio ships no CMake config or pkg-config file: find the header, make an imported target.
if(NOT TARGET cokka::asio)
  find_path(ASIO_INCLUDE_DIR asio.hpp REQUIRED)
  add_library(cokka::asio INTERFACE IMPORTED)
  set_target_properties(cokka::asio PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${ASIO_INCLUDE_DIR}")
endif()
