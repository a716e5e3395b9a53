/* Growth of the arrays that the core and the plugins of this tree keep. */
#ifndef PYFLAME_GROW_H
#define PYFLAME_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes room for `need` elements of `size` bytes in *v, which has room for
 * *cap: the room doubles from 16.  Returns 0, or -1 with errno ENOMEM. */
static inline int grow_array(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    if (n > SIZE_MAX / size) {
        errno = ENOMEM;
        return -1;
    }
    void *p = realloc(*v, n * size);
    if (!p)
        return -1;
    *v = p;
    *cap = n;
    return 0;
}

#endif
