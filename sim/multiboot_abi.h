/* multiboot_abi.h — Multiboot v1 (Specification 0.6.96) and Multiboot2 (Specification 2.0)
 * constants and structures: the image header a kernel carries and the boot information a boot
 * loader hands it.
 *
 * Plain C with fixed-width types and no host headers beyond <stdint.h>, so freestanding target
 * code (tests/target/) can include it too. All structures are little-endian and laid out exactly
 * as the specifications' tables (offsets are checked with static assertions below).
 */
#ifndef HVSIM_MULTIBOOT_ABI_H
#define HVSIM_MULTIBOOT_ABI_H

#include <stdint.h>

/* ---- Multiboot v1 (spec 0.6.96) ------------------------------------------------------------ */

/* 3.1.1: the header lies 4-aligned and completely within the first 8192 bytes of the image. */
#define MB1_HEADER_MAGIC        0x1BADB002u
#define MB1_SEARCH              8192u
#define MB1_ALIGN               4u
/* 3.2: EAX at entry. */
#define MB1_BOOTLOADER_MAGIC    0x2BADB002u

/* 3.1.2 header flags. Bits 0-15 are requirements (a loader must refuse unknown ones). */
#define MB1_PAGE_ALIGN          (1u << 0)   /* modules page (4 KiB) aligned */
#define MB1_MEMORY_INFO         (1u << 1)   /* mem_* fields (and mmap if available) required */
#define MB1_VIDEO_MODE          (1u << 2)   /* video mode table wanted */
#define MB1_AOUT_KLUDGE         (1u << 16)  /* header_addr..entry_addr fields valid */
#define MB1_REQUIRED_MASK       0x0000ffffu

/* 3.1.1-3.1.4 header layout (offset 0 = the magic). */
struct mb1_header {
    uint32_t magic;            /*  0 */
    uint32_t flags;            /*  4 */
    uint32_t checksum;         /*  8: magic + flags + checksum == 0 (mod 2^32) */
    uint32_t header_addr;      /* 12: valid with MB1_AOUT_KLUDGE */
    uint32_t load_addr;        /* 16 */
    uint32_t load_end_addr;    /* 20 */
    uint32_t bss_end_addr;     /* 24 */
    uint32_t entry_addr;       /* 28 */
    uint32_t mode_type;        /* 32: valid with MB1_VIDEO_MODE */
    uint32_t width;            /* 36 */
    uint32_t height;           /* 40 */
    uint32_t depth;            /* 44 */
};
#define MB1_HEADER_MIN_SIZE     12u

/* 3.3 boot information flags. */
#define MB1_INFO_MEMORY         (1u << 0)   /* mem_lower, mem_upper */
#define MB1_INFO_BOOTDEV        (1u << 1)
#define MB1_INFO_CMDLINE        (1u << 2)
#define MB1_INFO_MODS           (1u << 3)
#define MB1_INFO_AOUT_SYMS      (1u << 4)
#define MB1_INFO_ELF_SHDR       (1u << 5)
#define MB1_INFO_MEM_MAP        (1u << 6)
#define MB1_INFO_DRIVE_INFO     (1u << 7)
#define MB1_INFO_CONFIG_TABLE   (1u << 8)
#define MB1_INFO_BOOT_LOADER_NAME (1u << 9)
#define MB1_INFO_APM_TABLE      (1u << 10)
#define MB1_INFO_VBE_INFO       (1u << 11)
#define MB1_INFO_FRAMEBUFFER    (1u << 12)

/* 3.3 boot information structure. */
struct mb1_info {
    uint32_t flags;              /*   0 */
    uint32_t mem_lower;          /*   4: KiB from 0 */
    uint32_t mem_upper;          /*   8: KiB from 1 MiB */
    uint32_t boot_device;        /*  12 */
    uint32_t cmdline;            /*  16: physical address of a NUL-terminated string */
    uint32_t mods_count;         /*  20 */
    uint32_t mods_addr;          /*  24: physical address of mods_count struct mb1_module */
    uint32_t syms[4];            /*  28..43 */
    uint32_t mmap_length;        /*  44: bytes of the memory map buffer */
    uint32_t mmap_addr;          /*  48 */
    uint32_t drives_length;      /*  52 */
    uint32_t drives_addr;        /*  56 */
    uint32_t config_table;       /*  60 */
    uint32_t boot_loader_name;   /*  64 */
    uint32_t apm_table;          /*  68 */
    uint32_t vbe_control_info;   /*  72 */
    uint32_t vbe_mode_info;      /*  76 */
    uint16_t vbe_mode;           /*  80 */
    uint16_t vbe_interface_seg;  /*  82 */
    uint16_t vbe_interface_off;  /*  84 */
    uint16_t vbe_interface_len;  /*  86 */
    uint64_t framebuffer_addr;   /*  88 */
    uint32_t framebuffer_pitch;  /*  96 */
    uint32_t framebuffer_width;  /* 100 */
    uint32_t framebuffer_height; /* 104 */
    uint8_t framebuffer_bpp;     /* 108 */
    uint8_t framebuffer_type;    /* 109 */
    uint8_t color_info[6];       /* 110..115 */
};
#define MB1_INFO_SIZE           116u   /* bytes defined by the spec (sizeof adds tail padding) */

/* 3.3 module structure (mods_addr points to an array of these). */
struct mb1_module {
    uint32_t mod_start;   /* first byte */
    uint32_t mod_end;     /* one past the last byte */
    uint32_t string;      /* physical address of the module's NUL-terminated string */
    uint32_t reserved;    /* 0 */
};

/* 3.3 memory map entry: `size` counts the bytes after itself (20 here); the next entry starts at
 * (entry address + size + 4). */
struct mb1_mmap_entry {
    uint32_t size;
    uint32_t base_lo, base_hi;   /* base_addr, split so the struct has no padding (offset 4) */
    uint32_t len_lo, len_hi;     /* length (offset 12) */
    uint32_t type;               /* 1 available RAM, other values reserved (offset 20) */
};
#define MB1_MMAP_ENTRY_SIZE     24u

/* Memory map types (shared by both specifications). */
#define MB_MEMORY_AVAILABLE     1u
#define MB_MEMORY_RESERVED      2u
#define MB_MEMORY_ACPI_RECLAIM  3u
#define MB_MEMORY_NVS           4u
#define MB_MEMORY_BADRAM        5u

/* ---- Multiboot2 (spec 2.0) ------------------------------------------------------------------ */

/* 3.1.1: the header lies 8-aligned and completely within the first 32768 bytes. */
#define MB2_HEADER_MAGIC        0xE85250D6u
#define MB2_SEARCH              32768u
#define MB2_ALIGN               8u
#define MB2_ARCH_I386           0u
#define MB2_ARCH_MIPS32         4u
/* 3.3: EAX at entry. */
#define MB2_BOOTLOADER_MAGIC    0x36D76289u

/* 3.1.2 header fixed part. */
struct mb2_header {
    uint32_t magic;          /* 0 */
    uint32_t architecture;   /* 4 */
    uint32_t header_length;  /* 8: whole header including tags */
    uint32_t checksum;       /* 12: magic + architecture + header_length + checksum == 0 */
};

/* 3.1.3 header tags: 8-aligned, `size` excludes the padding; the list ends with type 0 size 8. */
struct mb2_header_tag {
    uint16_t type;
    uint16_t flags;          /* bit 0: optional (a loader may ignore the tag) */
    uint32_t size;
};
#define MB2_TAG_OPTIONAL        1u

#define MB2_HEADER_TAG_END                  0u
#define MB2_HEADER_TAG_INFORMATION_REQUEST  1u   /* u32 mbi_tag_types[] */
#define MB2_HEADER_TAG_ADDRESS              2u   /* header/load/load_end/bss_end addresses */
#define MB2_HEADER_TAG_ENTRY_ADDRESS        3u   /* u32 entry_addr */
#define MB2_HEADER_TAG_CONSOLE_FLAGS        4u
#define MB2_HEADER_TAG_FRAMEBUFFER          5u
#define MB2_HEADER_TAG_MODULE_ALIGN         6u
#define MB2_HEADER_TAG_EFI_BS               7u
#define MB2_HEADER_TAG_ENTRY_ADDRESS_EFI32  8u
#define MB2_HEADER_TAG_ENTRY_ADDRESS_EFI64  9u
#define MB2_HEADER_TAG_RELOCATABLE          10u

/* 3.6 boot information: u32 total_size, u32 reserved (0), then 8-aligned tags. */
struct mb2_info_header {
    uint32_t total_size;
    uint32_t reserved;
};

struct mb2_tag {
    uint32_t type;
    uint32_t size;           /* bytes of this tag without the padding to 8 */
};

#define MB2_TAG_END                 0u
#define MB2_TAG_CMDLINE             1u   /* char string[] */
#define MB2_TAG_BOOT_LOADER_NAME    2u   /* char string[] */
#define MB2_TAG_MODULE              3u   /* u32 mod_start, mod_end; char string[] */
#define MB2_TAG_BASIC_MEMINFO       4u   /* u32 mem_lower, mem_upper (KiB) */
#define MB2_TAG_BOOTDEV             5u
#define MB2_TAG_MMAP                6u   /* u32 entry_size, entry_version; entries */
#define MB2_TAG_VBE                 7u
#define MB2_TAG_FRAMEBUFFER         8u
#define MB2_TAG_ELF_SECTIONS        9u
#define MB2_TAG_APM                 10u
#define MB2_TAG_ACPI_OLD            14u  /* copy of the RSDP, ACPI 1.0 form (20 bytes) */
#define MB2_TAG_ACPI_NEW            15u  /* copy of the RSDP, ACPI 2.0+ form (36 bytes) */
#define MB2_RSDP_V1_SIZE            20
#define MB2_RSDP_V2_SIZE            36

struct mb2_tag_string {          /* types 1 and 2 */
    uint32_t type, size;
    char string[];
};

struct mb2_tag_module {          /* type 3 */
    uint32_t type, size;
    uint32_t mod_start, mod_end;
    char string[];
};

struct mb2_tag_basic_meminfo {   /* type 4 */
    uint32_t type, size;
    uint32_t mem_lower, mem_upper;
};

struct mb2_mmap_entry {          /* 3.6.8: entry_size 24, entry_version 0 */
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};
#define MB2_MMAP_ENTRY_SIZE     24u

struct mb2_tag_mmap {            /* type 6 */
    uint32_t type, size;
    uint32_t entry_size, entry_version;
    struct mb2_mmap_entry entries[];
};

#ifndef __cplusplus
#define MB_STATIC_ASSERT _Static_assert
#else
#define MB_STATIC_ASSERT static_assert
#endif
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_header, entry_addr) == 28, "mb1_header layout");
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_info, mmap_addr) == 48, "mb1_info layout");
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_info, boot_loader_name) == 64, "mb1_info layout");
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_info, vbe_mode) == 80, "mb1_info layout");
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_info, framebuffer_addr) == 88, "mb1_info layout");
MB_STATIC_ASSERT(__builtin_offsetof(struct mb1_info, color_info) == 110, "mb1_info layout");
MB_STATIC_ASSERT(sizeof(struct mb1_module) == 16, "mb1_module layout");
MB_STATIC_ASSERT(sizeof(struct mb1_mmap_entry) == MB1_MMAP_ENTRY_SIZE, "mb1_mmap_entry layout");
MB_STATIC_ASSERT(sizeof(struct mb2_header) == 16, "mb2_header layout");
MB_STATIC_ASSERT(sizeof(struct mb2_mmap_entry) == MB2_MMAP_ENTRY_SIZE, "mb2_mmap_entry layout");
MB_STATIC_ASSERT(sizeof(struct mb2_tag_mmap) == 16, "mb2_tag_mmap layout");
MB_STATIC_ASSERT(sizeof(struct mb2_tag_module) == 16, "mb2_tag_module layout");
#undef MB_STATIC_ASSERT

#endif
