/* ops_nop.c — NOP in all its encodings (90, 0F 1F /0 of every length, PAUSE is in sys_*), and
 * the #UD handler for encodings hvsim does not execute. */
#include "cpu/ops.h"
#include "cpu/cpu.h"

static void op_nop(struct cpu *c, const struct insn *i)
{
    (void)c;
    (void)i;
}

void op_ud(struct cpu *c, const struct insn *i)
{
    (void)i;
    cpu_fault_noerr(c, VEC_UD);
}

void ops_nop_register(void)
{
    op_reg(X86_INS_NOP, op_nop, NULL, CLS_NOP);
    op_reg(X86_INS_UD2, op_ud, NULL, CLS_OTHER);
}
