/* isr.S — the root kernel's interrupt entry stubs: 256 stubs of 16 bytes each (root_isr_stubs +
 * 16 * vector), each pushing its vector. Exceptions (vectors 0-31) go to root_fault, which
 * reports and stops (SDM Vol. 3 6.14: the frame; an error code, if any, lies below the vector).
 * Other vectors (the SynIC's SINT0 among them) end the root's HLT: they send the local APIC's
 * EOI (xAPIC at the default base 0xFEE00000, SDM Vol. 3 11.8.5; none for the spurious vector)
 * and return (IRETQ restores RFLAGS, so the compares change nothing visible). The message itself
 * is read by the main loop (pm_msg.c).
 */
    .section .text
    .balign 16
    .globl  root_isr_stubs
root_isr_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    pushq   $vec
    jmp     isr_common
    .set    vec, vec + 1
    .endr

isr_common:
    cmpq    $32, (%rsp)
    jb      1f
    cmpq    $0xFF, (%rsp)               /* spurious: no EOI (SDM Vol. 3 11.9) */
    je      3f
    push    %rax
    mov     $0xFEE000B0, %eax           /* EOI of the local APIC at its default base */
    movl    $0, (%rax)
    pop     %rax
3:  add     $8, %rsp
    iretq
1:  mov     (%rsp), %rdi                /* vector */
    lea     8(%rsp), %rsi               /* the CPU's frame (with the error code, if any) */
    and     $-16, %rsp
    call    root_fault
2:  cli
    hlt
    jmp     2b
    .section .note.GNU-stack, "", @progbits
