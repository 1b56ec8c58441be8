/* ops_nop.c — instructions that do nothing architecturally: NOP in all its encodings (90, 66 90,
 * 0F 1F /0 and the reserved-NOP opcodes 0F 19..0F 1F with a memory operand, of every length and
 * prefix combination; Capstone gives them all X86_INS_NOP), ENDBR64/ENDBR32 (F3 0F 1E FA/FB, NOPs
 * without CET), and the prefetch hints (0F 18 /0-/3, 0F 0D /1), which never fault (SDM Vol. 2
 * PREFETCHh: "does not cause exceptions"). PAUSE is in sys_*. Also the #UD handler for the
 * encodings hvsim does not execute, and UD1 (Capstone's UD2B) and UD2 (UD0 is in sys_int.c).
 *
 * Invariant: a NOP's memory operand is never accessed (no fault, no TLB fill), as on hardware
 * (SDM Vol. 2 NOP: "the memory operand is not accessed"). A LOCK prefix makes them #UD.
 *
 * Capstone 4.0.2 does not decode the register forms of 0F 18..0F 1F (for example 0F 1F C0,
 * "nop eax"), which hardware executes as NOPs; the decoder turns them into #UD (docs/ISA.md).
 *
 * One NOP form is hvsim's annotation instruction (traces/annot_abi.h): 0F 1F /0 with the operand
 * [RAX + RAX*1 + 4D535648H] in 32- or 64-bit code. It is a NOP for the machine (no register,
 * flag or memory changes) that costs 0 cycles (class CLS_ANNOT) and reports its registers to the
 * trace recorder.
 */
#include "cpu/ops.h"
#include "cpu/cpu.h"
#include "traces/annot_abi.h"
#include "traces/tracer.h"

static void op_nop(struct cpu *c, const struct insn *i)
{
    (void)c;
    (void)i;
}

/* The annotation: kind = EAX, a0..a3 = RDI, RSI, RDX, RCX (traces/annot_abi.h). */
static void op_annot(struct cpu *c, const struct insn *i)
{
    (void)i;
    if (c->trace)
        tracer_annotation(c->trace, c, (uint32_t)c->gpr[R_RAX], c->gpr[R_RDI], c->gpr[R_RSI],
                          c->gpr[R_RDX], c->gpr[R_RCX]);
}

void op_ud(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_fault_noerr(c, VEC_UD);
}

static int sel_nop(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    /* 0F 1F 84 00 48 56 53 4D: nop dword [rax + rax*1 + 0x4D535648], no prefixes but REX */
    if (i->opc == 0x1f && i->modrm == 0x84 && i->base == R_RAX && i->index == R_RAX &&
        i->scale == 0 && (uint32_t)i->disp == HVSIM_ANNOT_MAGIC && i->len == 8 && i->osz == 4 &&
        !(i->pfx & (PFX_OPSIZE | PFX_ADSIZE | PFX_SEGOVR | PFX_REP | PFX_REPNE))) {
        i->fn = op_annot;
        i->cls = CLS_ANNOT;
    }
    return 0;
}

void ops_nop_register(void)
{
    op_reg(X86_INS_NOP, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_ENDBR64, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_ENDBR32, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_PREFETCHNTA, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_PREFETCHT0, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_PREFETCHT1, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_PREFETCHT2, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_PREFETCHW, op_nop, sel_nop, CLS_NOP);
    op_reg(X86_INS_UD2, op_ud, NULL, CLS_OTHER);
    op_reg(X86_INS_UD2B, op_ud, NULL, CLS_OTHER);
}
