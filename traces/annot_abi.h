/* annot_abi.h — the software-annotation ABI between target code and hvsim (docs/TRACE-FORMAT.md
 * "Annotations"). Plain C with fixed-width types and no dependencies: target code (hypervisor,
 * root and child kernels, test kernels) includes it as well as the simulator.
 *
 * The annotation instruction is a hinting NOP, an architectural no-op on every x86-64 processor:
 *     0F 1F 84 00 48 56 53 4D      nop dword ptr [rax + rax*1 + 0x4D535648]   ("HVSM")
 * Its memory operand is never accessed (SDM Vol. 2 NOP). On hvsim it retires at zero simulated
 * cycles and, when a trace is recorded, writes an `annotation` event with
 *     kind = EAX, a0 = RDI, a1 = RSI, a2 = RDX, a3 = RCX
 * and, for the kinds below, tells the trace what the values mean. Registers are not changed.
 *
 * Invariants: kinds are never renumbered; a kind hvsim does not know is recorded as is.
 */
#ifndef HVSIM_ANNOT_ABI_H
#define HVSIM_ANNOT_ABI_H

#include <stdint.h>

#define HVSIM_ANNOT_MAGIC 0x4D535648u   /* the NOP's disp32: "HVSM" in memory order */

enum hvsim_annot_kind {
    /* a0 = physical address of a VMCS, a1 = partition id, a2 = virtual-processor index: from now
     * on, VM entries and exits with this VMCS (and events of the guest running on it) belong to
     * that partition and VP. a1 = 0xFFFF forgets the VMCS. */
    HVSIM_ANNOT_VMCS_IDENTITY = 1,
    /* a0 = partition id, a1..a3 = up to 24 bytes of its name (little-endian, NUL-padded) */
    HVSIM_ANNOT_PARTITION_CREATE = 2,
    /* a0 = partition id */
    HVSIM_ANNOT_PARTITION_DELETE = 3,
    /* a0..a3 = anything: a marker that `hvsim trace dump` shows and tools can filter on */
    HVSIM_ANNOT_MARK = 4,
    /* The hypervisor wrote a message into a SynIC message slot (TLFS 11.10), the type last, and
     * is about to raise the SINT's vector on the receiving VP:
     *   a0 = receiving partition id;
     *   a1 = receiving VP index (bits 31:0), SINT (39:32), the SINT's vector (47:40), flags
     *        (55:48: bit 0 = the message waited in the VP's queue for the slot);
     *   a2 = message type (bits 31:0, HVMSG_*), sequence number (63:32: the hypervisor's count
     *        of messages written, 0, 1, ..., wrapping at 2^32);
     *   a3 = the message header's sender field (sender partition id, or port id).
     * The trace records it as a `synic_message` event (docs/TRACE-FORMAT.md). */
    HVSIM_ANNOT_SYNIC_MESSAGE = 5,
    /* The hypervisor set a SynIC event flag that was 0 (TLFS 11.9) and is about to raise the
     * SINT's vector: a0 = receiving partition id; a1 = receiving VP index (31:0), SINT (39:32),
     * vector (47:40); a2 = flag number; a3 = 0. Recorded as a `synic_event` event. */
    HVSIM_ANNOT_SYNIC_EVENT = 6,
};

/* Packing of a1 of the SynIC kinds (5, 6) and a2 of kind 5. */
#define HVSIM_ANNOT_SYNIC_A1(vp, sint, vector, flags)                                         \
    ((uint64_t)(uint32_t)(vp) | (uint64_t)((sint) & 0xffu) << 32 |                             \
     (uint64_t)((vector) & 0xffu) << 40 | (uint64_t)((flags) & 0xffu) << 48)
#define HVSIM_ANNOT_SYNIC_QUEUED 1u     /* flags bit 0 */
#define HVSIM_ANNOT_SYNIC_A2(type, seq) ((uint64_t)(uint32_t)(type) | (uint64_t)(uint32_t)(seq) << 32)

#endif
