/* trampoline.S — the application processors' start-up code, real mode to IA-32e mode
 * (SDM Vol. 3 9.4.4 "MP Initialization Example", 9.9.1 "Switching to Protected Mode", 9.8.5
 * "Initializing IA-32e Mode").
 *
 * smp.c copies [hv_tramp_start, hv_tramp_end) to hv_boot.trampoline (a page below 1 MiB) and
 * fills hv_tramp_cr3 (hv_boot_pml4), hv_tramp_stack, hv_tramp_lp and hv_tramp_entry (hv_ap_main)
 * in the copy before each AP's start-up IPI. A start-up IPI with vector VV starts the AP in real
 * mode at CS:IP = VV00:0000, CS base VV000H (SDM 9.4.4.1, 11.6.1). The code:
 *   1. takes its base from CS (EBX = CS << 4), so it runs from any page, and writes the base into
 *      its GDT pointer and far-jump targets (data inside the copy);
 *   2. loads its GDT (00H null, 08H 64-bit code, 10H data, 18H 32-bit code), sets CR0.PE, jumps
 *      far to 18H: 32-bit protected mode;
 *   3. loads the data segments, CR3 = the BSP's PML4, CR4.PAE, IA32_EFER.LME, CR0.PG | NE, and
 *      jumps far to 08H: 64-bit mode;
 *   4. loads the hypervisor's boot GDT (hv_boot_gdtr, same selectors), RSP = hv_tramp_stack, and
 *      calls hv_tramp_entry(hv_tramp_lp), which never returns.
 * Invariants: position-independent except through EBX; the BSP starts one AP at a time and
 * rewrites hv_tramp_stack/lp only after the previous AP reported online (so one copy serves all).
 */
#define OFF(x) ((x) - hv_tramp_start)

    .section .rodata.trampoline, "a"
    .code16
    .balign 16
    .globl  hv_tramp_start, hv_tramp_end
    .globl  hv_tramp_cr3, hv_tramp_stack, hv_tramp_lp, hv_tramp_entry
hv_tramp_start:
    cli
    cld
    mov     %cs, %ax
    mov     %ax, %ds
    movzwl  %ax, %ebx
    shl     $4, %ebx                        /* EBX = the copy's linear base */
    leal    OFF(tgdt)(%ebx), %eax
    movl    %eax, OFF(tgdt_ptr) + 2
    leal    OFF(pm32)(%ebx), %eax
    movl    %eax, OFF(far32)
    leal    OFF(lm64)(%ebx), %eax
    movl    %eax, OFF(far64)
    lgdtl   OFF(tgdt_ptr)
    mov     %cr0, %eax
    or      $1, %eax                        /* PE */
    mov     %eax, %cr0
    ljmpl   *OFF(far32)

    .code32
pm32:
    mov     $0x10, %ax
    mov     %ax, %ds
    mov     %ax, %es
    mov     %ax, %ss
    mov     OFF(hv_tramp_cr3)(%ebx), %eax
    mov     %eax, %cr3
    mov     %cr4, %eax
    or      $0x20, %eax                     /* PAE */
    mov     %eax, %cr4
    mov     $0xC0000080, %ecx               /* IA32_EFER.LME */
    rdmsr
    or      $0x100, %eax
    wrmsr
    mov     %cr0, %eax
    or      $0x80000020, %eax               /* PG | NE */
    mov     %eax, %cr0
    ljmp    *OFF(far64)(%ebx)

    .code64
lm64:
    mov     %ebx, %ebx                      /* zero-extend the base */
    lgdt    hv_boot_gdtr                    /* absolute: the image lies below 2 GiB */
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     OFF(hv_tramp_stack)(%rbx), %rsp
    mov     OFF(hv_tramp_lp)(%rbx), %rdi
    mov     OFF(hv_tramp_entry)(%rbx), %rax
    xor     %ebp, %ebp
    call    *%rax
1:  cli
    hlt
    jmp     1b

    .balign 8
tgdt:
    .quad   0
    .quad   0x00af9a000000ffff              /* 08H: 64-bit code */
    .quad   0x00cf92000000ffff              /* 10H: flat data */
    .quad   0x00cf9a000000ffff              /* 18H: 32-bit code */
tgdt_ptr:
    .word   4 * 8 - 1
    .long   0                               /* linear address of tgdt: written at step 1 */
    .balign 4
far32:
    .long   0
    .word   0x18
    .balign 4
far64:
    .long   0
    .word   0x08
    .balign 8
hv_tramp_cr3:   .quad 0
hv_tramp_stack: .quad 0
hv_tramp_lp:    .quad 0
hv_tramp_entry: .quad 0
hv_tramp_end:
    .section .note.GNU-stack, "", @progbits
