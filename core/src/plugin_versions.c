/* The CPython versions the ABI plugins found can read, and the package to
 * install for one that is missing. */
#include "plugin_loader.h"

#include "abi_name.h"
#include "plugin_files.h"

#include <stdlib.h>
#include <string.h>

struct version_list {
    char names[64][16];
    size_t n;
};

static void collect_version(void *arg, const char *name, const char *path)
{
    (void)path;
    struct version_list *vl = arg;
    if (!abi_name_valid(name) || vl->n == 64)
        return;
    char v[16];
    abi_name_version(name, v);
    for (size_t i = 0; i < vl->n; i++)
        if (strcmp(vl->names[i], v) == 0)
            return;
    memcpy(vl->names[vl->n++], v, sizeof v);
}

static int by_version(const void *a, const void *b)
{
    int ma, na, mb, nb;
    sscanf(a, "%d.%d", &ma, &na);
    sscanf(b, "%d.%d", &mb, &nb);
    /* 3.13 before 3.13t */
    return ma != mb ? ma - mb : na != nb ? na - nb : (int)strlen(a) - (int)strlen(b);
}

#ifndef PYFLAME_ABI_PACKAGE
#define PYFLAME_ABI_PACKAGE ""
#endif
#ifndef PYFLAME_BUILT_ABIS
#define PYFLAME_BUILT_ABIS ""
#endif

void plugin_package_hint(const char *abi, char *buf, size_t len)
{
    char padded[16], version[16];
    snprintf(padded, sizeof padded, " %.8s ", abi);
    buf[0] = '\0';
    if (!*PYFLAME_ABI_PACKAGE || !abi_name_valid(abi) ||
        !strstr(" " PYFLAME_BUILT_ABIS " ", padded))
        return;
    abi_name_version(abi, version);
    size_t at = 0;
    for (const char *t = PYFLAME_ABI_PACKAGE; *t && at + 1 < len;) {
        const char *fill = strncmp(t, "{abi}", 5) == 0       ? abi
                           : strncmp(t, "{version}", 9) == 0 ? version
                                                             : NULL;
        if (fill) {
            at += (size_t)snprintf(buf + at, len - at, "%s", fill);
            t += fill == abi ? 5 : 9;
        } else {
            buf[at++] = *t++;
        }
        if (at >= len)
            at = len - 1;
    }
    buf[at] = '\0';
}

void plugin_supported_versions(const struct plugin_dirs *d, char *buf, size_t len)
{
    struct version_list vl = {.n = 0};
    plugin_each_file(d, KIND_ABI, collect_version, &vl);
    qsort(vl.names, vl.n, sizeof vl.names[0], by_version);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vl.n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", vl.names[i]);
    if (vl.n == 0)
        snprintf(buf, len, "none (no ABI plugin found)");
}
