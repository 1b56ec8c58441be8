/* annot.h — hvsim's software-annotation instruction for target code (docs/TRACE-FORMAT.md
 * "Annotations"): a hinting NOP that every x86-64 processor executes as a no-op and that hvsim
 * records in the trace. The ABI (kinds, magic) is the one header shared with the simulator.
 * Invariant: no register, flag or memory changes; safe on real hardware. */
#ifndef TARGET_ANNOT_H
#define TARGET_ANNOT_H

#include <stdint.h>

#include "../../../traces/annot_abi.h"

static inline void hvsim_annotate(uint32_t kind, uint64_t a0, uint64_t a1, uint64_t a2,
                                  uint64_t a3)
{
    /* nop dword ptr [rax + rax*1 + 0x4D535648] with EAX = kind, RDI/RSI/RDX/RCX = a0..a3 */
    __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x48, 0x56, 0x53, 0x4d"
                     :: "a"(kind), "D"(a0), "S"(a1), "d"(a2), "c"(a3) : "memory");
}

#endif
