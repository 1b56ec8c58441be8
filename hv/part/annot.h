/* annot.h — the hypervisor's side of the annotation ABI (traces/annot_abi.h): one inline
 * function that executes the annotation instruction, a hinting NOP that is an architectural
 * no-op on every x86-64 processor (SDM Vol. 2 NOP), so it is safe on real hardware too.
 *
 * In the host unit tests (HV_TARGET not defined) the call goes to hv_test_annotate(), which the
 * test fakes record.
 *
 * Invariants: no register or memory is changed; the NOP's memory operand is never accessed.
 */
#ifndef HV_PART_ANNOT_H
#define HV_PART_ANNOT_H

#include <stdint.h>

#include "traces/annot_abi.h"

#ifndef HV_TARGET
void hv_test_annotate(uint32_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
#endif

/* kind = EAX, a0 = RDI, a1 = RSI, a2 = RDX, a3 = RCX (annot_abi.h) */
static inline void hv_annotate(uint32_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
#ifdef HV_TARGET
    /* nop dword ptr [rax + rax*1 + 0x4D535648] */
    __asm__ volatile(".byte 0x0F, 0x1F, 0x84, 0x00, 0x48, 0x56, 0x53, 0x4D"
                     : : "a"(kind), "D"(a0), "S"(a1), "d"(a2), "c"(a3) : "memory");
#else
    hv_test_annotate(kind, a0, a1, a2, a3);
#endif
}

#endif
