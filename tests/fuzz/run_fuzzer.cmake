# Runs one fuzzer for ctest; called by tests/fuzz/CMakeLists.txt as
#   cmake -DMODE=... -DFUZZER=... -DCORPUS=... -DWORK=... [-DSECONDS=N]
#         [-DOPTIONS=-opt=v|-opt=v] -P run_fuzzer.cmake
# MODE fuzz: fuzzes for SECONDS from a copy of CORPUS in WORK/corpus.
# MODE regression: runs every input of CORPUS once.
# MODE missing: fails with MESSAGE (no clang to build the fuzzers).
# Crashing inputs are kept in WORK/artifacts.
if(MODE STREQUAL "missing")
  message(FATAL_ERROR "${MESSAGE}")
endif()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/corpus ${WORK}/artifacts)
file(GLOB inputs LIST_DIRECTORIES false ${CORPUS}/*)
if(NOT inputs)
  message(FATAL_ERROR "no inputs in ${CORPUS}")
endif()
string(REPLACE "|" ";" options "${OPTIONS}")
set(common -rss_limit_mb=1024 -timeout=10 -print_final_stats=1
  -artifact_prefix=${WORK}/artifacts/ ${options})

if(MODE STREQUAL "fuzz")
  file(COPY ${inputs} DESTINATION ${WORK}/corpus)
  execute_process(COMMAND ${FUZZER} ${common} -max_total_time=${SECONDS} ${WORK}/corpus
    RESULT_VARIABLE rc)
elseif(MODE STREQUAL "regression")
  execute_process(COMMAND ${FUZZER} ${common} ${inputs} RESULT_VARIABLE rc)
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()

if(NOT rc EQUAL 0)
  file(GLOB kept ${WORK}/artifacts/*)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); failing inputs: ${kept}\n"
    "Reproduce with: ${FUZZER} FILE")
endif()
