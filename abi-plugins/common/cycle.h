/* Brent's cycle detection over a chain of addresses read from the target
 * (frames, thread states, interpreters): O(1) memory, so a hostile chain
 * that loops back ends a walk instead of hanging it. */
#ifndef PYFLAME_ABI_CYCLE_H
#define PYFLAME_ABI_CYCLE_H

#include <stdint.h>

struct cycle {
    uint64_t saved;
    unsigned power, steps;
};

#define CYCLE_INIT {0, 1, 0}

/* Has the chain come back to an address seen before?  Call with each
 * address in turn. */
static inline int cycle_seen(struct cycle *c, uint64_t addr)
{
    if (addr == c->saved)
        return 1;
    if (++c->steps == c->power) {
        c->saved = addr;
        c->power *= 2;
        c->steps = 0;
    }
    return 0;
}

#endif
