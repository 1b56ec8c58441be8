/* smp_isr.S — the child's CHILD_SMP_VECTOR gate (smp.c): saves the registers the C ABI lets
 * child_smp_ipi clobber and calls it. At entry RSP is 8 mod 16 (the CPU aligns RSP to 16, then
 * pushes 5 quadwords: SDM Vol. 3 6.14.2), so after 9 pushes the call is 16-byte aligned.
 */
    .text
    .code64
    .globl  child_smp_ipi_stub
child_smp_ipi_stub:
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
    call    child_smp_ipi
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
