/* sys_ops.h — instruction handlers that one system file registers and another dispatches to
 * (the shared MOV/PUSH/POP ids of ops.h: sys_select_shared in sys_far.c picks these), and small
 * helpers for reading instruction bytes the decoder does not keep.
 */
#ifndef HVSIM_SYS_OPS_H
#define HVSIM_SYS_OPS_H

#include "cpu/sys_util.h"

#ifdef __cplusplus
extern "C" {
#endif

/* MOV to/from CR0/2/3/4/8 and DR0-7 (sys_cr.c). */
void sys_op_mov_to_cr(struct cpu *c, const struct insn *i);
void sys_op_mov_from_cr(struct cpu *c, const struct insn *i);
void sys_op_mov_to_dr(struct cpu *c, const struct insn *i);
void sys_op_mov_from_dr(struct cpu *c, const struct insn *i);

/* `size` bytes (1..8, little-endian) of the current instruction at CS:insn_start + off, read
 * through instruction fetch (execute permission, ITLB). For encodings whose fields Capstone
 * 4.0.2 loses (the selector of JMP/CALL ptr16:xx, the F3 prefix of RDPID). */
uint64_t sys_insn_bytes(struct cpu *c, unsigned off, unsigned size);

#ifdef __cplusplus
}
#endif
#endif
