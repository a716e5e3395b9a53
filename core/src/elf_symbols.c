#include "elf_symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bound on symbols scanned per table: a hostile file cannot make us spin. */
#define MAX_SYMBOLS (1u << 24)

struct elf_file {
    int fd;
    Elf *elf;
};

struct elf_file *elf_file_open(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    return fd < 0 ? NULL : elf_file_open_fd(fd);
}

struct elf_file *elf_file_open_fd(int fd)
{
    if (elf_version(EV_CURRENT) == EV_NONE) {
        close(fd);
        errno = ENOSYS;
        return NULL;
    }
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!elf || elf_kind(elf) != ELF_K_ELF) {
        if (elf)
            elf_end(elf);
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    struct elf_file *f = malloc(sizeof *f);
    if (!f) {
        elf_end(elf);
        close(fd);
        return NULL;
    }
    f->fd = fd;
    f->elf = elf;
    return f;
}

void elf_file_close(struct elf_file *f)
{
    if (!f)
        return;
    elf_end(f->elf);
    close(f->fd);
    free(f);
}

static int search_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
                        const char *name, uint64_t *value)
{
    Elf_Data *data = elf_getdata(scn, NULL);
    if (!data || sh->sh_entsize == 0)
        return -1;
    size_t count = sh->sh_size / sh->sh_entsize;
    if (count > MAX_SYMBOLS)
        count = MAX_SYMBOLS;
    for (size_t i = 0; i < count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            break;
        if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
            continue;
        const char *s = elf_strptr(elf, sh->sh_link, sym.st_name);
        if (s && strcmp(s, name) == 0) {
            *value = sym.st_value;
            return 0;
        }
    }
    return -1;
}

int elf_file_symbol(struct elf_file *f, const char *name, uint64_t *value)
{
    static const Elf64_Word order[] = {SHT_DYNSYM, SHT_SYMTAB};
    for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
            GElf_Shdr sh;
            if (gelf_getshdr(scn, &sh) && sh.sh_type == order[k] &&
                search_table(f->elf, scn, &sh, name, value) == 0)
                return 0;
        }
    }
    return -1;
}

int elf_file_section(struct elf_file *f, const char *name, uint64_t *addr)
{
    size_t names;
    if (elf_getshdrstrndx(f->elf, &names) != 0)
        return -1;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        GElf_Shdr sh;
        const char *s;
        if (gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_ALLOC) && sh.sh_addr &&
            (s = elf_strptr(f->elf, names, sh.sh_name)) && strcmp(s, name) == 0) {
            *addr = sh.sh_addr;
            return 0;
        }
    }
    return -1;
}

int elf_file_load_bias(struct elf_file *f, uint64_t map_start,
                       uint64_t map_offset, uint64_t *bias)
{
    const uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    size_t n;
    if (elf_getphdrnum(f->elf, &n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        /* The kernel maps from the page holding p_offset. */
        uint64_t file_page = ph.p_offset & ~(page - 1);
        if (file_page != map_offset)
            continue;
        uint64_t vaddr_page = ph.p_vaddr - (ph.p_offset - file_page);
        *bias = map_start - vaddr_page;
        return 0;
    }
    return -1;
}
