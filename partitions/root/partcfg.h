/* partcfg.h — the partition configuration: the text file the root partition reads from a boot
 * module and that says which child partitions to create (docs/HYPERVISOR.md "Partition
 * configuration").
 *
 * Pure C (stdint/stddef/stdbool only, no runtime): compiled into the root kernel and into the
 * host unit tests and fuzz target.
 *
 * Invariants:
 *  - partcfg_parse reads only buf[0, len): the text need not be NUL-terminated, a NUL byte in it
 *    is an error, and nothing is read past len.
 *  - On success every partition has a unique valid name, an image, a memory size that is a
 *    multiple of 4 KiB in [PARTCFG_MEM_MIN, PARTCFG_MEM_MAX], 1..PARTCFG_MAX_VPS VPs and a
 *    non-empty workload; every string is NUL-terminated inside its array.
 *  - On failure `err` holds exactly one message "partcfg:LINE: expected ..." (LINE counts from
 *    1) and the configuration's count is 0.
 */
#ifndef PARTCFG_H
#define PARTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PARTCFG_MAX_PARTITIONS 8
#define PARTCFG_NAME_MAX 23              /* characters (hv/part/part.h: 24 bytes with the NUL) */
#define PARTCFG_IMAGE_MAX 63             /* characters */
#define PARTCFG_LINE_MAX 255             /* characters, without the line end */
#define PARTCFG_MAX_VPS 16
#define PARTCFG_MEM_MIN (1ull << 20)     /* 1 MiB */
#define PARTCFG_MEM_MAX (1ull << 30)     /* 1 GiB */
#define PARTCFG_ERR_MAX 128              /* an error message fits in this many bytes */

/* Workload items (bits of partcfg_part.workload). */
#define PARTCFG_WL_COMPUTE 1u
#define PARTCFG_WL_TIMER   2u
#define PARTCFG_WL_MESSAGE 4u
#define PARTCFG_WL_HOSTILE 8u          /* the hostile child's attempts (docs/HYPERVISOR.md) */
#define PARTCFG_WL_SMP     16u         /* every VP sums a share of the primes (docs/HYPERVISOR.md) */
#define PARTCFG_WL_XSTATE  32u         /* XCR0 and syscall MSRs kept across slices (wl_xstate.c) */
#define PARTCFG_WL_APIC    64u         /* the virtual local APIC checked from a child (wl_apic.c) */
#define PARTCFG_WL_MMIO    128u        /* the device page the root emulates (wl_mmio.c) */
#define PARTCFG_WL_CPUID   256u        /* the root intercepts its brand-string CPUID (wl_cpuid.c) */
#define PARTCFG_WL_INT3    512u        /* the root intercepts its #BP and skips INT3 (wl_int3.c) */

struct partcfg_part {
    char name[PARTCFG_NAME_MAX + 1];
    char image[PARTCFG_IMAGE_MAX + 1];
    uint64_t memory;                     /* bytes */
    uint32_t vps;
    uint32_t workload;                   /* PARTCFG_WL_* bits */
    uint32_t line;                       /* line of its [partition NAME] header */
};

struct partcfg {
    uint32_t n;
    struct partcfg_part part[PARTCFG_MAX_PARTITIONS];
};

/* Parse the text buf[0, len) into cfg. 0 on success; -1 with the message in err (truncated to
 * errlen bytes, always NUL-terminated when errlen > 0). */
int partcfg_parse(const char *buf, size_t len, struct partcfg *cfg, char *err, size_t errlen);

/* Does a boot module with this (NUL-terminated) string carry file `name`? True when one of the
 * string's space-separated words is `name` or ends with "/name". */
bool partcfg_module_matches(const char *string, const char *name);

/* The workload bits as the text of the child's command line ("compute,timer"): writes at most
 * size bytes including the NUL; returns the length. */
size_t partcfg_workload_text(uint32_t workload, char *out, size_t size);

#endif
