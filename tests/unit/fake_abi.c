/* A made-up ABI plugin for unit tests (fake_abi.h). */
#include "fake_abi.h"

#include "sampler.h"

static const pyflame_frame FRAME = {.file = "app.py", .name = "work", .line = 7};

static const struct fake_answer *next_answer(const struct fake_answer *answers, unsigned n,
                                             unsigned *calls)
{
    unsigned i = (*calls)++;
    return &answers[i < n ? i : n - 1];
}

static int fake_sample(void *state, uint32_t flags, pyflame_sample *out)
{
    struct fake_abi *a = state;
    if (a->calls < FAKE_MAX_CALLS)
        a->flags[a->calls] = flags;
    a->calls++;
    const struct fake_answer *ans =
        flags & PYFLAME_SAMPLE_GIL_HOLDER_ONLY
            ? next_answer(a->probes, a->nprobes, &a->probe_calls)
            : next_answer(a->samples, a->nsamples, &a->sample_calls);
    uint8_t byte;
    for (uint32_t i = 0; i < ans->reads; i++)
        (void)a->host->read_memory(a->host->ctx, 0x1000 + i, &byte, 1);
    out->status = ans->status;
    out->nthreads = ans->nthreads;
    out->threads = ans->threads;
    return out->status;
}

static void fake_close(void *state)
{
    (void)state;
}

const pyflame_abi_plugin fake_abi_plugin = {
    .api_version = PYFLAME_API_VERSION,
    .name = "fake",
    .description = "a made-up CPython",
    .py_major = 3,
    .py_minor = 12,
    .sample = fake_sample,
    .close = fake_close,
};

void fake_abi_open(struct fake_abi *a, struct sampler *r, uint32_t features)
{
    a->host = &r->host;
    r->abi = &fake_abi_plugin;
    r->state = a;
    r->features = features;
}

void fake_probe_answer(struct fake_abi *a, struct fake_answer answer)
{
    a->probes[a->nprobes++] = answer;
}

void fake_sample_answer(struct fake_abi *a, struct fake_answer answer)
{
    a->samples[a->nsamples++] = answer;
}

struct fake_answer fake_status(int status)
{
    return (struct fake_answer){.status = status};
}

struct fake_answer fake_threads(const pid_t *tids, uint32_t nthreads, pid_t holder,
                                uint32_t no_frames)
{
    struct fake_answer ans = {.status = PYFLAME_OK, .nthreads = nthreads};
    for (uint32_t i = 0; i < nthreads; i++) {
        bool frames = !(no_frames & (1u << i));
        ans.threads[i] = (pyflame_thread){
            .os_tid = (uint64_t)tids[i],
            .flags = (tids[i] == holder ? PYFLAME_THREAD_HOLDS_GIL : 0) |
                     (frames ? 0 : PYFLAME_THREAD_IDLE),
            .nframes = frames ? 1 : 0,
            .frames = frames ? &FRAME : NULL,
        };
    }
    return ans;
}

struct fake_answer fake_holder(pid_t tid)
{
    if (!tid)
        return fake_status(PYFLAME_IDLE);
    return fake_threads(&tid, 1, tid, 1);
}
