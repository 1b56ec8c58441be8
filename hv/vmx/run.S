/* run.S — VM entry and the host side of VM exits (SDM Vol. 3 30.3 VMLAUNCH/VMRESUME, 27.5 host
 * state after an exit).
 *
 * int vmx_enter(uint64_t *gpr, int launched): saves the callee-saved registers and `gpr` on the
 * host stack, writes VMCS HOST_RSP (that stack), loads the guest's RAX..R15 except RSP from
 * gpr[0..15] (x86 register-number order) and executes VMRESUME (launched != 0) or VMLAUNCH.
 * A VM exit (or a VM-entry failure, which loads host state too, 26.8) arrives at vmx_exit_entry
 * with RSP = HOST_RSP and RFLAGS = 2: the guest registers go back to gpr[] and it returns 0. If
 * the instruction fails it returns 1 (VMfailInvalid: CF) or 2 (VMfailValid: ZF) (30.2).
 * Invariant: nothing between the HOST_RSP VMWRITE and the entry moves RSP.
 */
#define VMCS_H_RSP 0x6c14

    .code64
    .text
    .globl  vmx_enter
vmx_enter:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    push    %rdi                        /* gpr, at 0(%rsp) while the guest runs */
    mov     $VMCS_H_RSP, %eax
    vmwrite %rsp, %rax
    jbe     9f
    test    %esi, %esi
    mov     0(%rdi), %rax
    mov     8(%rdi), %rcx
    mov     16(%rdi), %rdx
    mov     24(%rdi), %rbx
    mov     40(%rdi), %rbp
    mov     48(%rdi), %rsi
    mov     64(%rdi), %r8
    mov     72(%rdi), %r9
    mov     80(%rdi), %r10
    mov     88(%rdi), %r11
    mov     96(%rdi), %r12
    mov     104(%rdi), %r13
    mov     112(%rdi), %r14
    mov     120(%rdi), %r15
    mov     56(%rdi), %rdi              /* last: MOV changes no flags */
    jnz     1f
    vmlaunch
    jmp     9f
1:  vmresume
9:  /* VMfailInvalid (CF) or VMfailValid (ZF) */
    mov     $1, %eax
    jc      8f
    mov     $2, %eax
    jmp     8f

    .globl  vmx_exit_entry
vmx_exit_entry:
    push    %rdi
    mov     8(%rsp), %rdi               /* gpr */
    mov     %rax, 0(%rdi)
    mov     %rcx, 8(%rdi)
    mov     %rdx, 16(%rdi)
    mov     %rbx, 24(%rdi)
    mov     %rbp, 40(%rdi)
    mov     %rsi, 48(%rdi)
    popq    56(%rdi)
    mov     %r8, 64(%rdi)
    mov     %r9, 72(%rdi)
    mov     %r10, 80(%rdi)
    mov     %r11, 88(%rdi)
    mov     %r12, 96(%rdi)
    mov     %r13, 104(%rdi)
    mov     %r14, 112(%rdi)
    mov     %r15, 120(%rdi)
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
    .section .note.GNU-stack, "", @progbits
