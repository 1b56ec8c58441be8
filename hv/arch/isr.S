/* isr.S — the hypervisor's interrupt and exception entry stubs (SDM Vol. 3 6.14 "Exception and
 * Interrupt Handling in 64-bit Mode").
 *
 * hv_isr_stubs holds 256 stubs of 16 bytes each (vector k at hv_isr_stubs + 16 k; idt.c points
 * the IDT at them). A stub pushes a 0 error code for the vectors where the processor pushes none
 * (all but 8, 10-14, 17, 21, 29, 30: SDM 6.3.1 Table 6-1, 6.15), then the vector, and jumps to
 * isr_common, which saves the 15 general registers (struct hv_trap_frame in idt.c, lowest address
 * first: R15 ... RAX, vector, error code, then the processor's RIP, CS, RFLAGS, RSP, SS), calls
 * hv_trap(frame) on a 16-byte aligned stack, restores them and returns with IRETQ.
 * Invariants: every vector has a stub (a device interrupt arriving while the hypervisor runs
 * with IF = 1 reaches hv_trap, never a not-present gate); the frame is only read or written by
 * hv_trap through the struct.
 */
    .section .text
    .balign 16
    .globl  hv_isr_stubs
hv_isr_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if     vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
    .else
    pushq   $0
    .endif
    pushq   $vec
    jmp     isr_common
    .set    vec, vec + 1
    .endr

isr_common:
    push    %rax
    push    %rcx
    push    %rdx
    push    %rbx
    push    %rbp
    push    %rsi
    push    %rdi
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    cld
    mov     %rsp, %rdi
    mov     %rsp, %rbx                  /* callee-saved: the frame */
    and     $-16, %rsp
    call    hv_trap
    mov     %rbx, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rdi
    pop     %rsi
    pop     %rbp
    pop     %rbx
    pop     %rdx
    pop     %rcx
    pop     %rax
    add     $16, %rsp                   /* vector, error code */
    iretq
    .section .note.GNU-stack, "", @progbits
