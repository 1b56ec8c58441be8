/* kidt_asm.S — the 256 interrupt entry stubs of the test kernels (kidt.c) and their common path.
 * Each stub pushes a dummy error code where the processor pushes none (SDM Vol. 3 6.13: vectors
 * 8, 10-14, 17, 21 have one), then its vector; the common path saves the general registers
 * (PUSHAD), calls kidt_dispatch(struct kframe *) and returns with IRET. */
    .text
    .code32
    .balign 16
    .globl  kidt_stubs
kidt_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21)
    .else
    push    $0
    .endif
    push    $vec
    jmp     kidt_common
    .set    vec, vec + 1
    .endr

kidt_common:
    pushal
    cld
    push    %esp                        /* struct kframe * */
    call    kidt_dispatch
    add     $4, %esp
    popal
    add     $8, %esp                    /* vector, error code */
    iret
    .section .note.GNU-stack, "", @progbits
