/* The names of ABI plugins, which say the CPython release they read: 27,
 * 312, and 313t for 3.13's free-threaded build.  Header-only: --abi's
 * check and the plugin lists share it. */
#ifndef PYFLAME_ABI_NAME_H
#define PYFLAME_ABI_NAME_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Is `name` an ABI plugin's name: a version as two or three digits, with
 * a "t" for a free-threaded build? */
static inline bool abi_name_valid(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    return digits >= 2 && digits <= 3 && (!name[digits] || strcmp(name + digits, "t") == 0);
}

/* The name of the plugin that reads CPython major.minor, of the
 * free-threaded build or not ("312", "313t"), into buf[len]. */
static inline void abi_name_of(char *buf, size_t len, int major, int minor, bool free_threaded)
{
    snprintf(buf, len, "%d%d%s", major, minor, free_threaded ? "t" : "");
}

/* The version a valid name stands for, "3.12" or "3.13t", into v[16]. */
static inline void abi_name_version(const char *name, char v[16])
{
    size_t digits = strspn(name, "0123456789");
    snprintf(v, 16, "%c.%.*s%s", name[0], (int)(digits - 1), name + 1,
             name[digits] == 't' ? "t" : "");
}

#endif
