/* desc.h — building segment and gate descriptors (SDM Vol. 3 3.4.5, 5.8, 6.11, 6.14.1, 7.2.3).
 * Shared by 32- and 64-bit target programs. */
#ifndef TARGET_DESC_H
#define TARGET_DESC_H

#include <stdint.h>

/* Access byte: P | DPL | S | type. */
#define DA_P        0x80u
#define DA_DPL(n)   ((unsigned)(n) << 5)
#define DA_S        0x10u
#define DA_CODE_XR  0x0au    /* execute/read */
#define DA_CODE_X   0x08u    /* execute-only */
#define DA_DATA_RW  0x02u
#define DA_DATA_R   0x00u
#define DA_DATA_RW_DOWN 0x06u
#define DA_ACCESSED 0x01u
#define DA_TSS_AVAIL 0x09u   /* 32/64-bit available TSS (system) */
#define DA_INTGATE  0x0eu    /* 32/64-bit interrupt gate */
#define DA_TRAPGATE 0x0fu
/* Flags nibble: G | D/B | L | AVL. */
#define DF_G  0x8u
#define DF_DB 0x4u
#define DF_L  0x2u

static inline uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access, unsigned flags)
{
    return (uint64_t)(limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
           ((uint64_t)(access & 0xff) << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
           ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

/* 32-bit interrupt/trap gate (8 bytes). */
static inline uint64_t gate32(uint32_t offset, uint16_t sel, unsigned access)
{
    return (uint64_t)(offset & 0xffff) | ((uint64_t)sel << 16) | ((uint64_t)(access & 0xff) << 40) |
           ((uint64_t)(offset >> 16) << 48);
}

#endif
