/* Symbols of an ELF file on disk, via libelf: .dynsym and .symtab. */
#ifndef PYFLAME_ELF_SYMBOLS_H
#define PYFLAME_ELF_SYMBOLS_H

#include <stdint.h>

struct elf_file;

/* Opens `path` for symbol lookups.  NULL with errno set on failure (EINVAL
 * if it is not an ELF file). */
struct elf_file *elf_file_open(const char *path);
/* The same for an open file, which it takes over (closed on failure). */
struct elf_file *elf_file_open_fd(int fd);
void elf_file_close(struct elf_file *elf);

/* The link-time value (address) of a defined symbol called `name`, looked
 * up in .dynsym, then .symtab.  Returns 0 if found, -1 if not. */
int elf_file_symbol(struct elf_file *elf, const char *name, uint64_t *value);

/* The link-time address of the section called `name`, if it is loaded
 * (SHF_ALLOC): section headers survive stripping, symbols may not.
 * Returns 0 if found, -1 if not. */
int elf_file_section(struct elf_file *elf, const char *name, uint64_t *addr);

/* The load bias of a file mapped at `map_start` from file offset
 * `map_offset` (its lowest mapping in /proc/PID/maps): add it to a
 * symbol's value to get its address.  0 for non-PIE executables.  Works
 * whatever the layout of segments (-z separate-code included). */
int elf_file_load_bias(struct elf_file *elf, uint64_t map_start,
                       uint64_t map_offset, uint64_t *bias);

#endif
