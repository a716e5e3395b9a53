# cmake -DWHAT=... -P missing.cmake: the test of something that is missing.
# Skipped (ctest matches "SKIP: "), except in CI, where the README's install
# step should have provided it: there it fails.
if("$ENV{CI}" STREQUAL "true")
  message(FATAL_ERROR "missing in CI: ${WHAT}")
endif()
message("SKIP: missing ${WHAT}")
