/* elf_fixture_lib: loaded by test_elf with dlopen.  Exported symbols are in
 * .dynsym (and .symtab); the static and hidden ones only in .symtab, so
 * test_elf learns their addresses from the exported functions below. */
#include <stdlib.h>

typedef int (*fixture_fn)(void);

int fixture_exported_var = 7;
const char fixture_exported_const[] = "pyflame";
int fixture_exported_bss[64];

static int fixture_static_var = 42;
__attribute__((visibility("hidden"))) int fixture_hidden_var = 3;

__attribute__((noinline)) static int fixture_static_fn(void)
{
    return fixture_static_var + fixture_hidden_var;
}

int fixture_exported_fn(void)
{
    return fixture_static_fn() + fixture_exported_var;
}

/* Calls an undefined (imported) function: getenv is then in .dynsym with
 * SHN_UNDEF, and must not be found as a definition. */
const char *fixture_imports(void)
{
    return getenv("PYFLAME_FIXTURE");
}

void *fixture_static_var_address(void)
{
    return &fixture_static_var;
}

void *fixture_hidden_var_address(void)
{
    return &fixture_hidden_var;
}

fixture_fn fixture_static_fn_address(void)
{
    return fixture_static_fn;
}
