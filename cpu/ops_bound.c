/* ops_bound.c — BOUND (SDM Vol. 2 "BOUND—Check Array Index Against Bounds"): legacy and
 * compatibility modes only (62 /r is EVEX in 64-bit mode, and Capstone decodes it so there).
 *
 * The memory operand holds two signed bounds of the operand size, lower then upper; an index
 * outside [lower, upper] raises #BR (vector 5, no error code, a fault). A register second
 * operand is #UD. Nothing is written, so there is no state to commit.
 */
#include "cpu/ops.h"
#include "cpu/cpu.h"
#include "cpu/mem.h"

static void op_bound(struct cpu *c, const struct insn *i)
{
    unsigned sz = i->op[0].size;
    uint64_t ea = insn_ea(c, i);
    int64_t index = sext_sz(reg_read(c, i->op[0].reg, sz), sz);
    int64_t lower = sext_sz(vread(c, i->seg, ea, sz), sz);
    int64_t upper = sext_sz(vread(c, i->seg, trunc_sz(ea + sz, i->asz), sz), sz);
    if (index < lower || index > upper)
        cpu_fault_noerr(c, VEC_BR);
}

static int bound_select(struct insn *i)
{
    if (i->nops != 2 || i->op[0].kind != OPK_REG || i->op[1].kind != OPK_MEM)
        return -1;
    if (i->op[0].size != 2 && i->op[0].size != 4)
        return -1;
    return 0;
}

void ops_bound_register(void)
{
    op_reg(X86_INS_BOUND, op_bound, bound_select, CLS_ALU);
}
