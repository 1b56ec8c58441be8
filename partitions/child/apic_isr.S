/* apic_isr.S — the gates of the child's `apic` workload (wl_apic.c): vectors 60H, 70H and the
 * timer's 80H, each saving the registers the C ABI lets its handler clobber (krt/isr.inc) and
 * returning with IRETQ (SDM Vol. 3 6.14). At entry RSP is 8 mod 16 (the CPU aligns RSP to 16,
 * then pushes 5 quadwords: 6.14.2), so after 9 pushes the call is 16-byte aligned.
 */
#include "krt/isr.inc"

.macro WL_APIC_STUB name, handler
    .globl  \name
\name:
    KRT_PUSH_CALLER_SAVED
    cld
    call    \handler
    KRT_POP_CALLER_SAVED
    iretq
.endm

    .text
    .code64
    WL_APIC_STUB wl_apic_isr_low, wl_apic_on_low
    WL_APIC_STUB wl_apic_isr_high, wl_apic_on_high
    WL_APIC_STUB wl_apic_isr_timer, wl_apic_on_timer
    .section .note.GNU-stack, "", @progbits
