/* modes_asm.S — mode switches for modes.c (SDM Vol. 3 9.8 and 9.9: switching to protected,
 * IA-32e and real mode). Entered in 32-bit protected mode, paging off, CPL 0. */
#define FUNC(n) .globl n; n:

    .data
    .balign 8
gdt:
    .quad   0
    .quad   0x00cf9a000000ffff          /* 0x08: 32-bit code, flat */
    .quad   0x00cf92000000ffff          /* 0x10: data, flat */
    .quad   0x00af9a000000ffff          /* 0x18: 64-bit code */
    .quad   0x00009a000000ffff          /* 0x20: 16-bit code, base 0, limit 64K */
    .quad   0x000092000000ffff          /* 0x28: 16-bit data, base 0, limit 64K */
gdt_end:
gdtr:
    .word   gdt_end - gdt - 1
    .long   gdt
rm_idtr:
    .word   0x3ff                       /* real-mode IVT at 0 */
    .long   0
    .globl  lm_val64, lm_push_size, lm_efer_pg, lm_efer_compat, lm_zext, lm_rip_rel
lm_val64:       .quad 0
lm_push_size:   .quad 0
lm_zext:        .quad 0
lm_rip_rel:     .quad 0
lm_efer_pg:     .long 0
lm_efer_compat: .long 0
saved_esp:      .long 0

    .text
    .code32
/* void load_gdt(void): our GDT, CS reloaded by a far jump, data segments reloaded. */
FUNC(load_gdt)
    lgdt    gdtr
    ljmp    $0x08, $1f
1:  mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %fs
    mov     %ax, %gs
    mov     %ax, %ss
    ret

/* void long_mode_round_trip(uint32_t pml4): enable PAE + LME + PG (IA-32e, compatibility mode),
 * far-jump to 64-bit code, run a few 64-bit-only things, far-return to compatibility mode, and
 * leave IA-32e mode again (PG off, LME off, PAE off). */
FUNC(long_mode_round_trip)
    push    %ebx
    push    %esi
    push    %edi
    push    %ebp
    mov     20(%esp), %eax
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      $0x20, %eax                 /* CR4.PAE */
    mov     %eax, %cr4
    mov     $0xc0000080, %ecx
    rdmsr
    or      $0x100, %eax                /* EFER.LME */
    wrmsr
    mov     %cr0, %eax
    or      $0x80000000, %eax           /* CR0.PG: activates IA-32e mode (LMA = 1) */
    mov     %eax, %cr0
    mov     $0xc0000080, %ecx
    rdmsr
    mov     %eax, lm_efer_pg
    ljmp    $0x18, $long64

    .code64
long64:
    mov     %esp, %esp                  /* zero-extend RSP */
    movabs  $0x123456789abcdef0, %rax
    mov     %rax, lm_val64(%rip)        /* RIP-relative exists only in 64-bit mode */
    lea     lm_val64(%rip), %rbx
    mov     %rbx, lm_rip_rel(%rip)
    mov     %rsp, %rdx
    push    %rax
    sub     %rsp, %rdx
    mov     %rdx, lm_push_size(%rip)    /* 8 in 64-bit mode */
    pop     %rax
    movabs  $-1, %rax
    mov     $1, %eax                    /* a 32-bit write zero-extends into RAX */
    mov     %rax, lm_zext(%rip)
    push    $0x08
    lea     compat32(%rip), %rax
    push    %rax
    lretq                               /* to compatibility mode, CS = 0x08 */

    .code32
compat32:
    mov     $0xc0000080, %ecx
    rdmsr
    mov     %eax, lm_efer_compat        /* LMA still 1 in compatibility mode */
    mov     %cr0, %eax
    and     $0x7fffffff, %eax           /* PG off: leaves IA-32e mode (LMA = 0) */
    mov     %eax, %cr0
    mov     $0xc0000080, %ecx
    rdmsr
    and     $~0x100, %eax
    wrmsr
    mov     %cr4, %eax
    and     $~0x20, %eax
    mov     %eax, %cr4
    pop     %ebp
    pop     %edi
    pop     %esi
    pop     %ebx
    ret

/* void paging32_on(uint32_t cr3, uint32_t cr4_bits) / paging32_off(void): 32-bit or PAE paging
 * in protected mode (IA-32e stays off). */
FUNC(paging32_on)
    mov     4(%esp), %eax
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      8(%esp), %eax
    mov     %eax, %cr4
    mov     %cr0, %eax
    or      $0x80000000, %eax
    mov     %eax, %cr0
    jmp     1f                          /* as the SDM recommends after setting PG */
1:  ret

FUNC(paging32_off)
    mov     %cr0, %eax
    and     $0x7fffffff, %eax
    mov     %eax, %cr0
    mov     %cr4, %eax
    and     $~0x30, %eax                /* PSE, PAE */
    mov     %eax, %cr4
    ret

/* void real_mode_round_trip(void): the trampoline (copied to 0x7000 by modes.c) drops to 16-bit
 * protected mode, clears CR0.PE, runs real-mode code that stores results at 0x8010.., and
 * comes back to 32-bit protected mode. */
FUNC(real_mode_round_trip)
    push    %ebx
    push    %esi
    push    %edi
    push    %ebp
    mov     %esp, saved_esp
    ljmp    $0x20, $(0x7000 + rm16 - tramp_start)
back32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %fs
    mov     %ax, %gs
    mov     %ax, %ss
    mov     saved_esp, %esp
    lgdt    gdtr
    pop     %ebp
    pop     %edi
    pop     %esi
    pop     %ebx
    ret

    .globl  tramp_start, tramp_end
tramp_start:
    .code16
rm16:                                   /* 16-bit protected mode, CS = 0x20 */
    mov     $0x28, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     %cr0, %eax
    and     $~1, %eax                   /* PE = 0 */
    mov     %eax, %cr0
    ljmp    $0x0700, $(rm_real - tramp_start)
rm_real:                                /* real mode, CS = 0x0700 (base 0x7000) */
    xor     %ax, %ax
    mov     %ax, %ds
    mov     %ax, %ss
    mov     $0x6ff0, %sp
    mov     $0x0800, %ax
    mov     %ax, %es                    /* ES base = 0x8000 */
    movw    $0x1234, %es:0x10           /* -> physical 0x8010 */
    push    $0x5678
    pop     %bx
    mov     %bx, %es:0x12
    mov     %cr0, %eax
    mov     %eax, %es:0x1c              /* CR0 as seen in real mode */
    mov     $0x12345678, %eax           /* operand-size prefix in 16-bit code */
    mov     %eax, %es:0x18
    call    rm_sub
    lidtl   %cs:(rm_idtr_copy - tramp_start)
    movw    $(rm_isr - tramp_start), 0x100   /* IVT[0x40] = 0700:rm_isr */
    movw    $0x0700, 0x102
    int     $0x40
    mov     %cr0, %eax
    or      $1, %eax                    /* PE = 1 */
    mov     %eax, %cr0
    .byte   0x66, 0xea                  /* ljmpl $0x08, $back32 */
    .long   back32
    .word   0x08
rm_sub:
    movw    $0x4321, %es:0x16
    ret
rm_isr:
    movw    $0xbeef, %es:0x14
    iret
rm_idtr_copy:
    .word   0x3ff
    .long   0
tramp_end:
    .code32

    .section .note.GNU-stack, "", @progbits
