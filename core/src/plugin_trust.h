/* Opening a plugin file so that what is checked is what is loaded: every
 * directory and link on its path, from /, and the file itself belong to
 * root or to the user and nobody else can write to them (plugin_trust.c
 * says exactly what is checked, and why). */
#ifndef PYFLAME_PLUGIN_TRUST_H
#define PYFLAME_PLUGIN_TRUST_H

#include <stdbool.h>
#include <stddef.h>

/* Opens plugin `path` for reading as plugin_trust.c describes: returns the
 * file's descriptor, or -1 with a reason in err and *absent set when the
 * reason is that a file or directory on the way does not exist. */
int plugin_open_trusted(const char *path, bool *absent, char *err, size_t errlen);

#endif
