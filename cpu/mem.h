/* mem.h — segmented memory access and operand access for instruction handlers.
 *
 * seg_lin() applies segmentation (SDM Vol. 3 3.4, 5.3): in 64-bit mode only the FS/GS bases
 * and the canonical check apply; elsewhere the base, the limit (expand-up and expand-down) and
 * the type checks (read of execute-only, write of read-only or code) are enforced, raising
 * #GP(0) or, for SS, #SS(0).
 *
 * Invariant: handlers read and write guest memory only through these functions (or mmu_* with a
 * linear address they computed through seg_lin), so every access is checked and counted.
 */
#ifndef HVSIM_MEM_H
#define HVSIM_MEM_H

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "mmu/mmu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Linear address of seg:off for an access of `size` bytes (acc = ACC_READ/WRITE/FETCH). */
uint64_t seg_lin_slow(struct cpu *c, int seg, uint64_t off, unsigned size, unsigned acc);

static inline __attribute__((always_inline)) uint64_t seg_lin(struct cpu *c, int seg, uint64_t off, unsigned size, unsigned acc)
{
    if (__builtin_expect(c->mode == MODE_LONG64, 1))
        return seg >= SEG_FS ? c->seg[seg].base + off : off;   /* canonical check in mmu */
    return seg_lin_slow(c, seg, off, size, acc);
}

static inline __attribute__((always_inline)) unsigned seg_acc(int seg, unsigned acc)
{
    return seg == SEG_SS ? (acc | ACC_STACK) : acc;
}

static inline __attribute__((always_inline)) uint64_t vread(struct cpu *c, int seg, uint64_t off, unsigned size)
{
    return mmu_read(c, seg_lin(c, seg, off, size, ACC_READ), size, seg_acc(seg, ACC_READ));
}

static inline __attribute__((always_inline)) void vwrite(struct cpu *c, int seg, uint64_t off, uint64_t v, unsigned size)
{
    mmu_write(c, seg_lin(c, seg, off, size, ACC_WRITE), v, size, seg_acc(seg, ACC_WRITE));
}

static inline void vcheck(struct cpu *c, int seg, uint64_t off, unsigned size, unsigned acc)
{
    mmu_check(c, seg_lin(c, seg, off, size, acc), size, seg_acc(seg, acc));
}

/* Truncate to an operand size / sign-extend from one. */
static inline uint64_t trunc_sz(uint64_t v, unsigned size)
{
    return size >= 8 ? v : v & ((1ull << (size * 8)) - 1);
}
static inline int64_t sext_sz(uint64_t v, unsigned size)
{
    switch (size) {
    case 1: return (int8_t)v;
    case 2: return (int16_t)v;
    case 4: return (int32_t)v;
    default: return (int64_t)v;
    }
}

/* General-register access with x86 width rules: 32-bit writes zero the upper half, 8/16-bit
 * writes preserve the rest (SDM Vol. 1 3.4.1.1). */
static inline uint64_t reg_read(const struct cpu *c, unsigned r, unsigned size)
{
    return trunc_sz(c->gpr[r], size);
}
static inline void reg_write(struct cpu *c, unsigned r, uint64_t v, unsigned size)
{
    switch (size) {
    case 1: c->gpr[r] = (c->gpr[r] & ~0xffull) | (v & 0xff); break;
    case 2: c->gpr[r] = (c->gpr[r] & ~0xffffull) | (v & 0xffff); break;
    case 4: c->gpr[r] = (uint32_t)v; break;
    default: c->gpr[r] = v; break;
    }
}

/* Effective address of the memory operand (SDM Vol. 1 3.7.5), truncated to the address size.
 * RIP-relative uses the next instruction's RIP (c->rip while the handler runs). */
static inline uint64_t insn_ea(const struct cpu *c, const struct insn *i)
{
    uint64_t ea = (uint64_t)i->disp;
    if (i->base != MEM_NOREG)
        ea += i->base == MEM_RIP ? c->rip : c->gpr[i->base];
    if (i->index != MEM_NOREG)
        ea += c->gpr[i->index] << i->scale;
    return i->asz == 8 ? ea : trunc_sz(ea, i->asz);
}

/* Operand n of i: read / write, any kind (register, high-byte register, memory, immediate). */
uint64_t opnd_read(struct cpu *c, const struct insn *i, int n);
void opnd_write(struct cpu *c, const struct insn *i, int n, uint64_t v);
/* Check that operand n (if memory) can be written, before state is committed. */
void opnd_check_write(struct cpu *c, const struct insn *i, int n);

#ifdef __cplusplus
}
#endif
#endif
