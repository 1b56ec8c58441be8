/* x86_mov.h — a decoder of the memory forms of MOV, for the code that completes a guest's
 * access to emulated memory (hv/vmx/vapic_mmio.c: the xAPIC page; partitions/root/mmio_emul.c:
 * a child's device page): from the instruction bytes alone it gives the length, the direction,
 * the operand size and the register or immediate. The address is not computed: the caller has
 * it from the fault (EPT violation, intercept message). docs/HYPERVISOR.md "The child's device
 * page", "Registers, priorities, EOI and IPIs".
 *
 * Forms (SDM Vol. 2B MOV, opcode table A-2):
 *   88 /r  MOV r/m8, r8        89 /r  MOV r/m16/32/64, r16/32/64
 *   8A /r  MOV r8, r/m8        8B /r  MOV r16/32/64, r/m16/32/64
 *   C6 /0 ib  MOV r/m8, imm8   C7 /0 iw/id  MOV r/m16/32/64, imm16/32 (imm32 sign-extended
 *                                           to 64 bits with REX.W)
 *   A0 / A1  MOV AL / rAX, moffs      A2 / A3  MOV moffs, AL / rAX (the offset is as wide as
 *                                                the address size)
 * with any of the prefixes 66 (operand size), 67 (address size), F0, F2, F3, 26 2E 36 3E 64 65
 * (segment), and in 64-bit mode a REX prefix (40H-4FH) right before the opcode (SDM Vol. 2A
 * 2.1, 2.2.1: a REX followed by a legacy prefix is ignored). Only register-to-memory forms
 * (ModR/M.mod != 3) access memory; the others are "not emulated". ModR/M, SIB and
 * displacements follow SDM Vol. 2A 2.1.5 tables 2-1 (16-bit addressing), 2-2 and 2-3 (32/64),
 * RIP-relative in 64-bit mode (2.2.1.6: same length as disp32).
 *
 * Modes (the code segment's defaults, SDM Vol. 1 3.6): KRT_MOV_MODE64 (64-bit mode: operand
 * size 32, REX.W -> 64, 66 -> 16; address size 64, 67 -> 32), KRT_MOV_MODE32 (CS.D = 1:
 * operand and address size 32; 66 / 67 -> 16) and KRT_MOV_MODE16 (CS.D = 0: 16; 66 / 67 -> 32).
 *
 * Registers: `reg` is the GPR number 0-15 (RAX = 0 ... R15 = 15, SDM Vol. 2A table 2-2 with
 * REX.R as bit 3). For an 8-bit operand without a REX prefix, register numbers 4-7 are AH, CH,
 * DH, BH (bits 15:8 of RAX, RCX, RDX, RBX): `reg` is then 0-3 and `high8` is set; with any
 * REX prefix they are SPL, BPL, SIL, DIL (2.2.1.2). An immediate form has reg = -1.
 *
 * The LOCK prefix on MOV is #UD (SDM Vol. 2A 2.1.1) before the memory is touched, so such an
 * instruction never reaches a caller; the decoder accepts it like the other group-1 prefixes.
 *
 * Invariants: pure (no memory access outside b[0, n), no state); on success len <= n and len
 * <= 15 (SDM Vol. 2A 2.3.11: a longer instruction is #GP, "not emulated" here).
 */
#ifndef KRT_X86_MOV_H
#define KRT_X86_MOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum krt_mov_mode { KRT_MOV_MODE64, KRT_MOV_MODE32, KRT_MOV_MODE16 };

enum krt_mov_status {
    KRT_MOV_OK = 0,
    KRT_MOV_SHORT,          /* the bytes end before the instruction does */
    KRT_MOV_OTHER,          /* not one of the memory forms above (or longer than 15 bytes) */
};

struct krt_mov {
    uint8_t len;            /* instruction length in bytes */
    uint8_t size;           /* operand size: 1, 2, 4 or 8 */
    bool store;             /* memory is the destination (88, 89, C6, C7, A2, A3) */
    bool high8;             /* reg names AH, CH, DH or BH: bits 15:8 of GPR reg (0-3) */
    int8_t reg;             /* GPR 0-15, or -1: the immediate is the source */
    uint64_t imm;           /* reg = -1: the immediate, zero-extended to 64 bits from `size`
                             * (for a 64-bit C7 the imm32 sign-extended) */
};

enum krt_mov_status krt_mov_decode(const uint8_t *b, size_t n, enum krt_mov_mode mode,
                                   struct krt_mov *m);

#ifdef __cplusplus
}
#endif

#endif
