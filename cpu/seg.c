/* seg.c — segmentation: the slow path of seg_lin() (limit and type checks outside 64-bit mode),
 * descriptor reads from the GDT/LDT, segment-register loads with the checks of SDM Vol. 3
 * 5.4-5.6 and the MOV/POP/LDS pages of Vol. 2, new-stack frames and TSS stack pointers.
 *
 * Invariants: see sys_seg.h. Real-mode loads keep the cached limit and attributes as Intel
 * processors do ("unreal" mode works); virtual-8086 loads set the architectural 64 KiB, DPL 3
 * data segment. A null selector in DS/ES/FS/GS makes the register unusable and clears base and
 * limit (Intel behaviour; AMD keeps the base).
 */
#include "cpu/sys_seg.h"

#include <stdio.h>
#include <string.h>

void sys_unsupported(struct cpu *c, const char *what)
{
    snprintf(c->stop_msg, sizeof c->stop_msg, "unsupported: %s at RIP=%#llx", what,
             (unsigned long long)c->insn_start);
    c->delivering = -1;
    cpu_abort(c, STOP_SHUTDOWN_UNSUPPORTED);   /* RIP stays at the instruction, not retired */
}

bool seg_in_limit(const struct segment *s, uint64_t off, unsigned size)
{
    uint64_t last = off + size - 1;
    if (AR_TYPE(s->ar) & TY_E && !(AR_TYPE(s->ar) & TY_CODE) && (s->ar & AR_S)) {
        /* expand-down data (SDM Vol. 3 3.4.5.1): valid offsets are limit+1 .. 0xFFFF/0xFFFFFFFF */
        uint64_t upper = (s->ar & AR_DB) ? 0xffffffffull : 0xffffull;
        return off > s->limit && last <= upper;
    }
    return last <= s->limit;
}

/* SDM Vol. 3 5.3 (limit checking) and 5.4 (type checking); Vol. 2 lists #GP(0) for DS/ES/FS/GS
 * and #SS(0) for SS. Linear addresses outside 64-bit mode are 32 bits wide. */
uint64_t seg_lin_slow(struct cpu *c, int seg, uint64_t off, unsigned size, unsigned acc)
{
    const struct segment *s = &c->seg[seg];
    if (c->mode == MODE_LONG64)
        return seg >= SEG_FS ? s->base + off : off;
    int vec = seg == SEG_SS ? VEC_SS : VEC_GP;
    if (sys_prot(c)) {
        if (s->ar & AR_UNUSABLE)
            cpu_fault(c, vec, 0);
        unsigned ty = AR_TYPE(s->ar), kind = acc & ACC_KIND;
        if (kind == ACC_WRITE && (ty & TY_CODE || !(ty & TY_W)))
            cpu_fault(c, vec, 0);
        if (kind == ACC_READ && (ty & TY_CODE) && !(ty & TY_R))
            cpu_fault(c, vec, 0);
    }
    if (!seg_in_limit(s, off, size))
        cpu_fault(c, vec, 0);
    return (s->base + off) & 0xffffffffull;
}

uint64_t desc_addr(const struct cpu *c, uint16_t sel)
{
    uint64_t base = (sel & 4) ? c->ldtr.base : c->gdtr.base;
    uint64_t lin = base + (sel & ~7u);
    return sys_long(c) ? lin : (lin & 0xffffffffull);
}

/* Table limit check; false if the descriptor (8 or 16 bytes) is not entirely inside. */
static bool desc_in_table(const struct cpu *c, uint16_t sel, bool wide)
{
    uint32_t limit;
    if (sel & 4) {
        if ((c->ldtr.sel & 0xfffc) == 0 || (c->ldtr.ar & AR_UNUSABLE))
            return false;
        limit = c->ldtr.limit;
    } else {
        limit = c->gdtr.limit;
    }
    return (uint32_t)(sel & ~7u) + (wide ? 15u : 7u) <= limit;
}

static void desc_fetch(struct cpu *c, uint16_t sel, struct desc *d, bool wide)
{
    uint64_t lin = desc_addr(c, sel);
    uint64_t q = mmu_read(c, lin, 8, ACC_READ | ACC_IMPLICIT_SUPER);
    d->lo = (uint32_t)q;
    d->hi = (uint32_t)(q >> 32);
    d->hi2 = d->hi3 = 0;
    if (wide) {
        q = mmu_read(c, lin + 8, 8, ACC_READ | ACC_IMPLICIT_SUPER);
        d->hi2 = (uint32_t)q;
        d->hi3 = (uint32_t)(q >> 32);
    }
}

void desc_read(struct cpu *c, uint16_t sel, struct desc *d, int vec, unsigned ext, bool wide)
{
    if (!desc_in_table(c, sel, wide))
        cpu_fault(c, vec, sel_err(sel, ext));
    desc_fetch(c, sel, d, wide);
}

bool desc_read_nofault(struct cpu *c, uint16_t sel, struct desc *d)
{
    if (!desc_in_table(c, sel, false))
        return false;
    desc_fetch(c, sel, d, false);
    return true;
}

void desc_set_accessed(struct cpu *c, uint16_t sel, struct desc *d)
{
    if (!desc_s(d) || (d->hi & (TY_ACCESSED << 8)))
        return;
    d->hi |= TY_ACCESSED << 8;
    mmu_write(c, desc_addr(c, sel) + 5, (d->hi >> 8) & 0xff, 1, ACC_WRITE | ACC_IMPLICIT_SUPER);
}

void seg_load_real(struct cpu *c, int seg, uint16_t sel)
{
    struct segment *s = &c->seg[seg];
    s->sel = sel;
    s->base = (uint64_t)sel << 4;
    if (c->mode == MODE_VM86) {
        /* SDM Vol. 3 20.1.1: 64 KiB limit, DPL 3, present read/write (CS: execute/read) */
        s->limit = 0xffff;
        s->ar = seg == SEG_CS ? 0xfb : 0xf3;
    } else {
        /* real mode: limit and attributes stay cached; the register becomes usable at DPL 0 */
        s->ar = (s->ar & ~(AR_UNUSABLE | (3u << 5))) | AR_P | AR_S;
    }
}

void seg_commit_ss(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl)
{
    struct segment *s = &c->seg[SEG_SS];
    if (d) {
        seg_from_desc(s, sel, d);
    } else {
        /* null SS in 64-bit mode: unusable, DPL = CPL (SDM Vol. 3 5.4.1.1, 26.3.1.2 for the DPL) */
        s->sel = sel;
        s->base = 0;
        s->limit = 0;
        s->ar = AR_UNUSABLE | AR_S | 3u | (cpl & 3) << 5 | AR_DB;
    }
    cpu_update_mode(c);
}

void seg_commit_cs(struct cpu *c, uint16_t sel, const struct desc *d, unsigned cpl, uint64_t rip)
{
    seg_from_desc(&c->seg[SEG_CS], (uint16_t)((sel & ~3u) | cpl), d);
    c->cpl = (uint8_t)cpl;
    c->rip = rip;
    cpu_update_mode(c);
    c->block_end = true;
}

bool seg_check_ss(struct cpu *c, uint16_t sel, unsigned cpl, struct desc *d, int vec, unsigned ext,
                  bool allow_null64)
{
    if ((sel & 0xfffc) == 0) {
        if (allow_null64)
            return false;
        cpu_fault(c, vec, ext);
    }
    desc_read(c, sel, d, vec, ext, false);
    if ((sel & 3u) != cpl || desc_dpl(d) != cpl || !desc_is_data(d) || !(desc_type(d) & TY_W))
        cpu_fault(c, vec, sel_err(sel, ext));
    if (!desc_present(d))
        cpu_fault(c, VEC_SS, sel_err(sel, ext));
    return true;
}

/* SDM Vol. 2 MOV (segment-register forms), POP, LDS/LES/LFS/LGS/LSS: protected-mode checks. */
void seg_load_data(struct cpu *c, int seg, uint16_t sel)
{
    if (!sys_prot(c)) {
        seg_load_real(c, seg, sel);
        if (seg == SEG_SS)
            cpu_update_mode(c);
        return;
    }
    unsigned rpl = sel & 3u, cpl = c->cpl;
    struct desc d;
    if (seg == SEG_SS) {
        /* 64-bit mode may load a null SS at CPL < 3 with RPL = CPL (SDM Vol. 2 MOV, 64-bit mode) */
        bool null64 = c->mode == MODE_LONG64 && cpl != 3 && rpl == cpl;
        if ((sel & 0xfffc) == 0 && !null64)
            cpu_fault(c, VEC_GP, 0);
        if (!seg_check_ss(c, sel, cpl, &d, VEC_GP, 0, null64)) {
            seg_commit_ss(c, sel, NULL, cpl);
            return;
        }
        desc_set_accessed(c, sel, &d);
        seg_commit_ss(c, sel, &d, cpl);
        return;
    }
    struct segment *s = &c->seg[seg];
    if ((sel & 0xfffc) == 0) {
        s->sel = sel;
        s->base = 0;
        s->limit = 0;
        s->ar = AR_UNUSABLE;
        return;
    }
    desc_read(c, sel, &d, VEC_GP, 0, false);
    unsigned ty = desc_type(&d), dpl = desc_dpl(&d);
    if (!desc_s(&d) || ((ty & TY_CODE) && !(ty & TY_R)))
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    if ((!(ty & TY_CODE) || !(ty & TY_C)) && (rpl > dpl || cpl > dpl))
        cpu_fault(c, VEC_GP, sel_err(sel, 0));
    if (!desc_present(&d))
        cpu_fault(c, VEC_NP, sel_err(sel, 0));
    desc_set_accessed(c, sel, &d);
    seg_from_desc(s, sel, &d);
}

void seg_null_inaccessible(struct cpu *c)
{
    static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
    for (unsigned k = 0; k < 4; k++) {
        struct segment *s = &c->seg[segs[k]];
        if (s->ar & AR_UNUSABLE)
            continue;
        unsigned ty = AR_TYPE(s->ar);
        bool data_or_nc = !(ty & TY_CODE) || !(ty & TY_C);
        if (data_or_nc && AR_DPL(s->ar) < c->cpl) {
            s->sel = 0;
            s->ar = AR_UNUSABLE;
            if (segs[k] < SEG_FS || c->mode != MODE_LONG64) {
                s->base = 0;
                s->limit = 0;
            }
        }
    }
}

void frame_push(struct cpu *c, struct frame *f, uint64_t v, unsigned size)
{
    uint64_t mask = f->width == 8 ? ~0ull : f->width == 4 ? 0xffffffffull : 0xffffull;
    uint64_t sp = (f->sp - size) & mask, lin;
    if (f->width == 8) {
        lin = sp;
        if (!sys_canonical(c, lin) || !sys_canonical(c, lin + size - 1))
            cpu_fault(c, VEC_SS, f->ss_err);
    } else {
        if (!seg_in_limit(&f->ss, sp, size))
            cpu_fault(c, VEC_SS, f->ss_err);
        lin = (f->ss.base + sp) & 0xffffffffull;
    }
    mmu_write(c, lin, v, size, ACC_WRITE | ACC_STACK | f->acc);
    f->sp = sp;
}

void tss_stack(struct cpu *c, unsigned dpl, unsigned ist, unsigned ext, uint16_t *ss, uint64_t *sp)
{
    const struct segment *tr = &c->tr;
    unsigned ty = AR_TYPE(tr->ar);
    uint64_t base = tr->base;
    unsigned acc = ACC_READ | ACC_IMPLICIT_SUPER;
    if (c->msr.efer & EFER_LMA) {
        /* 64-bit TSS (SDM Vol. 3 8.7, Figure 8-11): RSPn at 4 + 8n, ISTn at 0x24 + 8(n-1) */
        uint32_t off = ist ? 0x24 + 8 * (ist - 1) : 4 + 8 * dpl;
        if (off + 7 > tr->limit)
            cpu_fault(c, VEC_TS, sel_err(tr->sel, ext));
        *sp = mmu_read(c, base + off, 8, acc);
        *ss = (uint16_t)dpl;   /* null selector with RPL = new CPL */
    } else if (ty == DT_TSS_AVAIL || ty == DT_TSS_BUSY) {
        /* 32-bit TSS (Figure 8-2): ESPn at 4 + 8n, SSn at 8 + 8n */
        uint32_t off = 4 + 8 * dpl;
        if (off + 5 > tr->limit)
            cpu_fault(c, VEC_TS, sel_err(tr->sel, ext));
        *sp = mmu_read(c, (base + off) & 0xffffffffull, 4, acc);
        *ss = (uint16_t)mmu_read(c, (base + off + 4) & 0xffffffffull, 2, acc);
    } else {
        /* 16-bit TSS (Figure 8-10): SPn at 2 + 4n, SSn at 4 + 4n */
        uint32_t off = 2 + 4 * dpl;
        if (off + 3 > tr->limit)
            cpu_fault(c, VEC_TS, sel_err(tr->sel, ext));
        *sp = mmu_read(c, (base + off) & 0xffffffffull, 2, acc);
        *ss = (uint16_t)mmu_read(c, (base + off + 2) & 0xffffffffull, 2, acc);
    }
}
