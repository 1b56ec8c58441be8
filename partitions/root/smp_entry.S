/* smp_entry.S — entry points of the root's SMP start-up (smp.h): root_ap_entry, where an AP VP
 * starts (long mode, RSP = the top of its own stack, interrupts off: the context of
 * smp_root_ap_context), and root_smp_ipi_stub, the ROOT_SMP_VECTOR gate. The stub saves the
 * registers the C ABI lets root_smp_ipi clobber; at entry RSP is 8 mod 16 (the CPU aligns RSP
 * to 16 and pushes 5 quadwords, SDM Vol. 3 6.14.2), so after 9 pushes the call is aligned.
 */
#include "krt/isr.inc"
    .text
    .code64
    .globl  root_ap_entry
root_ap_entry:
    cld
    and     $-16, %rsp
    xor     %ebp, %ebp
    call    root_ap_main
1:  cli
    hlt
    jmp     1b

    .globl  root_smp_ipi_stub
root_smp_ipi_stub:
    KRT_PUSH_CALLER_SAVED
    cld
    call    root_smp_ipi
    KRT_POP_CALLER_SAVED
    iretq
    .section .note.GNU-stack, "", @progbits
