/* mb.h — the Multiboot boot protocols as a kernel sees them, for the target test kernels.
 *
 * Written from the specifications, independently of the simulator's own sim/multiboot_abi.h (the
 * kernels check the loader, so they must not share its reading of the specs):
 *   Multiboot Specification version 0.6.96: 3.1 (OS image format), 3.2 (machine state),
 *     3.3 (boot information format).
 *   Multiboot2 Specification version 2.0 (earlier drafts were numbered 1.6; same layout),
 *     cited by section title: "OS image format" (header, header tags), "I386 machine state",
 *     "Boot information format" (the fixed part and the tags).
 * Every structure is the exact byte layout of the spec; offsets are checked by static asserts.
 *
 * The entry code (mb1_entry.S, mb2_entry.S) records the machine state it was started in before
 * it changes anything (struct mb_entry_state), sets a stack and calls kernel_start() (kcrt.c).
 */
#ifndef TARGET_MB_H
#define TARGET_MB_H

#include <stdint.h>

/* ---- Multiboot v1 (0.6.96) -------------------------------------------------------------- */
#define MB1_HEADER_MAGIC 0x1BADB002u       /* 3.1.2 */
#define MB1_BOOT_MAGIC 0x2BADB002u         /* 3.2: EAX at entry */
#define MB1_HF_PAGE_ALIGN (1u << 0)        /* 3.1.2: modules page-aligned */
#define MB1_HF_MEMINFO (1u << 1)           /* 3.1.2: mem_* (and mmap if available) required */

/* 3.3 "flags" bits of the information structure. */
#define MB1_INFO_MEM (1u << 0)
#define MB1_INFO_BOOTDEV (1u << 1)
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MODS (1u << 3)
#define MB1_INFO_AOUT_SYMS (1u << 4)
#define MB1_INFO_ELF_SHDR (1u << 5)
#define MB1_INFO_MMAP (1u << 6)
#define MB1_INFO_DRIVES (1u << 7)
#define MB1_INFO_CONFIG (1u << 8)
#define MB1_INFO_LOADER_NAME (1u << 9)
#define MB1_INFO_APM (1u << 10)
#define MB1_INFO_VBE (1u << 11)
#define MB1_INFO_FRAMEBUFFER (1u << 12)

struct mb1_info {                  /* 3.3 */
    uint32_t flags;                /* +0 */
    uint32_t mem_lower, mem_upper; /* +4, +8: KiB below 1 MiB (<= 640), KiB from 1 MiB */
    uint32_t boot_device;          /* +12 */
    uint32_t cmdline;              /* +16: physical address of a C string */
    uint32_t mods_count, mods_addr;/* +20, +24 */
    uint32_t syms[4];              /* +28..+40: a.out or ELF section info */
    uint32_t mmap_length, mmap_addr;   /* +44, +48 */
    uint32_t drives_length, drives_addr; /* +52, +56 */
    uint32_t config_table;         /* +60 */
    uint32_t boot_loader_name;     /* +64 */
    uint32_t apm_table;            /* +68 */
    uint32_t vbe[4];               /* +72..+87: control/mode info, then four 16-bit fields */
    uint32_t framebuffer[7];       /* +88..+115: addr (64), pitch, width, height, bpp/type/colors */
};

struct mb1_module {                /* 3.3 "mods_addr" */
    uint32_t mod_start, mod_end;   /* [start, end): end is the first byte after the module */
    uint32_t string;               /* physical address of a C string */
    uint32_t reserved;             /* 0 */
};

/* 3.3 "mmap_addr": a buffer of entries, each preceded by its size (which does not count the
 * size field itself); the next entry is at (entry + size + 4). */
struct __attribute__((packed)) mb1_mmap_entry {
    uint32_t size;                 /* -4 in the spec's numbering */
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;                 /* 1 = available RAM, anything else reserved */
};

/* ---- Multiboot2 ----------------------------------------------------------------------- */
#define MB2_HEADER_MAGIC 0xE85250D6u       /* Header magic fields */
#define MB2_BOOT_MAGIC 0x36D76289u         /* I386 machine state: EAX at entry */
#define MB2_ARCH_I386 0u

/* Header tag types (General tag structure and the tags after it). */
#define MB2_HTAG_END 0
#define MB2_HTAG_INFO_REQUEST 1
#define MB2_HTAG_MODULE_ALIGN 6
#define MB2_HTAG_OPTIONAL 1u               /* flags bit 0: the loader may ignore the tag */

/* Boot information tag types. */
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_BOOTDEV 5
#define MB2_TAG_MMAP 6

struct mb2_info_header {           /* Basic tags structure: fixed part, 8-aligned */
    uint32_t total_size;           /* including this header and the end tag */
    uint32_t reserved;             /* 0 */
};

struct mb2_tag {                   /* every tag starts 8-aligned */
    uint32_t type;
    uint32_t size;                 /* without the padding to the next 8-byte boundary */
};

struct mb2_tag_string {            /* Boot command line, Boot loader name */
    uint32_t type, size;
    char string[];                 /* zero-terminated UTF-8 */
};

struct mb2_tag_module {            /* Modules */
    uint32_t type, size;
    uint32_t mod_start, mod_end;   /* [start, end) */
    char string[];
};

struct mb2_tag_meminfo {           /* Basic memory information */
    uint32_t type, size;           /* size 16 */
    uint32_t mem_lower, mem_upper; /* KiB, as in v1 */
};

struct mb2_mmap_entry {            /* Memory map */
    uint64_t base_addr, length;
    uint32_t type;                 /* 1 available, 3 ACPI, 4 preserve on hibernation, 5 bad */
    uint32_t reserved;             /* 0 */
};

struct mb2_tag_mmap {              /* Memory map */
    uint32_t type, size;
    uint32_t entry_size;           /* a multiple of 8; entries may grow in later versions */
    uint32_t entry_version;        /* 0 */
    /* entries follow */
};

_Static_assert(sizeof(struct mb1_info) == 116, "mb1_info layout");
_Static_assert(__builtin_offsetof(struct mb1_info, mmap_length) == 44, "mb1 mmap_length");
_Static_assert(__builtin_offsetof(struct mb1_info, boot_loader_name) == 64, "mb1 loader name");
_Static_assert(sizeof(struct mb1_mmap_entry) == 24, "mb1 mmap entry");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "mb2 mmap entry");

/* ---- what the entry code recorded (mb1_entry.S / mb2_entry.S) ------------------------------ */
struct mb_entry_state {
    uint32_t eax, ebx, esp;        /* +0, +4, +8 at entry */
    uint32_t eflags, cr0;          /* +12, +16 */
    uint16_t cs, ds, es, fs, gs, ss;   /* +20 .. +30 */
    uint32_t version;              /* +32: 1 or 2: which header this kernel carries */
};
extern struct mb_entry_state mb_entry;

#endif
