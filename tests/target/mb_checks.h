/* mb_checks.h — the checks that the Multiboot v1 and Multiboot2 boot tests (mb1_boot.c,
 * mb2_boot.c) share: machine state at entry, memory sizes and map, command line, modules and
 * their placement. Each check prints one PASS/FAIL line (lib/test.h). The expected values come
 * from the specifications and from the run's configuration (the .cfg file of the kernel), never
 * from what the loader did. */
#ifndef TARGET_MB_CHECKS_H
#define TARGET_MB_CHECKS_H

#include <stdint.h>

/* What the configuration gives (mb1_boot.cfg / mb2_boot.cfg must say the same). */
struct mod_expect {
    const char *file;       /* the module's file name as the .cfg names it (data/NAME) */
    const char *args;       /* its arguments, "" for none */
    uint32_t size, crc;     /* size and CRC-32 of the file (docs/TESTING.md: how to compute) */
};
/* The modules both boot tests load, in order (data/). */
#define MB_TEST_MODULES 3
extern const struct mod_expect mb_test_modules[MB_TEST_MODULES];

/* What the kernel found, in a form common to both protocols. */
struct mmap_ent {
    uint64_t base, len;
    uint32_t type;
};
struct mod_found {
    uint32_t start, end;    /* [start, end) */
    const char *string;
};
struct region {             /* memory the boot information or the kernel occupies */
    uint32_t lo, hi;        /* [lo, hi) */
    const char *what;
};

/* The machine state at entry (v1 3.2, Multiboot2 "I386 machine state"): EAX, CR0.PE/PG,
 * EFLAGS.IF/VM, flat segments (as recorded by kentry.S; kidt_init must have been called, so a
 * fault is reported as FAIL). A20 is mbc_a20's. */
void mbc_entry_state(uint32_t want_magic);
/* mem_lower/mem_upper in KiB against the configured RAM size. */
void mbc_meminfo(uint32_t mem_lower, uint32_t mem_upper, uint64_t ram);
/* The memory map: entries sane, sorted, disjoint, the available total = RAM - 384 KiB, nothing
 * available in [0xA0000, 0x100000) or beyond RAM. */
void mbc_mmap(const struct mmap_ent *e, unsigned n, uint64_t ram);
void mbc_string(const char *name, const char *got, const char *want);
void mbc_loader_name(const char *s);
/* Count, page alignment, size, CRC-32 and string of each module; no module overlaps another,
 * the kernel or any of the info regions; everything lies in available RAM. */
void mbc_modules(const struct mod_found *m, unsigned n, const struct region *info, unsigned n_info,
                 uint64_t ram);
/* A20: a write at X + 1 MiB must not change X, for X in free RAM above everything listed. */
void mbc_a20(const struct mod_found *m, unsigned n, const struct region *info, unsigned n_info,
             uint64_t ram);

#endif
