/* multiboot.h — load a Multiboot v1 (spec 0.6.96) or Multiboot2 (spec 2.0) kernel with its
 * modules, build the boot information in RAM, and put the CPU in the specified entry state.
 *
 * The kernel must be an ELF executable (ELF32 i386 or ELF64 x86-64 with every segment below
 * 4 GiB); its PT_LOAD segments are loaded by sim/elfload.c. The a.out kludge (v1 flag 16, v2
 * address tag) is honoured only in the sense the specs allow for ELF images: the ELF headers win;
 * for a non-ELF image it is reported as unsupported.
 *
 * Physical layout (deterministic: a function of the image, the module sizes and strings, the
 * command line and the RAM size only; docs/BOOT.md has the worked example):
 *   [kernel_lo, kernel_hi)     the ELF segments (must not touch the reserved 640 KiB - 1 MiB)
 *   modules                    in command-line order, each at the next 4 KiB boundary, each
 *                              taking at least one page (so no two modules share a page)
 *   info                       next 4 KiB boundary: the boot information (v1 or v2 format)
 *   gdt                        next 4 KiB boundary: the flat GDT + TSS of cpu_setup_gdt
 *   free_base                  next page: the first byte the loader did not use
 * Any block that would cross 0xA0000 while starting below 1 MiB moves up to 1 MiB; everything
 * must end inside RAM and at or below 4 GiB, or the load fails before RAM is touched.
 *
 * Invariants: the load either succeeds completely or fails with one message naming the file
 * and what is wrong, with RAM untouched; no input (file contents, sizes, strings) can make the
 * loader read outside its inputs or write outside the planned blocks.
 */
#ifndef HVSIM_MULTIBOOT_H
#define HVSIM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/multiboot_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bus;
struct cpu;

enum mb_version { MB_AUTO = 0, MB_V1 = 1, MB_V2 = 2 };

#define MB_MAX_MODULES      64
#define MB_LOADER_NAME      "hvsim"
#define MB_LOW_MEM_END      0xA0000ull      /* 640 KiB: end of conventional memory */
#define MB_HIGH_MEM_START   0x100000ull     /* 1 MiB */

/* One input file already in host memory. `string` is the module's string (ignored for the
 * kernel); NULL means "". */
struct mb_blob {
    const char *name;        /* used in messages */
    const void *data;
    size_t size;
    const char *string;
};

/* A Multiboot header found in an image. */
struct mb_header {
    int version;             /* 1 or 2 */
    uint32_t offset;         /* file offset of the magic */
    uint32_t flags;          /* v1: header flags; v2: 0 */
    uint32_t length;         /* v1: 12 (or 32/48 with flags 16/2); v2: header_length */
    int has_address;         /* v1 flag 16 / v2 address tag present */
    int has_entry;           /* v2 entry address tag present */
    uint32_t entry;          /* its entry_addr */
};

/* The result of a load: what mb_enter needs plus the placement, for reports and tests. */
struct mb_boot {
    int version;             /* 1 or 2 */
    uint32_t magic;          /* EAX at entry: MB1_BOOTLOADER_MAGIC or MB2_BOOTLOADER_MAGIC */
    uint32_t info;           /* EBX at entry: physical address of the boot information */
    uint32_t info_size;      /* bytes of boot information written at `info` */
    uint32_t entry;          /* EIP at entry (physical; paging is off) */
    uint64_t kernel_lo, kernel_hi;
    int n_mods;
    struct { uint32_t start, end; } mods[MB_MAX_MODULES];   /* [start, end) as in the info */
    uint32_t gdt;            /* GDT written by mb_enter (cpu_setup_gdt) */
    uint64_t free_base;      /* first page the loader left free */
    struct mb_header hdr;
};

/* Look for a Multiboot header in data (v1 in the first 8192 bytes, v2 in the first 32768; MB_AUTO
 * tries v1 first, as QEMU's -kernel does, then v2). Validates magic, checksum, window, flags or
 * tags. 0 with *h filled, or -1 with a message naming `name`. */
int mb_find_header(const void *data, size_t size, const char *name, enum mb_version want,
                   struct mb_header *h, char *err, size_t errlen);

/* 1 or 2 if data carries a Multiboot v1 / v2 header with a valid checksum in its search window
 * (v1 preferred), else 0. For choosing between mb_load and a plain ELF boot: an image with a
 * header whose flags or tags are unsupported still probes as Multiboot, so mb_load reports why. */
int mb_probe(const void *data, size_t size);

/* Load kernel and modules from host memory and write the boot information. cmdline NULL = "".
 * 0 with *mb filled, or -1 with a message in err and RAM untouched. */
int mb_load_mem(struct bus *b, const struct mb_blob *kernel, const char *cmdline,
                const struct mb_blob *mods, int n_mods, enum mb_version want,
                struct mb_boot *mb, char *err, size_t errlen);

/* Same from files. Each module_specs[k] is "FILE" or "FILE,ARGS" (split at the first comma);
 * the module's string is "NAME" or "NAME ARGS", as GRUB and QEMU pass it, where NAME is
 * module_names[k] (the path as the user wrote it, when FILE was resolved from a configuration
 * file) or FILE when module_names or module_names[k] is NULL. */
int mb_load(struct bus *b, const char *kernel_path, const char *cmdline,
            const char *const *module_specs, const char *const *module_names, int n_mods,
            enum mb_version want, struct mb_boot *mb, char *err, size_t errlen);

/* Entry state (v1 spec 3.2, v2 spec 3.3): EAX = magic, EBX = info, EIP = entry, 32-bit protected
 * mode with paging off, CS/DS/ES/FS/GS/SS flat 4 GiB (CS 0x28, data 0x10 in the GDT at mb->gdt,
 * which is written here so segment reloads work), EFLAGS = 0x2 (IF = 0, VM = 0), all other
 * general registers 0. A20 is never masked in hvsim. 0, or -1 if the GDT is not in RAM. */
int mb_enter(struct cpu *c, const struct mb_boot *mb);

#ifdef __cplusplus
}
#endif
#endif
