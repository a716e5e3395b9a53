/* Samples of the target through its ABI plugin (sampler.h). */
#include "sampler.h"

#include "diag.h"
#include "python_runtime.h"

/* The host's reads, each within the budget of the sample under way. */
static int host_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct sampler *r = ctx;
    if (!read_budget_take(&r->budget, len))
        return -1;
    return memory_read(r->mem, addr, buf, len);
}

static size_t host_read_many(void *ctx, const pyflame_read *reads, size_t n)
{
    struct sampler *r = ctx;
    size_t allowed = 0;
    while (allowed < n && read_budget_take(&r->budget, reads[allowed].len))
        allowed++;
    size_t done = memory_read_many(r->mem, reads, allowed);
    /* Reads after the first failure were never made: a caller that goes
     * on past a failure asks for them again. */
    for (size_t i = done + 1; i < allowed; i++)
        read_budget_give_back(&r->budget, reads[i].len);
    return done;
}

static uint64_t host_symbol(void *ctx, const char *name)
{
    return python_runtime_symbol(((struct sampler *)ctx)->rt, name);
}

void sampler_init(struct sampler *r, struct target_memory *mem, const struct python_runtime *rt,
                  bool nonblocking)
{
    *r = (struct sampler){.mem = mem, .rt = rt, .nonblocking = nonblocking};
    r->host = (pyflame_host){.api_version = PYFLAME_API_VERSION, .ctx = r,
                             .read_memory = host_read, .find_symbol = host_symbol,
                             .warn = pf_host_warn, .read_many = host_read_many};
}

bool sampler_open(struct sampler *r, const pyflame_abi_plugin *abi, uint32_t features,
                  int *status, char *err, size_t errlen)
{
    read_budget_reset(&r->budget);
    r->state = abi->open(&r->host, status, err, errlen);
    if (!r->state)
        return false;
    r->abi = abi;
    r->features = features;
    return true;
}

void sampler_close(struct sampler *r)
{
    if (r->state)
        r->abi->close(r->state);
    r->state = NULL;
}

void sampler_once(struct sampler *r, uint32_t flags, pyflame_sample *smp)
{
    read_budget_reset(&r->budget);
    r->abi->sample(r->state, flags, smp);
    if (r->budget.exceeded && smp->status == PYFLAME_ERR_TORN)
        smp->status = PYFLAME_ERR_READ; /* the check ran out of reads */
}

void sampler_take(struct sampler *r, uint32_t flags, pyflame_sample *smp)
{
    if (r->nonblocking)
        flags |= PYFLAME_SAMPLE_NONBLOCKING;
    for (int retries = 0;; retries++) {
        sampler_once(r, flags, smp);
        if (smp->status != PYFLAME_ERR_TORN || !r->nonblocking)
            break;
        if (retries == TORN_RETRIES) {
            r->torn++;
            break;
        }
    }
    if (smp->status == PYFLAME_ERR_READ && r->budget.exceeded)
        r->over_budget++;
    if (smp->status != PYFLAME_OK && smp->status != PYFLAME_IDLE) {
        /* Torn, or a status this core does not know: no stack to trust. */
        smp->status = PYFLAME_ERR_READ;
        smp->nthreads = 0;
        smp->threads = NULL;
    }
}
