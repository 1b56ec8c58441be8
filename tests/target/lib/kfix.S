/* kfix.S — RDMSR and WRMSR that survive an exception (smp.h msr_read_safe, msr_write_safe).
 *
 * Each function executes its instruction at a global label (kfix_rd_insn, kfix_wr_insn). The
 * fault handler of smp.c (kfix_trap, for #GP and #UD) finds the faulting EIP (SDM Vol. 3 6.13:
 * faults report the address of the faulting instruction) among these labels, puts the vector in
 * the saved EBX and resumes at the label after the instruction; the function returns EBX.
 *
 *   int msr_read_safe(uint32_t msr, uint64_t *v);   0: *v = the MSR; else the vector
 *   int msr_write_safe(uint32_t msr, uint64_t v);   0: written; else the vector
 */
    .text
    .code32
    .globl  msr_read_safe, msr_write_safe
    .globl  kfix_rd_insn, kfix_rd_resume, kfix_wr_insn, kfix_wr_resume

msr_read_safe:
    push    %ebx
    mov     8(%esp), %ecx
    xor     %ebx, %ebx
    xor     %eax, %eax
    xor     %edx, %edx
kfix_rd_insn:
    rdmsr
kfix_rd_resume:
    test    %ebx, %ebx
    jnz     1f
    mov     12(%esp), %ecx
    mov     %eax, (%ecx)
    mov     %edx, 4(%ecx)
1:  mov     %ebx, %eax
    pop     %ebx
    ret

msr_write_safe:
    push    %ebx
    mov     8(%esp), %ecx
    mov     12(%esp), %eax
    mov     16(%esp), %edx
    xor     %ebx, %ebx
kfix_wr_insn:
    wrmsr
kfix_wr_resume:
    mov     %ebx, %eax
    pop     %ebx
    ret
    .section .note.GNU-stack, "", @progbits
