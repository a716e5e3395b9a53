# cmake -DSOURCE=... -DBINARY=... -DCC=... -DTYPE=... -P build_with.cmake:
# builds pyflame and its plugins alone with compiler CC at build type TYPE,
# warnings as errors: what a packager's build with that compiler meets.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE} -B ${BINARY} -DCMAKE_C_COMPILER=${CC}
  -DCMAKE_BUILD_TYPE=${TYPE} -DPYFLAME_BUILD_TESTS=OFF -DPYFLAME_WERROR=ON
  RESULT_VARIABLE rc OUTPUT_QUIET)
if(rc EQUAL 0)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BINARY} RESULT_VARIABLE rc)
endif()
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pyflame does not build with ${CC} at ${TYPE}")
endif()
