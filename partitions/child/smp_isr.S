/* smp_isr.S — the child's CHILD_SMP_VECTOR gate (smp.c): saves the registers the C ABI lets
 * child_smp_ipi clobber and calls it. At entry RSP is 8 mod 16 (the CPU aligns RSP to 16, then
 * pushes 5 quadwords: SDM Vol. 3 6.14.2), so after 9 pushes the call is 16-byte aligned.
 */
#include "krt/isr.inc"
    .text
    .code64
    .globl  child_smp_ipi_stub
child_smp_ipi_stub:
    KRT_PUSH_CALLER_SAVED
    cld
    call    child_smp_ipi
    KRT_POP_CALLER_SAVED
    iretq
    .section .note.GNU-stack, "", @progbits
