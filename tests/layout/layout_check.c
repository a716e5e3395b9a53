/* Compares one ABI plugin's layout table with the CPython release it
 * describes.  Built once per version whose headers are installed, with
 * -DLAYOUT_FILE pointing at abi-plugins/layouts/pyXY.c, and run as
 *
 *     layout_check_XY PYTHON PROBE_PY
 *
 * Every field of the table is checked against what the headers say
 * (cpython_truth.h).  Then the release's interpreter PYTHON runs PROBE_PY
 * (probe.py), which measures in live objects what no installed header
 * holds: the thread-name attribute, and again the fields that
 * cpython_truth.h takes from a mirror of a private structure (the module
 * object's dict, 3.6-3.10's dict keys).  Prints each field and exits
 * non-zero if any differs. */
#include "cpython_headers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "published_layout.h"

#include LAYOUT_FILE

static int failures;

/* Which bytes of the table some check read: a field that nothing checks
 * (one added to layout.h without its truth) fails the test. */
static unsigned char covered[sizeof py_layout];

static void cover(const void *field, size_t size)
{
    size_t at = (size_t)((const char *)field - (const char *)&py_layout);
    memset(covered + at, 1, size);
}

/* Bytes no check read are padding only if fewer than 8 and followed by
 * an 8-byte field at an 8-aligned offset, or at the end. */
static void check_coverage(void)
{
    const size_t n = sizeof py_layout;
    for (size_t a = 0; a < n;) {
        if (covered[a]) {
            a++;
            continue;
        }
        size_t b = a;
        while (b < n && !covered[b])
            b++;
        size_t next = b;
        while (next < n && covered[next] && next - b < 8)
            next++;
        bool padding = b - a < 8 && b % 8 == 0 && (b == n || next - b == 8);
        if (!padding) {
            printf("bytes %zu..%zu of the table: checked by nothing   MISMATCH\n", a, b - 1);
            failures++;
        }
        a = b;
    }
}

static void check(const char *field, long have, long lo, long hi)
{
    int ok = have >= lo && have <= hi;
    if (lo == hi)
        printf("%-32s table %5ld expected %5ld%s\n", field, have, lo, ok ? "" : "   MISMATCH");
    else
        printf("%-32s table %5ld expected %ld..%ld%s\n", field, have, lo, hi,
               ok ? "" : "   MISMATCH");
    if (!ok)
        failures++;
}

static void check_str(const char *field, const char *have, const char *want)
{
    int same = (!have && !want) || (have && want && strcmp(have, want) == 0);
    printf("%-32s table %-22s expected %s%s\n", field, have ? have : "(none)",
           want ? want : "(none)", same ? "" : "   MISMATCH");
    if (!same)
        failures++;
}

#define COVER(field) cover(&py_layout.field, sizeof py_layout.field)
#define TRUTH(field, want) \
    (COVER(field), check(#field, (long)py_layout.field, (long)(want), (long)(want)))
#define TRUTH_WITHIN(field, lo, hi) \
    (COVER(field), check(#field, (long)py_layout.field, (long)(lo), (long)(hi)))
#define TRUTH_ENUM(field, want) TRUTH(field, want)
#define TRUTH_STR(field, want) (COVER(field), check_str(#field, py_layout.field, (want)))

#include "cpython_truth.h"

/* ---- what the running interpreter says (probe.py) ---- */

#define MAX_MEASURED 16

static struct {
    char field[64], value[8192]; /* published.table: 2 hex digits a byte */
} measured[MAX_MEASURED];
static int nmeasured;

/* Runs the probe; 0 if it ran and exited 0. */
static int run_probe(const char *python, const char *probe)
{
    char cmd[4096];
#if PY_VERSION_HEX >= 0x030D0000
    snprintf(cmd, sizeof cmd, "'%s' '%s' %zu %zu %zu", python, probe,
             offsetof(PyDictObject, ma_keys), offsetof(PyDictObject, ma_values),
             sizeof(_Py_DebugOffsets));
#elif PY_MAJOR_VERSION == 3
    snprintf(cmd, sizeof cmd, "'%s' '%s' %zu %zu", python, probe,
             offsetof(PyDictObject, ma_keys), offsetof(PyDictObject, ma_values));
#else
    snprintf(cmd, sizeof cmd, "'%s' '%s'", python, probe);
#endif
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (nmeasured < MAX_MEASURED &&
           fscanf(p, "%63s %8191s", measured[nmeasured].field, measured[nmeasured].value) == 2)
        nmeasured++;
    return pclose(p) == 0 ? 0 : -1;
}

static const char *measurement(const char *field)
{
    for (int i = 0; i < nmeasured; i++)
        if (strcmp(measured[i].field, field) == 0)
            return measured[i].value;
    printf("%-32s not measured by the probe   MISMATCH\n", field);
    failures++;
    return NULL;
}

#define MEASURED(field)                                                          \
    do {                                                                         \
        const char *v = measurement(#field);                                     \
        if (v)                                                                   \
            check(#field " (measured)", (long)py_layout.field, atol(v), atol(v)); \
    } while (0)

#if PY_VERSION_HEX >= 0x030D0000
/* The running interpreter's own _Py_DebugOffsets, as the probe read it:
 * what a target would hand the walker. */
static uint8_t live_table[4096];
static size_t live_len;

static int read_live(void *ctx, uint64_t addr, void *buf, size_t len)
{
    (void)ctx;
    if (addr < 1 || addr - 1 > live_len || len > live_len - (addr - 1))
        return -1;
    memcpy(buf, live_table + addr - 1, len);
    return 0;
}

/* Follows the table's published entries in the interpreter's own table
 * (at address 1 of a host that holds nothing else): each must land on the
 * offset the headers gave the table (checked above). */
static void check_published(const char *hex)
{
    COVER(published.count);
    COVER(published.offsets);
    live_len = strlen(hex) / 2;
    for (size_t i = 0; i < live_len && i < sizeof live_table; i++)
        sscanf(hex + 2 * i, "%2hhx", &live_table[i]);
    const pyflame_host host = {.api_version = PYFLAME_API_VERSION, .read_memory = read_live};
    struct py_layout followed = py_layout;
    /* Start from nothing where the table publishes, so that an entry that
     * is not followed shows. */
    for (uint32_t i = 0; i < py_layout.published.count; i++)
        *(int32_t *)(void *)((char *)&followed + py_layout.published.offsets[i].field) = -7;
    char err[256] = "";
    if (pyflame_layout_follow_published(&followed, &host, 1, err, sizeof err) != PYFLAME_OK) {
        printf("published offsets: %s   MISMATCH\n", err);
        failures++;
        return;
    }
    for (uint32_t i = 0; i < py_layout.published.count; i++) {
        int16_t f = py_layout.published.offsets[i].field;
        char name[64];
        snprintf(name, sizeof name, "published entry %u (at %d)", i,
                 py_layout.published.offsets[i].at);
        check(name, *(const int32_t *)(const void *)((const char *)&followed + f),
              *(const int32_t *)(const void *)((const char *)&py_layout + f),
              *(const int32_t *)(const void *)((const char *)&py_layout + f));
    }
    check("(published entries)", py_layout.published.count, 1, 1000);
}
#endif

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PYTHON PROBE_PY\n", argv[0]);
        return 2;
    }
    cpython_truth();
    /* The walker reads 30-bit digits only. */
    check("(PyLong_SHIFT)", 30, PyLong_SHIFT, PyLong_SHIFT);

    if (run_probe(argv[1], argv[2]) != 0) {
        printf("%s %s: the probe failed   MISMATCH\n", argv[1], argv[2]);
        failures++;
    } else {
        const char *attr = measurement("threading.name_attr");
        COVER(threading.name_attr);
        if (attr)
            check_str("threading.name_attr (measured)", py_layout.threading.name_attr, attr);
        MEASURED(module.dict);
#if PY_MAJOR_VERSION == 3 && PY_VERSION_HEX < 0x030B0000
        MEASURED(dict_keys.size);
        MEASURED(dict_keys.nentries);
        MEASURED(dict_keys.indices);
        MEASURED(dict_keys.values_data);
#endif
#if PY_VERSION_HEX >= 0x030D0000
        const char *table = measurement("published.table");
        if (table)
            check_published(table);
#endif
    }

    check_coverage();
    printf("%s\n", failures ? "layout: MISMATCH" : "layout: ok");
    return failures != 0;
}
