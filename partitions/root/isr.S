/* isr.S — the root kernel's interrupt entry stubs: 256 stubs of 16 bytes each (root_isr_stubs +
 * 16 * vector), each pushing its vector. Exceptions (vectors 0-31) go to root_fault, which
 * reports and stops (SDM Vol. 3 6.14: the frame; an error code, if any, lies below the vector).
 * Other vectors (the SynIC's SINT0 among them) end the root's HLT: they send the local APIC's
 * EOI (SDM Vol. 3 11.8.5; none for the spurious vector) and return (IRETQ restores RFLAGS, so
 * the compares change nothing visible). The EOI is a WRMSR of HV_X64_MSR_EOI when the hypervisor
 * offers it (TLFS "Virtual Interrupt Controller": one exit, no MMIO decoding), else a write of
 * the xAPIC's EOI register at the default base 0xFEE00000 (bare hardware). The message itself
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
    push    %rcx
    push    %rdx
    movzbl  root_eoi_mode(%rip), %eax
    test    %eax, %eax
    jnz     4f
    call    eoi_probe
4:  cmp     $1, %al
    jne     5f
    mov     $0x40000070, %ecx           /* HV_X64_MSR_EOI: the value is ignored */
    xor     %eax, %eax
    xor     %edx, %edx
    wrmsr
    jmp     6f
5:  mov     $0xFEE000B0, %eax           /* EOI of the local APIC at its default base */
    movl    $0, (%rax)
6:  pop     %rdx
    pop     %rcx
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

/* How to EOI, decided at the first interrupt (root_eoi_mode 0): 1 = HV_X64_MSR_EOI when a
 * hypervisor is present (CPUID.1:ECX[31]) with leaf 40000003H whose EAX[4] (AccessApicMsrs) is
 * set, else 2 = the xAPIC page. Returns the mode in AL; clobbers RAX, RCX, RDX. */
eoi_probe:
    push    %rbx
    mov     $1, %eax
    xor     %ecx, %ecx
    cpuid
    bt      $31, %ecx
    jnc     8f
    mov     $0x40000000, %eax
    xor     %ecx, %ecx
    cpuid
    cmp     $0x40000003, %eax
    jb      8f
    mov     $0x40000003, %eax
    xor     %ecx, %ecx
    cpuid
    bt      $4, %eax
    jnc     8f
    mov     $1, %al
    jmp     9f
8:  mov     $2, %al
9:  movb    %al, root_eoi_mode(%rip)
    pop     %rbx
    ret

    .section .bss
root_eoi_mode:
    .byte   0
    .section .note.GNU-stack, "", @progbits
