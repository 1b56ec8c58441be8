/* ops.h — what instruction-handler files share: their registration functions and small helpers
 * for registering handlers in op_table (insn.h).
 *
 * Each ops_*.c (general-purpose ISA) and sys_*.c (system instructions) file defines one
 * `void <file>_register(void)` that fills op_table entries for the Capstone ids it implements;
 * ops_register.c calls them all once, before the first decode.
 */
#ifndef HVSIM_OPS_H
#define HVSIM_OPS_H

#include <capstone/capstone.h>
#include "cpu/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline void op_reg(unsigned id, insn_fn fn, int (*select)(struct insn *), unsigned cls)
{
    op_table[id].fn = fn;
    op_table[id].select = select;
    op_table[id].cls = (uint8_t)cls;
}

/* Registration functions (one per handler file). Add yours here and in ops_register.c. */
#define OPS_FILES(X) \
    X(ops_nop) \
    X(ops_bound) \
    X(ops_alu) \
    X(ops_mov) \
    X(ops_cond) \
    X(ops_muldiv) \
    X(ops_shift) \
    X(ops_bit) \
    X(ops_atomic) \
    X(ops_branch) \
    X(ops_stack) \
    X(ops_string) \
    X(ops_bcd) \
    X(sys_far) \
    X(sys_cr) \
    X(sys_msr) \
    X(sys_desc) \
    X(sys_int) \
    X(sys_fast) \
    X(sys_io) \
    X(sys_misc) \
    X(vmx_insn) \
    X(vmx_launch) \
    X(vmx_inv) \
    X(vmx_icpt_insn)

#define OPS_DECLARE(name) void name##_register(void);
OPS_FILES(OPS_DECLARE)

/* Capstone ids shared between the general-purpose and the system handlers: X86_INS_MOV with a
 * segment, control or debug register operand, and X86_INS_PUSH / X86_INS_POP with a segment
 * register. The general-purpose select() (ops_mov.c, ops_stack.c) calls this for those forms; the
 * system handlers define it (pick i->fn, return 0, or -1 for #UD). ops_mov.c has a weak default
 * returning -1 until they do. */
int sys_select_shared(struct insn *i);

#ifdef __cplusplus
}
#endif
#endif
