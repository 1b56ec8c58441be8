/* isr.S — the child's interrupt stubs (docs/HYPERVISOR.md "The child partition kernel"). Each
 * stub pushes a dummy error code where the CPU pushes none (SDM Vol. 3 6.13: vectors 8, 10-14,
 * 17, 21, 29, 30 have one), then its vector, and jumps to the common path, which saves the
 * caller-saved registers and RBX and calls child_trap(vector, frame) with RSP 16-byte aligned, then
 * IRETQ. child_isr_table holds the 33 stub addresses: vectors 0-31 and CHILD_SINT_VECTOR.
 */
#include "krt/isr.inc"
    .text
    .code64
.macro STUB vec
isr_\vec:
    .if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushq   $0
    .endif
    pushq   $\vec
    jmp     isr_common
.endm
    .irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,0x50
    STUB \v
    .endr
isr_common:
    push    %rbx
    KRT_PUSH_CALLER_SAVED
    mov     80(%rsp), %rdi          /* vector */
    lea     80(%rsp), %rsi          /* frame: vector, error code, RIP, CS, RFLAGS, RSP, SS */
    mov     %rsp, %rbx
    and     $-16, %rsp
    call    child_trap
    mov     %rbx, %rsp
    KRT_POP_CALLER_SAVED
    pop     %rbx
    add     $16, %rsp
    iretq

    .section .rodata
    .globl  child_isr_table
    .balign 8
child_isr_table:
    .irp v,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,0x50
    .quad   isr_\v
    .endr
    .section .note.GNU-stack, "", @progbits
