/* A made-up ABI plugin for unit tests: each call of sample() gives the
 * next of the answers a test wrote down (the last one again when they run
 * out), probes of the GIL's holder and full samples each their own, and
 * notes the flags it was called with. */
#ifndef PYFLAME_TEST_FAKE_ABI_H
#define PYFLAME_TEST_FAKE_ABI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <pyflame/abi.h>

struct sampler;

#define FAKE_MAX_ANSWERS 8
#define FAKE_ANSWER_THREADS 4
#define FAKE_MAX_CALLS 32

struct fake_answer {
    int status;
    uint32_t nthreads;
    pyflame_thread threads[FAKE_ANSWER_THREADS];
    /* Reads of the target through the host each such call makes first
     * (the status then stands, whatever the reads gave). */
    uint32_t reads;
};

struct fake_abi {
    const pyflame_host *host;
    struct fake_answer probes[FAKE_MAX_ANSWERS], samples[FAKE_MAX_ANSWERS];
    unsigned nprobes, nsamples;
    unsigned probe_calls, sample_calls;
    uint32_t flags[FAKE_MAX_CALLS]; /* of each call, probes and samples */
    unsigned calls;
};

extern const pyflame_abi_plugin fake_abi_plugin;

/* Opens the fake plugin in r, as sampler_open would, with `features`. */
void fake_abi_open(struct fake_abi *a, struct sampler *r, uint32_t features);

/* Answers to come. */
void fake_probe_answer(struct fake_abi *a, struct fake_answer answer);
void fake_sample_answer(struct fake_abi *a, struct fake_answer answer);

/* A probe's answer: thread `tid` (its kernel id) holds the GIL; 0: nobody
 * does (PYFLAME_IDLE). */
struct fake_answer fake_holder(pid_t tid);

/* A sample of the threads `tids` (nthreads of them, each with one frame
 * unless `no_frames` has its bit), thread `holder` holding the GIL. */
struct fake_answer fake_threads(const pid_t *tids, uint32_t nthreads, pid_t holder,
                                uint32_t no_frames);

/* An answer of `status` and no threads. */
struct fake_answer fake_status(int status);

#endif
