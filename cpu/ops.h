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
    X(ops_nop)

#define OPS_DECLARE(name) void name##_register(void);
OPS_FILES(OPS_DECLARE)

#ifdef __cplusplus
}
#endif
#endif
