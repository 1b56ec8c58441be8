/* elfload.h — load a freestanding ELF executable into simulated physical memory (libelf).
 *
 * Accepts ELF64 x86-64 and ELF32 i386 executables (ET_EXEC). Every PT_LOAD segment is copied
 * to its physical address (p_paddr) and its bss tail [p_filesz, p_memsz) is zeroed, through the
 * bus (so the decode cache sees the writes). The same loader will serve the Multiboot path.
 *
 * Invariants: a load either succeeds completely or reports exactly one error naming the file and
 * what is wrong (not ELF, wrong class/machine/type, truncated, segment outside RAM, entry outside
 * every segment); nothing in the file is trusted before it is range-checked.
 */
#ifndef HVSIM_ELFLOAD_H
#define HVSIM_ELFLOAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

struct elf_image {
    int bits;           /* 32 (ELFCLASS32, EM_386) or 64 (ELFCLASS64, EM_X86_64) */
    uint64_t entry;     /* e_entry */
    uint64_t entry_pa;  /* e_entry translated through the PT_LOAD segment containing it
                           (p_paddr + e_entry - p_vaddr): where paging-off code starts */
    uint64_t lo, hi;    /* physical span loaded: [lo, hi), bss included */
    int n_load;         /* PT_LOAD segments loaded */
};

/* Load `path` into RAM of `b`. 0, or -1 with a one-line message in err. */
int elf_load(struct bus *b, const char *path, struct elf_image *img, char *err, size_t errlen);

/* Same, from a file image already in host memory (tests, embedded programs). `name` is used in
 * messages. */
int elf_load_mem(struct bus *b, const void *data, size_t size, const char *name,
                 struct elf_image *img, char *err, size_t errlen);

/* Validate only (pass 1 of elf_load_mem): fill img as a load into RAM of ram_size bytes would,
 * without touching memory. 0, or -1 with the same messages as elf_load_mem. */
int elf_check_mem(const void *data, size_t size, const char *name, uint64_t ram_size,
                  struct elf_image *img, char *err, size_t errlen);

/* Read the whole regular file `path` into a malloc'd buffer (*data, *size; free() it).
 * 0, or -1 with a message naming the file in err. */
int elf_read_file(const char *path, unsigned char **data, size_t *size, char *err, size_t errlen);

/* Value of symbol `sym` in the symbol table of `path`. 0, or -1 with a message in err. */
int elf_symbol(const char *path, const char *sym, uint64_t *value, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
