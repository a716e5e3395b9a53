/* Compiled by gen_elf_corpus.sh into the seed ELF files of fuzz_elf: the
 * symbols pyflame looks up, exported (.dynsym and .symtab) and static
 * (.symtab only). */
int _PyRuntime[16] = {1};
const unsigned Py_Version = 0x030b04f0;
char PyCode_Type[64];
static int interp_head[4] = {2};

int *seed_interp_head(void)
{
    return interp_head;
}

void seed_start(void)
{
    for (;;)
        continue;
}
