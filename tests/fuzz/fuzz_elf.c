/* libFuzzer target: symbol lookups and the load bias of core/src/
 * elf_symbols.c over mutated ELF files.  The input becomes the contents
 * of a memfd, opened by path like any file of a target. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What pyflame looks up, and a name no file defines. */
static const char *const NAMES[] = {
    "_PyRuntime", "Py_Version", "PyCode_Type", "interp_head",
    "pyflame_fuzz_no_such_symbol",
};

static int memfd = -1;
static char path[64];

static void write_input(const uint8_t *data, size_t size)
{
    if (memfd < 0) {
        memfd = memfd_create("fuzz_elf", MFD_CLOEXEC);
        if (memfd < 0) {
            perror("memfd_create");
            abort();
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);
    }
    if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
        perror("fuzz_elf: writing the memfd");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    write_input(data, size);
    struct elf_file *elf = elf_file_open(path);
    if (!elf)
        return 0;
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        uint64_t value;
        elf_file_symbol(elf, NAMES[i], &value);
    }
    /* The lowest mapping as the maps of a PIE and of a split file show it. */
    uint64_t bias;
    elf_file_load_bias(elf, 0x7f0000000000u, 0, &bias);
    elf_file_load_bias(elf, 0x7f0000001000u, 0x1000, &bias);
    elf_file_close(elf);
    return 0;
}
