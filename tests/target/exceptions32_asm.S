/* exceptions32_asm.S — protected-mode (32-bit) exception plumbing and provocations for
 * exceptions32.c: GDT, IDT with 32-bit interrupt gates (SDM Vol. 3 6.11), stubs, trap_catch32,
 * and one function per exception. *_insn labels mark faulting instructions, *_after the
 * instruction after a trap. */
#define FUNC(n) .globl n; n:
#define LABEL(n) .globl n; n:

    .data
    .balign 8
gdt32:
    .quad   0
    .quad   0x00cf9a000000ffff          /* 0x08: code, flat */
    .quad   0x00cf92000000ffff          /* 0x10: data, flat */
    .quad   0x00cf90000000ffff          /* 0x18: data, read-only, flat */
    .quad   0x0040920000000fff          /* 0x20: data, limit 0xfff bytes */
    .quad   0x00cf12000000ffff          /* 0x28: data, not present */
    .quad   0x00c0920000000fff          /* 0x30: data (stack), limit 16 MiB - 1 */
gdt32_end:
gdtr32:
    .word   gdt32_end - gdt32 - 1
    .long   gdt32
    .globl  idt32
    .balign 8
idt32:
    .skip   256 * 8
idtr32:
    .word   256 * 8 - 1
    .long   idt32

    .globl  t32_vector, t32_error, t32_eip, t32_cs, t32_eflags, t32_cr2
t32_vector: .long 0
t32_error:  .long 0
t32_eip:    .long 0
t32_cs:     .long 0
t32_eflags: .long 0
t32_cr2:    .long 0
catch_esp:  .long 0
catch_on:   .long 0

    .text
    .code32
    .balign 16
    .globl  stub32_base
stub32_base:
    .set    vec, 0
    .rept   256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21)
    .else
    push    $-1
    .endif
    push    $vec
    jmp     trap32_common
    .set    vec, vec + 1
    .endr

trap32_common:                          /* stack: vector, error, EIP, CS, EFLAGS */
    push    %eax
    mov     4(%esp), %eax
    mov     %eax, t32_vector
    mov     8(%esp), %eax
    mov     %eax, t32_error
    mov     12(%esp), %eax
    mov     %eax, t32_eip
    mov     16(%esp), %eax
    mov     %eax, t32_cs
    mov     20(%esp), %eax
    mov     %eax, t32_eflags
    mov     %cr2, %eax
    mov     %eax, t32_cr2
    cmpl    $0, catch_on
    je      unexpected32
    movl    $catch_landing, 12(%esp)    /* resume at the landing, CPL 0 */
    andl    $~0x4100, 20(%esp)          /* clear TF, NT */
    pop     %eax
    add     $8, %esp
    iret
unexpected32:
    pop     %eax
    call    t32_unexpected
1:  hlt
    jmp     1b

/* void sys32_init(void): GDT, IDT (all gates DPL 0, vector 0x30 DPL 3) */
FUNC(sys32_init)
    lgdt    gdtr32
    ljmp    $0x08, $1f
1:  mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %fs
    mov     %ax, %gs
    mov     %ax, %ss
    xor     %ecx, %ecx
2:  mov     %ecx, %eax
    shl     $4, %eax
    add     $stub32_base, %eax
    mov     %ax, idt32(,%ecx,8)
    movw    $0x08, idt32+2(,%ecx,8)
    movw    $0x8e00, idt32+4(,%ecx,8)   /* P, DPL 0, 32-bit interrupt gate */
    shr     $16, %eax
    mov     %ax, idt32+6(,%ecx,8)
    inc     %ecx
    cmp     $256, %ecx
    jne     2b
    lidt    idtr32
    ret

/* int trap_catch32(void (*fn)(void)): vector, or -1 if fn returned. */
FUNC(trap_catch32)
    push    %ebp
    push    %ebx
    push    %esi
    push    %edi
    mov     %esp, catch_esp
    movl    $1, catch_on
    call    *20(%esp)
    movl    $0, catch_on
    mov     $-1, %eax
    jmp     1f
catch_landing:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     catch_esp, %esp
    movl    $0, catch_on
    mov     t32_vector, %eax
1:  pop     %edi
    pop     %esi
    pop     %ebx
    pop     %ebp
    ret

FUNC(do32_de)
    xor     %ecx, %ecx
    mov     $1, %eax
    xor     %edx, %edx
LABEL(de32_insn)
    div     %ecx
    ret

FUNC(do32_into_of)                      /* OF = 1: #OF is a trap */
    mov     $0x7fffffff, %eax
    add     $1, %eax
    into
LABEL(into32_after)
    ret

FUNC(do32_into_no)                      /* OF = 0: nothing */
    xor     %eax, %eax
    into
    ret

    .data
bounds: .long 10, 20
    .text
FUNC(do32_bound_out)
    mov     $21, %eax
LABEL(bound32_insn)
    bound   %eax, bounds
    ret

FUNC(do32_bound_in)
    mov     $20, %eax
    bound   %eax, bounds
    ret

FUNC(do32_ud2)
LABEL(ud32_insn)
    ud2
    ret

FUNC(do32_write_ro)                     /* write through a read-only data segment */
    mov     $0x18, %eax
    mov     %eax, %es
    mov     $0x200000, %eax
LABEL(wro32_insn)
    movl    $1, %es:(%eax)
    mov     $0x10, %eax
    mov     %eax, %es
    ret

FUNC(do32_limit_read)                   /* ES limit 0xfff: dword at 0x1000 */
    mov     $0x20, %eax
    mov     %eax, %es
LABEL(lim32_insn)
    mov     %es:0x1000, %eax
    mov     $0x10, %eax
    mov     %eax, %es
    ret

FUNC(do32_limit_straddle)               /* dword at 0xffe: last byte beyond the limit */
    mov     $0x20, %eax
    mov     %eax, %es
LABEL(limstr32_insn)
    mov     %es:0xffe, %eax
    mov     $0x10, %eax
    mov     %eax, %es
    ret

FUNC(do32_limit_ok)                     /* dword at 0xffc: fits */
    mov     $0x20, %eax
    mov     %eax, %es
    mov     %es:0xffc, %eax
    mov     $0x10, %eax
    mov     %eax, %es
    ret

FUNC(do32_ss_limit)                     /* EBP base -> SS; SS limit 16 MiB - 1 */
    mov     $0x30, %eax
    mov     %eax, %ss
    mov     $0x1000000, %ebp
LABEL(sslim32_insn)
    mov     (%ebp), %eax
    mov     $0x10, %eax
    mov     %eax, %ss
    ret

FUNC(do32_np)
    mov     $0x28, %eax
LABEL(np32_insn)
    mov     %eax, %ds
    mov     $0x10, %eax
    mov     %eax, %ds
    ret

FUNC(do32_null_seg)                     /* access through a null ES */
    xor     %eax, %eax
    mov     %eax, %es
LABEL(null32_insn)
    mov     %es:0x1000, %eax
    mov     $0x10, %eax
    mov     %eax, %es
    ret

FUNC(do32_jmp_data)                     /* far JMP to a data segment: #GP(selector) */
LABEL(jmpdata32_insn)
    ljmp    $0x10, $0
    ret

FUNC(do32_int30)
    int     $0x30
LABEL(int30_after)
    ret

FUNC(do32_read)                         /* eax-free probe: reads [0x40000000] */
LABEL(read32_insn)
    mov     0x40000000, %eax
    ret

    .section .note.GNU-stack, "", @progbits
