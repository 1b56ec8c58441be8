/* vmx_run.S — VM entry and the host side of VM exits for the VMX test kernels (vmx_lib.h), the
 * guest return stub and the guest IDT stubs.
 *
 * vmx_run_asm(resume): saves the host's callee-saved registers on its stack, writes HOST_RSP
 * (that stack) and HOST_RIP (vmx_host_entry) with VMWRITE, loads the guest GPRs from vmx_gregs
 * and executes VMLAUNCH (resume = 0) or VMRESUME. If the instruction fails (VMfailInvalid: CF,
 * VMfailValid: ZF, SDM 30.2) it returns VMX_RUN_FAIL_*; after a VM exit (or a VM-entry failure,
 * which also loads host state, SDM 26.8) the processor starts at vmx_host_entry with RSP =
 * HOST_RSP and RFLAGS = 2 (27.5.3); the guest GPRs are stored back to vmx_gregs, the host's
 * RFLAGS into vmx_exit_rflags, and it returns 0 (vmx_run reads the exit reason).
 * Invariant: nothing between the HOST_RSP VMWRITE and VMLAUNCH/VMRESUME moves RSP.
 */
#define F_H_RSP 0x6c14
#define F_H_RIP 0x6c16

    .code64
    .text
    .globl  vmx_run_asm
vmx_run_asm:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdi                        /* resume flag, at 0(%rsp) */
    mov     $F_H_RSP, %eax
    vmwrite %rsp, %rax
    jbe     9f
    mov     $F_H_RIP, %eax
    lea     vmx_host_entry(%rip), %rdx
    vmwrite %rdx, %rax
    jbe     9f
    cmpq    $0, (%rsp)
    mov     vmx_gregs + 0(%rip), %rax
    mov     vmx_gregs + 8(%rip), %rbx
    mov     vmx_gregs + 16(%rip), %rcx
    mov     vmx_gregs + 24(%rip), %rdx
    mov     vmx_gregs + 32(%rip), %rsi
    mov     vmx_gregs + 40(%rip), %rdi
    mov     vmx_gregs + 48(%rip), %rbp
    mov     vmx_gregs + 56(%rip), %r8
    mov     vmx_gregs + 64(%rip), %r9
    mov     vmx_gregs + 72(%rip), %r10
    mov     vmx_gregs + 80(%rip), %r11
    mov     vmx_gregs + 88(%rip), %r12
    mov     vmx_gregs + 96(%rip), %r13
    mov     vmx_gregs + 104(%rip), %r14
    mov     vmx_gregs + 112(%rip), %r15
    jne     1f                          /* flags of the cmpq: MOV changes none */
    vmlaunch
    jmp     9f
1:  vmresume
9:  /* VMfailInvalid or VMfailValid: the flags say which */
    pushfq
    pop     %rax
    mov     $(1 << 32), %rdx
    test    $1, %eax
    jnz     2f
    mov     $(2 << 32), %rdx
2:  mov     %rdx, %rax
    jmp     8f

    .globl  vmx_host_entry
vmx_host_entry:
    mov     %rax, vmx_gregs + 0(%rip)
    mov     %rbx, vmx_gregs + 8(%rip)
    mov     %rcx, vmx_gregs + 16(%rip)
    mov     %rdx, vmx_gregs + 24(%rip)
    mov     %rsi, vmx_gregs + 32(%rip)
    mov     %rdi, vmx_gregs + 40(%rip)
    mov     %rbp, vmx_gregs + 48(%rip)
    mov     %r8, vmx_gregs + 56(%rip)
    mov     %r9, vmx_gregs + 64(%rip)
    mov     %r10, vmx_gregs + 72(%rip)
    mov     %r11, vmx_gregs + 80(%rip)
    mov     %r12, vmx_gregs + 88(%rip)
    mov     %r13, vmx_gregs + 96(%rip)
    mov     %r14, vmx_gregs + 104(%rip)
    mov     %r15, vmx_gregs + 112(%rip)
    pushfq
    popq    vmx_exit_rflags(%rip)
    xor     %eax, %eax
8:  add     $8, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    cld
    ret

/* The return address of every guest function: report "guest finished" by VMCALL. */
    .globl  vmx_guest_return
vmx_guest_return:
    mov     $0x600d, %eax
    vmcall
    jmp     vmx_guest_return

/* Guest IDT stubs: vector v at vmx_gidt_stubs + 16 * v; vectors with an error code (SDM 6.13,
 * in 64-bit mode: 8, 10-14, 17, 21, 29, 30) do not push the dummy 0. */
    .balign 16
    .globl  vmx_gidt_stubs
vmx_gidt_stubs:
    .set    vec, 0
    .rept   256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push    $0
    .endif
    push    $vec
    jmp     gidt_common
    .set    vec, vec + 1
    .endr

gidt_common:                            /* stack: vector, error, RIP, CS, RFLAGS, RSP, SS */
    push    %rax
    mov     8(%rsp), %rax
    mov     %rax, vmx_gtrap + 0(%rip)
    mov     16(%rsp), %rax
    mov     %rax, vmx_gtrap + 8(%rip)
    mov     24(%rsp), %rax
    mov     %rax, vmx_gtrap + 16(%rip)
    mov     32(%rsp), %rax
    mov     %rax, vmx_gtrap + 24(%rip)
    mov     40(%rsp), %rax
    mov     %rax, vmx_gtrap + 32(%rip)
    mov     48(%rsp), %rax
    mov     %rax, vmx_gtrap + 40(%rip)
    incq    vmx_gtrap + 48(%rip)
    mov     $0x7a7, %eax
    vmcall
    pop     %rax
    add     $16, %rsp
    iretq
    .section .note.GNU-stack, "", @progbits
