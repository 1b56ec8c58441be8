/* entry.S — the hypervisor's 32-bit entry hv_start and the switch to IA-32e mode
 * (docs/HYPERVISOR.md "Boot" 1-2).
 *
 * The Multiboot2 loader enters hv_start in 32-bit protected mode, paging off, EAX = 0x36D76289,
 * EBX = the boot information's physical address (Multiboot2 spec 3.3 "I386 machine state"); the
 * stack is undefined. hv_start:
 *   1. saves EAX and EBX (hv_mb_magic, hv_mb_info) before anything touches them;
 *   2. builds an identity map of the first HV_IDMAP_GIB GiB with 2 MiB pages in .bss (SDM Vol. 3
 *      4.5: PML4E 0 -> PDPT, PDPTE k -> page directory k, PDE j -> (k * 512 + j) * 2 MiB with
 *      PS | RW | P), so every RAM address the hypervisor touches is mapped at itself;
 *   3. enables IA-32e mode as SDM Vol. 3 9.8.5 orders it: CR4.PAE, CR3 = the PML4,
 *      IA32_EFER.LME, then CR0.PG (with PE and NE kept set);
 *   4. loads a bootstrap GDT (08H 64-bit code, 10H flat data: the selectors of hv/arch/gdt.c)
 *      and jumps far into 64-bit code, loads the data segments, sets RSP to the top of LP 0's
 *      stack and calls hv_main(magic, info) (hv/boot/main.c), which never returns.
 * The APs reach 64-bit mode through hv/boot/trampoline.S with the same PML4 (hv_boot_pml4) and
 * GDT (hv_boot_gdtr).
 * Invariants: the image lies below 4 GiB (hv.ld), so 32-bit absolute addresses reach everything
 * used here; HV_STACK_SIZE (hv/arch/lp.h) is 16384 (checked in hv/arch/lp.c).
 */
#include "krt/long_mode.inc"

#define HV_STACK_SIZE 16384
#define HV_IDMAP_GIB 64                 /* = page directories = PDPT entries used */

    .section .text.entry, "ax"
    .code32
    .globl  hv_start
hv_start:
    cli
    cld
    mov     %eax, hv_mb_magic
    mov     %ebx, hv_mb_info
    /* page directories: entry k (k = 0 .. 512 * HV_IDMAP_GIB - 1) maps k * 2 MiB */
    KRT_IDMAP_2M hv_boot_pd, hv_boot_pdpt, hv_boot_pml4, HV_IDMAP_GIB
    /* SDM Vol. 3 9.8.5 steps 2-4 */
    KRT_ENTER_LONG_MODE hv_boot_pml4, hv_boot_gdtr, start64

    .code64
start64:
    KRT_FLAT_DATA_SEGMENTS
    lea     hv_lp_stacks + HV_STACK_SIZE(%rip), %rsp
    xor     %ebp, %ebp
    mov     hv_mb_magic(%rip), %edi
    mov     hv_mb_info(%rip), %esi
    call    hv_main
3:  cli
    hlt
    jmp     3b

    .section .rodata
    .balign 16
    .globl  hv_boot_gdt, hv_boot_gdtr
    KRT_BOOT_GDT hv_boot_gdt, hv_boot_gdtr

    .section .data
    .balign 8
    .globl  hv_mb_magic, hv_mb_info
hv_mb_magic: .long 0
hv_mb_info:  .long 0

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
    .globl  hv_boot_pml4
hv_boot_pml4:   .skip 4096
hv_boot_pdpt:   .skip 4096
hv_boot_pd:     .skip HV_IDMAP_GIB * 4096
    .section .note.GNU-stack, "", @progbits
