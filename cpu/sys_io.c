/* sys_io.c — port I/O: IN, OUT, INS, OUTS with REP (SDM Vol. 2 pages of each) and the
 * protected-mode I/O permission checks: IOPL, then the I/O permission bit map of the TSS
 * (SDM Vol. 1 19.5.1-19.5.2). Ports go to bus_in/bus_out (sim/bus.h).
 *
 * Invariants: the permission check and every memory check happen before the port is touched,
 * so a faulting INS/OUTS has no device side effect for the faulting element; REP forms update
 * rCX/rSI/rDI after every element, so a fault leaves a restartable state.
 */
#include "cpu/ops.h"
#include "cpu/sys_seg.h"
#include "cpu/vmx_intercept.h"
#include "sim/bus.h"

/* Elements of a REP INS/OUTS done per execution before the instruction is restarted, so one
 * instruction cannot hold the LP indefinitely (as if an interrupt window opened). */
#define IO_REP_CHUNK 65536u

/* SDM Vol. 1 19.5: CPL <= IOPL (and not virtual-8086 mode) allows every port; otherwise every
 * bit for port..port+size-1 in the TSS bitmap must be 0. The bitmap offset is the word at TSS
 * offset 66H; the two bytes read must lie within the TSS limit. */
static void io_check(struct cpu *c, uint16_t port, unsigned size)
{
    if (c->mode == MODE_REAL)
        return;
    unsigned iopl = (unsigned)(c->rflags >> 12) & 3;
    if (c->mode != MODE_VM86 && c->cpl <= iopl)
        return;
    const struct segment *tr = &c->tr;
    unsigned ty = AR_TYPE(tr->ar);
    if ((tr->ar & AR_UNUSABLE) || (ty != DT_TSS_AVAIL && ty != DT_TSS_BUSY) || tr->limit < 0x67)
        cpu_fault(c, VEC_GP, 0);
    unsigned acc = ACC_READ | ACC_IMPLICIT_SUPER;
    uint64_t base = tr->base;
    uint32_t off = (uint32_t)mmu_read(c, sys_long(c) ? base + 0x66 : (uint32_t)(base + 0x66), 2,
                                      acc);
    uint32_t byte = off + port / 8u;
    if ((uint64_t)byte + 1 > tr->limit)
        cpu_fault(c, VEC_GP, 0);
    uint64_t lin = base + byte;
    uint32_t bits = (uint32_t)mmu_read(c, sys_long(c) ? lin : (uint32_t)lin, 2, acc);
    if (bits & (((1u << size) - 1) << (port & 7)))
        cpu_fault(c, VEC_GP, 0);
}

static uint16_t port_of(const struct cpu *c, const struct insn *i, int n)
{
    return i->op[n].kind == OPK_IMM ? (uint8_t)i->imm : (uint16_t)c->gpr[R_RDX];
}

static void op_in(struct cpu *c, const struct insn *i)
{
    unsigned size = i->op[0].size;
    uint16_t port = port_of(c, i, 1);
    io_check(c, port, size);
    if (c->vmx.nonroot)         /* I/O exiting after the permission checks (SDM Vol. 3 25.1.1) */
        vmx_icpt_io(c, i, port, size, true, i->op[1].kind == OPK_IMM);
    reg_write(c, R_RAX, bus_in(c->bus, port, size), size);
}

static void op_out(struct cpu *c, const struct insn *i)
{
    unsigned size = i->op[1].size;
    uint16_t port = port_of(c, i, 0);
    io_check(c, port, size);
    if (c->vmx.nonroot)         /* I/O exiting after the permission checks (SDM Vol. 3 25.1.1) */
        vmx_icpt_io(c, i, port, size, false, i->op[0].kind == OPK_IMM);
    bus_out(c->bus, port, (uint32_t)trunc_sz(c->gpr[R_RAX], size), size);
}

/* INS/OUTS, with or without REP. i->aux = element size. */
static void op_string_io(struct cpu *c, const struct insn *i)
{
    bool in = i->id == X86_INS_INSB || i->id == X86_INS_INSW || i->id == X86_INS_INSD;
    bool rep = i->pfx & (PFX_REP | PFX_REPNE);
    unsigned size = i->aux, asz = i->asz;
    uint16_t port = (uint16_t)c->gpr[R_RDX];
    int reg = in ? R_RDI : R_RSI, seg = in ? SEG_ES : i->seg;
    int64_t step = (c->rflags & RF_DF) ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? trunc_sz(c->gpr[R_RCX], asz) : 1;
    if (count == 0)
        return;
    io_check(c, port, size);
    if (c->vmx.nonroot)         /* before the memory checks (SDM Vol. 3 25.1.1) */
        vmx_icpt_string_io(c, i, port, size, in, rep);
    for (unsigned n = 0; count; n++) {
        if (n == IO_REP_CHUNK) {
            c->rip = c->insn_start;     /* continue with the rest on the next execution */
            c->block_end = true;
            return;
        }
        uint64_t off = trunc_sz(c->gpr[reg], asz);
        if (in) {
            vcheck(c, seg, off, size, ACC_WRITE);
            vwrite(c, seg, off, bus_in(c->bus, port, size), size);
        } else {
            bus_out(c->bus, port, (uint32_t)vread(c, seg, off, size), size);
        }
        reg_write(c, reg, off + (uint64_t)step, asz);
        count--;
        if (rep) {
            reg_write(c, R_RCX, count, asz);
            c->ctr.cycles += c->model->string_elem;
        }
    }
}

static int sel_io(struct insn *i)
{
    return (i->pfx & PFX_LOCK) || i->nops != 2 ? -1 : 0;
}

static int sel_string_io(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    switch (i->id) {
    case X86_INS_INSB: case X86_INS_OUTSB: i->aux = 1; break;
    case X86_INS_INSW: case X86_INS_OUTSW: i->aux = 2; break;
    default: i->aux = 4; break;
    }
    return 0;
}

void sys_io_register(void)
{
    op_reg(X86_INS_IN, op_in, sel_io, CLS_IO);
    op_reg(X86_INS_OUT, op_out, sel_io, CLS_IO);
    op_reg(X86_INS_INSB, op_string_io, sel_string_io, CLS_IO);
    op_reg(X86_INS_INSW, op_string_io, sel_string_io, CLS_IO);
    op_reg(X86_INS_INSD, op_string_io, sel_string_io, CLS_IO);
    op_reg(X86_INS_OUTSB, op_string_io, sel_string_io, CLS_IO);
    op_reg(X86_INS_OUTSW, op_string_io, sel_string_io, CLS_IO);
    op_reg(X86_INS_OUTSD, op_string_io, sel_string_io, CLS_IO);
}
