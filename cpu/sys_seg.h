/* sys_seg.h — segment descriptors and segment-register loads (SDM Vol. 3 chapters 3 and 5), the
 * interface of seg.c used by the far-transfer, descriptor-table and event-delivery code.
 *
 * Invariants:
 *  - A raw descriptor (struct desc) is parsed only through the desc_* accessors; cached segments
 *    use the VMCS access-rights layout of cpu.h (struct segment).
 *  - seg_load_* functions check everything first and commit last: when they fault, no register
 *    has changed (the accessed bit in memory may have been set, as on hardware).
 *  - CPL is CS.sel & 3 in protected modes (cpu_update_mode), so every CS load sets RPL = CPL.
 */
#ifndef HVSIM_SYS_SEG_H
#define HVSIM_SYS_SEG_H

#include "cpu/sys_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An 8-byte descriptor; `hi2` is the upper half of a 16-byte system descriptor in IA-32e mode
 * (base[63:32] in hi2, the zero-type dword in hi3). */
struct desc {
    uint32_t lo, hi;
    uint32_t hi2, hi3;
};

/* Descriptor types (SDM Vol. 3 Table 3-2). System types use the low 4 bits with S = 0. */
enum {
    DT_TSS16_AVAIL = 1, DT_LDT = 2, DT_TSS16_BUSY = 3, DT_CALLGATE16 = 4, DT_TASKGATE = 5,
    DT_INTGATE16 = 6, DT_TRAPGATE16 = 7, DT_TSS_AVAIL = 9, DT_TSS_BUSY = 11, DT_CALLGATE = 12,
    DT_INTGATE = 14, DT_TRAPGATE = 15,
};
/* Code/data type bits (S = 1). */
#define TY_ACCESSED 1u
#define TY_W 2u          /* data: writable */
#define TY_R 2u          /* code: readable */
#define TY_E 4u          /* data: expand-down */
#define TY_C 4u          /* code: conforming */
#define TY_CODE 8u

static inline uint32_t desc_ar(const struct desc *d)
{
    return ((d->hi >> 8) & 0xffu) | ((d->hi >> 8) & 0xf000u);
}
static inline uint64_t desc_base(const struct desc *d)
{
    return (d->lo >> 16) | ((uint64_t)(d->hi & 0xff) << 16) | (d->hi & 0xff000000u);
}
static inline uint32_t desc_limit(const struct desc *d)
{
    uint32_t l = (d->lo & 0xffffu) | (d->hi & 0xf0000u);
    return (d->hi & (1u << 23)) ? (l << 12) | 0xfffu : l;
}
static inline unsigned desc_dpl(const struct desc *d) { return (d->hi >> 13) & 3; }
static inline bool desc_present(const struct desc *d) { return d->hi & (1u << 15); }
static inline bool desc_s(const struct desc *d) { return d->hi & (1u << 12); }
static inline unsigned desc_type(const struct desc *d) { return (d->hi >> 8) & 0xf; }
static inline bool desc_is_code(const struct desc *d) { return desc_s(d) && (desc_type(d) & TY_CODE); }
static inline bool desc_is_data(const struct desc *d) { return desc_s(d) && !(desc_type(d) & TY_CODE); }
/* Gate fields (SDM Vol. 3 5.8.3, 6.11, 6.14.1). */
static inline uint16_t gate_sel(const struct desc *d) { return (uint16_t)(d->lo >> 16); }
static inline uint64_t gate_offset(const struct desc *d)
{
    return (d->lo & 0xffffu) | (d->hi & 0xffff0000u) | (uint64_t)d->hi2 << 32;
}
static inline unsigned gate_params(const struct desc *d) { return d->hi & 0x1f; }
static inline unsigned gate_ist(const struct desc *d) { return d->hi & 7; }

/* Segment cache from a descriptor. */
static inline void seg_from_desc(struct segment *s, uint16_t sel, const struct desc *d)
{
    s->sel = sel;
    s->ar = desc_ar(d);
    s->limit = desc_limit(d);
    s->base = desc_base(d);
}

/* Read the descriptor for `sel` from the GDT or LDT. If the selector's index lies outside the
 * table (or TI=1 with no LDT), raises `vec` with error code sel_err(sel, ext). `wide` reads the
 * 16-byte form (IA-32e system descriptors) and checks the whole 16 bytes against the limit. */
void desc_read(struct cpu *c, uint16_t sel, struct desc *d, int vec, unsigned ext, bool wide);
/* Like desc_read but reports "outside the table" by returning false instead of faulting (LAR,
 * LSL, VERR, VERW). */
bool desc_read_nofault(struct cpu *c, uint16_t sel, struct desc *d);
/* Linear address of the descriptor of `sel` (after desc_read succeeded). */
uint64_t desc_addr(const struct cpu *c, uint16_t sel);
/* Set the accessed bit of a code/data descriptor in memory if it is clear (SDM Vol. 3 3.4.5.1),
 * and in *d. */
void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d);

/* MOV/POP/LxS to DS, ES, FS, GS or SS in the current mode, with every check of the MOV page of
 * SDM Vol. 2 (null selectors, RPL/DPL/CPL, type, presence). */
void seg_load_data(struct cpu *c, int seg, uint16_t sel);

/* Check a selector for a new SS at privilege `cpl` (stack switch, outer return): raises
 * `vec` (#TS for stack switches, #GP for returns) with sel_err(sel, ext) or #SS(sel) when not
 * present. Fills *d. `allow_null64`: a null selector is accepted (64-bit mode, CPL < 3). */
bool seg_check_ss(struct cpu *c, uint16_t sel, unsigned cpl, struct desc *d, int vec, unsigned ext,
                  bool allow_null64);

/* Commit CS = sel (RPL forced to `cpl`) with cached descriptor *d, set CPL and the mode, and
 * end the block. `rip` is the new instruction pointer. */
void seg_commit_cs(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl, uint64_t rip);
/* Commit SS from a checked descriptor (or a null selector in 64-bit mode when d is NULL). */
void seg_commit_ss(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl);
/* After a return to an outer privilege level: DS/ES/FS/GS that the new CPL may not use are
 * loaded with null (SDM Vol. 2 RET/IRET: "FOR each of segment register (ES, FS, GS, and DS)"). */
void seg_null_inaccessible(struct cpu *c);

/* Cached segment for a real/virtual-8086-mode selector load. */
void seg_load_real(struct cpu *c, int seg, uint16_t sel);

/* Is `off` .. off+size-1 inside segment s (limit, expand-down)? */
bool seg_in_limit(const struct segment *s, uint64_t off, unsigned size);

/* A stack frame being written on a stack that may not be loaded yet (event delivery, call
 * gates): the SS cache to check against, the stack pointer, its width, and the error code of
 * the #SS raised when the frame does not fit. */
struct frame {
    struct segment ss;
    uint64_t sp;
    unsigned width;     /* 2, 4 or 8: stack-address size */
    uint32_t ss_err;    /* #SS error code */
    unsigned acc;       /* extra ACC_* bits (ACC_IMPLICIT_SUPER for a CPL 3 -> 0 switch) */
};
void frame_push(struct cpu *c, struct frame *f, uint64_t v, unsigned size);

/* The stack pointer and SS for privilege level `dpl` from the current TSS (SDM Vol. 3 7.2.1,
 * 8.7 for the 64-bit TSS; ist != 0 selects IST1-7). Raises #TS(TR.sel | ext) if the field lies
 * outside the TSS limit. */
void tss_stack(struct cpu *c, unsigned dpl, unsigned ist, unsigned ext, uint16_t *ss, uint64_t *sp);

#ifdef __cplusplus
}
#endif
#endif
