/* mb2info.h — the root kernel's reader of the Multiboot2 boot information (Multiboot2 1.6 3.6):
 * the command line (tag 1), the modules (tag 3) and the memory map (tag 6). Pure C: the host unit
 * tests feed it byte arrays.
 *
 * Invariants: nothing outside [info, info + total_size) is read; a tag that does not fit, or a
 * total_size below 16 or above MB2_INFO_MAX, stops the walk with an error; strings are used only
 * if NUL-terminated inside their tag; at most MB2_MAX_MODULES modules and MB2_MAX_MMAP map
 * entries are kept (more are counted in `dropped`).
 */
#ifndef MB2INFO_H
#define MB2INFO_H

#include <stddef.h>
#include <stdint.h>

#define MB2_BOOT_MAGIC 0x36D76289u
#define MB2_MAX_MODULES 16
#define MB2_MAX_MMAP 64
#define MB2_INFO_MAX (1u << 20)

struct mb2_module { uint32_t start, end; const char *string; };
struct mb2_mmap { uint64_t base, length; uint32_t type; };

struct mb2_info {
    uint32_t total_size;
    const char *cmdline;            /* "" if none */
    uint32_t nmodules;
    struct mb2_module modules[MB2_MAX_MODULES];
    uint32_t nmmap;
    struct mb2_mmap mmap[MB2_MAX_MMAP];
    uint32_t dropped;
};

/* 0, or -1 with a message in err. */
int mb2_parse(const uint8_t *info, struct mb2_info *out, char *err, size_t errlen);

#endif
