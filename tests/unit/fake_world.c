/* The tick's parts over a made-up target (fake_world.h). */
#include "fake_world.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static uint64_t fake_now(void *ctx)
{
    return *(uint64_t *)ctx;
}

struct fake_world *fake_world_new(const char *states, uint32_t features)
{
    struct fake_world *w = test_calloc(1, sizeof *w);
    fake_target_init(&w->target, states, 3, 12);
    w->target.clock = &w->clock;
    w->target.stop_cost_ns = 1000;
    w->clock = 1000000;
    sampler_init(&w->sampler, &w->target.mem, &w->target.rt, false);
    fake_abi_open(&w->abi, &w->sampler, features);
    w->ids.tracee = &w->target.tracee;
    w->ids.mem = &w->target.mem;
    w->policy = (struct stop_policy){
        .opt = &w->opt, .tracee = &w->target.tracee, .states = &w->target.states,
        .sampler = &w->sampler, .ids = &w->ids, .rt = &w->target.rt,
        .clock = {.now_ns = fake_now, .ctx = &w->clock}};
    w->view = (struct sample_view){.opt = &w->opt, .look = &w->policy, .ids = &w->ids,
                                   .idle_leaves = true};
    return w;
}

void fake_world_free(struct fake_world *w)
{
    sample_view_free(&w->view);
    stop_policy_free(&w->policy);
    thread_ids_free(&w->ids);
    test_free(w);
}

void fake_world_look(struct fake_world *w)
{
    fake_probe_answer(&w->abi, fake_holder(0));
    stop_policy_hold(&w->policy, true);
    stop_policy_release(&w->policy);
}

bool fake_world_show(struct fake_world *w, struct fake_answer answer, pyflame_sample *smp)
{
    fake_sample_answer(&w->abi, answer);
    *smp = (pyflame_sample){0};
    sampler_take(&w->sampler, PYFLAME_SAMPLE_ALL_THREADS, smp);
    return sample_view_make(&w->view, smp);
}
