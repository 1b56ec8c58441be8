/* smp_entry.S — entry points of the root's SMP start-up (smp.h): root_ap_entry, where an AP VP
 * starts (long mode, RSP = the top of its own stack, interrupts off: the context of
 * smp_root_ap_context), and root_smp_ipi_stub, the ROOT_SMP_VECTOR gate. The stub saves the
 * registers the C ABI lets root_smp_ipi clobber; at entry RSP is 8 mod 16 (the CPU aligns RSP
 * to 16 and pushes 5 quadwords, SDM Vol. 3 6.14.2), so after 9 pushes the call is aligned.
 */
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
    push    %rax
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    cld
    call    root_smp_ipi
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rax
    iretq
    .section .note.GNU-stack, "", @progbits
