# ctest -P script: runs SAMPLE and passes when it exits with 0 AND its output contains KEY_LINE (a plain
# string). ctest's PASS_REGULAR_EXPRESSION alone would ignore the exit code, so a sample that prints its
# key line and then crashes would pass.
execute_process(COMMAND "${SAMPLE}" OUTPUT_VARIABLE output ERROR_VARIABLE output RESULT_VARIABLE result TIMEOUT 50)
message("${output}")
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${SAMPLE} failed: ${result}")
endif()
string(FIND "${output}" "${KEY_LINE}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "${SAMPLE}: the output does not contain the key line \"${KEY_LINE}\"")
endif()
