/* test_elf: symbol lookup and load bias (elf_symbols.c) and /proc/PID/maps
 * parsing (proc_maps.c).
 *
 * Checked against the dynamic loader, not against numbers worked out by
 * hand: for a library loaded with dlopen (built with and without -z
 * separate-code), for this PIE executable and for a non-PIE helper process,
 * bias + symbol value must be the symbol's real address, for exported
 * symbols (.dynsym) and for static ones (.symtab only).
 *
 * Arguments: LIB_SEPARATE_CODE LIB_NOSEPARATE_CODE NOPIE_HELPER. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf_symbols.h"
#include "proc_maps.h"

extern char **environ;
int main(int argc, char **argv);

static const char *lib_separate, *lib_noseparate, *nopie_helper;

/* Symbols of this (PIE) executable, found through .symtab. */
int test_elf_global = 11;
static int test_elf_static_var = 12;

__attribute__((noinline)) static int test_elf_static_fn(void)
{
    return test_elf_global + test_elf_static_var;
}

/* ---- helpers ---- */

/* An object file as mapped in a process. */
struct module {
    char path[PATH_MAX];
    struct maps maps;
    const struct mapping *first; /* lowest mapping */
    struct elf_file *elf;
    uint64_t bias;
};

static void module_open(struct module *m, pid_t pid, const char *path)
{
    assert_non_null(realpath(path, m->path)); /* the kernel's name for it */
    assert_int_equal(maps_read(pid, &m->maps), 0);
    m->first = maps_first_of(&m->maps, m->path);
    if (!m->first)
        fail_msg("%s is not mapped in process %d", m->path, (int)pid);
    m->elf = elf_file_open(m->path);
    assert_non_null(m->elf);
    assert_int_equal(elf_file_load_bias(m->elf, m->first->start,
                                        m->first->offset, &m->bias), 0);
}

static void module_close(struct module *m)
{
    elf_file_close(m->elf);
    maps_free(&m->maps);
}

/* Asserts that symbol `name` is at `address` once the bias is added. */
static void check_symbol(const struct module *m, const char *name,
                         uintptr_t address)
{
    uint64_t value = 0;
    if (elf_file_symbol(m->elf, name, &value) != 0)
        fail_msg("%s: symbol %s not found", m->path, name);
    if (m->bias + value != (uint64_t)address)
        fail_msg("%s: %s: bias %#llx + value %#llx != real address %#llx",
                 m->path, name, (unsigned long long)m->bias,
                 (unsigned long long)value, (unsigned long long)address);
}

/* e_type from the ELF header, read directly. */
static int elf_type(const char *path)
{
    Elf64_Ehdr eh;
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, &eh, sizeof eh), sizeof eh);
    close(fd);
    assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
    return eh.e_type;
}

static char *write_temp(const void *data, size_t len)
{
    char *path = strdup("/tmp/pyflame-test-elf-XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* ---- symbols and bias in live processes ---- */

struct library_case {
    const char **path;
    const char *first_perms; /* shows which layout we really got */
};

static void library_symbols(void **state)
{
    const struct library_case *lc = *state;
    void *h = dlopen(*lc->path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen: %s", dlerror());
    struct module m;
    module_open(&m, getpid(), *lc->path);
    assert_string_equal(m.first->perms, lc->first_perms);
    assert_int_equal(m.first->offset, 0);
    assert_true(m.bias != 0);
    assert_int_equal(elf_type(m.path), ET_DYN);

    /* Exported: the dynamic loader says where they are. */
    static const char *const exported[] = {
        "fixture_exported_var", "fixture_exported_const",
        "fixture_exported_bss", "fixture_exported_fn",
        "fixture_static_var_address",
    };
    for (size_t i = 0; i < sizeof exported / sizeof *exported; i++) {
        void *addr = dlsym(h, exported[i]);
        assert_non_null(addr);
        check_symbol(&m, exported[i], (uintptr_t)addr);
    }

    /* Static and hidden: not exported, only in .symtab. */
    typedef void *(*var_getter)(void);
    typedef int (*(*fn_getter)(void))(void);
    var_getter var_address = (var_getter)dlsym(h, "fixture_static_var_address");
    var_getter hidden_address = (var_getter)dlsym(h, "fixture_hidden_var_address");
    fn_getter fn_address = (fn_getter)dlsym(h, "fixture_static_fn_address");
    assert_non_null(var_address);
    assert_non_null(hidden_address);
    assert_non_null(fn_address);
    assert_null(dlsym(h, "fixture_static_var"));
    assert_null(dlsym(h, "fixture_hidden_var"));
    assert_null(dlsym(h, "fixture_static_fn"));
    check_symbol(&m, "fixture_static_var", (uintptr_t)var_address());
    check_symbol(&m, "fixture_hidden_var", (uintptr_t)hidden_address());
    check_symbol(&m, "fixture_static_fn", (uintptr_t)fn_address());
    assert_int_equal(*(int *)var_address(), 42);

    /* Imported, so undefined here: not a definition. */
    uint64_t value = 0;
    assert_int_equal(elf_file_symbol(m.elf, "getenv", &value), -1);
    assert_int_equal(elf_file_symbol(m.elf, "no_such_symbol_anywhere", &value), -1);
    assert_int_equal(elf_file_symbol(m.elf, "", &value), -1);

    module_close(&m);
    dlclose(h);
}

static void pie_executable_symbols(void **state)
{
    (void)state;
    struct module m;
    module_open(&m, getpid(), "/proc/self/exe");
    assert_int_equal(elf_type(m.path), ET_DYN);
    assert_true(m.bias != 0);
    assert_string_equal(m.first->perms, "r--p"); /* -z separate-code */
    check_symbol(&m, "test_elf_global", (uintptr_t)&test_elf_global);
    check_symbol(&m, "test_elf_static_var", (uintptr_t)&test_elf_static_var);
    int (*fn)(void) = test_elf_static_fn;
    check_symbol(&m, "test_elf_static_fn", (uintptr_t)fn);
    check_symbol(&m, "main", (uintptr_t)main);
    assert_int_equal(fn(), 23);
    module_close(&m);
}

static void nopie_executable_symbols(void **state)
{
    (void)state;
    assert_non_null(nopie_helper);
    assert_int_equal(elf_type(nopie_helper), ET_EXEC);
    int out[2], in[2];
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    pid_t pid;
    char *argv[] = {(char *)nopie_helper, NULL};
    assert_int_equal(posix_spawn(&pid, nopie_helper, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);

    /* It prints its addresses, then waits for us while we read its maps. */
    FILE *f = fdopen(out[0], "r");
    assert_non_null(f);
    char names[8][64];
    unsigned long long addresses[8];
    int symbols = 0;
    while (symbols < 8 && fscanf(f, "%63s", names[symbols]) == 1 &&
           strcmp(names[symbols], "end") != 0) {
        assert_int_equal(fscanf(f, "%llx", &addresses[symbols]), 1);
        symbols++;
    }
    assert_int_equal(symbols, 4);
    struct module m;
    module_open(&m, pid, nopie_helper);
    assert_int_equal(m.bias, 0);
    for (int i = 0; i < symbols; i++)
        check_symbol(&m, names[i], (uintptr_t)addresses[i]);
    module_close(&m);

    close(in[1]);
    fclose(f);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- failures ---- */

static void load_bias_needs_a_matching_segment(void **state)
{
    (void)state;
    struct elf_file *elf = elf_file_open(lib_separate);
    assert_non_null(elf);
    uint64_t bias = 12345;
    /* No PT_LOAD starts in the page at 1 GiB of a small file. */
    assert_int_equal(elf_file_load_bias(elf, 0x7f0000000000, 0x40000000, &bias), -1);
    elf_file_close(elf);
}

static void open_failures(void **state)
{
    (void)state;
    static const char text[] = "#!/bin/sh\necho this is not an ELF file\n";
    char *path = write_temp(text, sizeof text - 1);
    errno = 0;
    assert_null(elf_file_open(path));
    assert_int_equal(errno, EINVAL);
    unlink(path);
    free(path);

    path = write_temp("", 0);
    errno = 0;
    assert_null(elf_file_open(path));
    assert_int_equal(errno, EINVAL);
    unlink(path);
    free(path);

    errno = 0;
    assert_null(elf_file_open("/nonexistent/pyflame/libfoo.so"));
    assert_int_equal(errno, ENOENT);
    elf_file_close(NULL); /* allowed, like free() */
}

/* A cut-off ELF file: whatever elf_file_open decides, nothing is found and
 * nothing crashes. */
static void truncated_elf_file(void **state)
{
    (void)state;
    FILE *f = fopen(lib_separate, "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t size = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(size > 1024 && size < sizeof buf);

    const size_t cuts[] = {16, sizeof(Elf64_Ehdr), 200, size / 2};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        char *path = write_temp(buf, cuts[i]);
        struct elf_file *elf = elf_file_open(path);
        if (elf) {
            uint64_t value, bias;
            /* The section headers are at the end of the file: gone. */
            assert_int_equal(elf_file_symbol(elf, "fixture_exported_var", &value), -1);
            (void)elf_file_load_bias(elf, 0x7f0000000000, 0, &bias);
            elf_file_close(elf);
        } else {
            assert_int_equal(errno, EINVAL);
        }
        unlink(path);
        free(path);
    }
}

/* ---- /proc/PID/maps ---- */

static void parse_line(const char *line, uint64_t start, uint64_t end,
                       const char *perms, uint64_t offset, const char *path)
{
    struct mapping m;
    if (maps_parse_line(line, &m) != 0)
        fail_msg("rejected: %s", line);
    assert_int_equal(m.start, start);
    assert_int_equal(m.end, end);
    assert_string_equal(m.perms, perms);
    assert_int_equal(m.offset, offset);
    assert_string_equal(m.path, path);
    free(m.path);
}

static void maps_parse_line_cases(void **state)
{
    (void)state;
    parse_line("55d0c4a00000-55d0c4a28000 r--p 00000000 08:01 1318302"
               "                    /usr/bin/python3.11\n",
               0x55d0c4a00000, 0x55d0c4a28000, "r--p", 0, "/usr/bin/python3.11");
    parse_line("7f1c2a428000-7f1c2a5bd000 r-xp 00028000 fd:00 2621556"
               "                    /usr/lib/x86_64-linux-gnu/libc.so.6\n",
               0x7f1c2a428000, 0x7f1c2a5bd000, "r-xp", 0x28000,
               "/usr/lib/x86_64-linux-gnu/libc.so.6");
    parse_line("7ffd1c3d0000-7ffd1c3f1000 rw-p 00000000 00:00 0"
               "                          [stack]\n",
               0x7ffd1c3d0000, 0x7ffd1c3f1000, "rw-p", 0, "[stack]");
    /* Anonymous: the kernel ends the line with a space, or not at all. */
    parse_line("7f1c2a600000-7f1c2a60d000 rw-p 00000000 00:00 0 \n",
               0x7f1c2a600000, 0x7f1c2a60d000, "rw-p", 0, "");
    parse_line("7f1c2a600000-7f1c2a60d000 rw-p 00000000 00:00 0",
               0x7f1c2a600000, 0x7f1c2a60d000, "rw-p", 0, "");
    /* The path is kept as the kernel shows it: spaces, " (deleted)". */
    parse_line("7f0000001000-7f0000002000 r--s 00001000 00:2a 77 "
               "/tmp/dir with spaces/lib x.so\n",
               0x7f0000001000, 0x7f0000002000, "r--s", 0x1000,
               "/tmp/dir with spaces/lib x.so");
    parse_line("7f0000001000-7f0000002000 r-xp 00002000 08:01 99"
               "   /opt/py/libpython3.12.so.1.0 (deleted)\n",
               0x7f0000001000, 0x7f0000002000, "r-xp", 0x2000,
               "/opt/py/libpython3.12.so.1.0 (deleted)");
    parse_line("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
               "                  [vsyscall]\n",
               0xffffffffff600000, 0xffffffffff601000, "--xp", 0, "[vsyscall]");
    /* Offsets past 4 GiB. */
    parse_line("7f0000000000-7f0000001000 r--p 1234567000 103:02 5 /big\n",
               0x7f0000000000, 0x7f0000001000, "r--p", 0x1234567000, "/big");

    static const char *const malformed[] = {
        "",
        "\n",
        "garbage\n",
        "7f0000000000-7f0000001000\n",
        "7f0000000000-7f0000001000 r--p\n",
        "7f0000000000-7f0000001000 r--p 00000000 08:01\n", /* no inode */
        "7f0000000000 r--p 00000000 08:01 5 /x\n",          /* no end */
        "zz0000000000-7f0000001000 r--p 00000000 08:01 5 /x\n",
        "7f0000001000-7f0000000000 r--p 00000000 08:01 5 /x\n", /* end < start */
        "7f0000000000-7f0000001000 r--p zz 08:01 5 /x\n",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        struct mapping m = {.path = NULL};
        if (maps_parse_line(malformed[i], &m) == 0) {
            free(m.path);
            fail_msg("accepted malformed line %zu: '%s'", i, malformed[i]);
        }
    }
}

static void maps_read_self(void **state)
{
    (void)state;
    struct maps maps;
    assert_int_equal(maps_read(getpid(), &maps), 0);
    assert_true(maps.n > 5);
    int stack = 0;
    uintptr_t local = (uintptr_t)&stack;
    int found_local = 0;
    for (size_t i = 0; i < maps.n; i++) {
        const struct mapping *m = &maps.v[i];
        assert_true(m->start < m->end);
        assert_int_equal(strlen(m->perms), 4);
        if (i)
            assert_true(maps.v[i - 1].end <= m->start); /* kernel order kept */
        stack += strcmp(m->path, "[stack]") == 0;
        found_local |= m->start <= local && local < m->end;
    }
    assert_int_equal(stack, 1);
    assert_true(found_local);

    char exe[PATH_MAX];
    assert_non_null(realpath("/proc/self/exe", exe));
    const struct mapping *first = maps_first_of(&maps, exe);
    assert_non_null(first);
    for (size_t i = 0; i < maps.n; i++)
        if (strcmp(maps.v[i].path, exe) == 0)
            assert_true(first->start <= maps.v[i].start);
    assert_null(maps_first_of(&maps, "/no/such/file"));
    maps_free(&maps);
    assert_int_equal(maps.n, 0);

    errno = 0;
    assert_int_equal(maps_read(INT_MAX, &maps), -1); /* above pid_max */
    assert_int_not_equal(errno, 0);
}

static void maps_first_of_picks_lowest(void **state)
{
    (void)state;
    struct mapping v[] = {
        {.start = 0x5000, .end = 0x6000, .path = "/lib/a.so"},
        {.start = 0x3000, .end = 0x4000, .path = "/lib/b.so"},
        {.start = 0x2000, .end = 0x3000, .path = "/lib/a.so"},
        {.start = 0x1000, .end = 0x2000, .path = ""},
        {.start = 0x9000, .end = 0xa000, .path = "/lib/a.so"},
    };
    struct maps maps = {v, sizeof v / sizeof *v};
    assert_ptr_equal(maps_first_of(&maps, "/lib/a.so"), &v[2]);
    assert_ptr_equal(maps_first_of(&maps, "/lib/b.so"), &v[1]);
    assert_ptr_equal(maps_first_of(&maps, ""), &v[3]);
    assert_null(maps_first_of(&maps, "/lib/a"));
    struct maps none = {NULL, 0};
    assert_null(maps_first_of(&none, "/lib/a.so"));
}

static void maps_has_code_needs_an_executable_mapping(void **state)
{
    (void)state;
    struct mapping v[] = {
        {.perms = "r--p", .path = "/lib/libpython3.12.so.1.0"}, /* read by another pyflame */
        {.perms = "r--p", .path = "/lib/a.so"},
        {.perms = "r-xp", .path = "/lib/a.so"},
        {.perms = "r-xp", .path = "/lib/b.so.x"},
    };
    struct maps maps = {v, sizeof v / sizeof *v};
    assert_false(maps_has_code(&maps, "/lib/libpython3.12.so.1.0"));
    assert_true(maps_has_code(&maps, "/lib/a.so"));
    assert_false(maps_has_code(&maps, "/lib/b.so"));
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s LIB_SEPARATE_CODE LIB_NOSEPARATE_CODE "
                "NOPIE_HELPER\n", argv[0]);
        return 2;
    }
    lib_separate = argv[1];
    lib_noseparate = argv[2];
    nopie_helper = argv[3];
    static struct library_case separate = {&lib_separate, "r--p"};
    static struct library_case noseparate = {&lib_noseparate, "r-xp"};

    const struct CMUnitTest tests[] = {
        {"library_symbols_separate_code", library_symbols, NULL, NULL, &separate},
        {"library_symbols_noseparate_code", library_symbols, NULL, NULL, &noseparate},
        cmocka_unit_test(pie_executable_symbols),
        cmocka_unit_test(nopie_executable_symbols),
        cmocka_unit_test(load_bias_needs_a_matching_segment),
        cmocka_unit_test(open_failures),
        cmocka_unit_test(truncated_elf_file),
        cmocka_unit_test(maps_parse_line_cases),
        cmocka_unit_test(maps_read_self),
        cmocka_unit_test(maps_first_of_picks_lowest),
        cmocka_unit_test(maps_has_code_needs_an_executable_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
