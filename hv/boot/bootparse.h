/* bootparse.h — the pure parsers of the hypervisor's boot inputs (hv/boot/mb2_parse.c, madt.c,
 * memsel.c): Multiboot2 information, the ACPI RSDP and MADT, the command line's sizes, the choice
 * of the pool. No hypervisor service is used (no panic, no log, no physical memory access): each
 * takes bytes and their length and returns 0 or -1 with a one-line message, so the same code runs
 * in the image (boot.c files wrap it with hv_panic) and in the host unit tests
 * (tests/unit/test_hvboot.cc).
 *
 * Invariants: nothing reads outside the (pointer, length) it is given; every length and offset
 * from the input is checked before use, with sums checked for wrap-around.
 */
#ifndef HV_BOOT_BOOTPARSE_H
#define HV_BOOT_BOOTPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/arch/lp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_MB2_INFO_MAX (1u << 20)

/* Multiboot2 information (Multiboot2 spec 3.6) at b, of which `avail` bytes may be read: fills
 * out->cmdline, modules, nmodules, mmap, nmmap (other fields untouched); strings are copied into
 * arena[0, arena_size). *total = total_size. *dropped = memory ranges that did not fit mmap[]
 * (after merging adjacent ranges of one type). */
int hv_mb2_parse_buf(const uint8_t *b, size_t avail, struct hv_boot_info *out, char *arena,
                     size_t arena_size, uint32_t *total, uint32_t *dropped, char *err,
                     size_t errlen);

/* An RSDP candidate at p (avail bytes readable): 1 if "RSD PTR " matches and the checksums hold
 * (ACPI 6.3 5.2.5.3: first 20 bytes; revision >= 2: all `length` bytes, 36 <= length <= avail). */
int hv_acpi_rsdp_ok(const uint8_t *p, size_t avail);

/* A system description table header at t with avail bytes readable: its length if the table is
 * sound (36 <= length <= avail, byte sum 0: ACPI 6.3 5.2.6), else 0. */
uint32_t hv_acpi_table_len(const uint8_t *t, size_t avail);

/* The enabled processors of a MADT (ACPI 6.3 5.2.12) of len bytes: APIC IDs of Processor Local
 * APIC (type 0) and Processor Local x2APIC (type 9, ID < 255) entries with flags bit 0, in MADT
 * order, except bsp; at most max into ids (*n = how many; more is an error). *bsp_listed: bsp was
 * among them. -1 on a malformed entry, a duplicate ID or too many processors. *skipped = enabled
 * x2APIC entries with ID >= 255. */
int hv_madt_lapics(const uint8_t *madt, uint32_t len, uint32_t bsp, uint32_t *ids, uint32_t max,
                   uint32_t *n, bool *bsp_listed, uint32_t *skipped, char *err, size_t errlen);

/* `key=SIZE` on the command line (words separated by spaces): decimal or 0x hex, optional K/M/G
 * suffix. 0 with *out = the size (def if the key is absent), -1 if the value is malformed. */
int hv_cmdline_size_parse(const char *cmdline, const char *key, uint64_t def, uint64_t *out,
                          char *err, size_t errlen);

/* A range [start, end). */
struct hv_range { uint64_t start, end; };

/* The pool: the highest `align`-aligned block of `size` bytes inside one available (type 1)
 * range of mm, below `limit`, overlapping no range of avoid. 0 with *start, or -1. */
int hv_pool_choose(const struct hv_mem_range *mm, uint32_t n, const struct hv_range *avoid,
                   unsigned navoid, uint64_t size, uint64_t align, uint64_t limit,
                   uint64_t *start);

#ifdef __cplusplus
}
#endif

#endif
