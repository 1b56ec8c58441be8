/* vmx_entry.S — Multiboot v1 header and the 32-bit to 64-bit entry of the VMX test kernels.
 *
 * A VMX test kernel is one ELF64 image linked at 1 MiB (lib/vmx_kernel.ld) that the Multiboot
 * loader enters in 32-bit protected mode, paging off (Multiboot 0.6.96 3.2). _start switches to
 * IA-32e mode the way SDM Vol. 3 9.8.5 describes: identity-map the first 4 GiB with 2 MiB pages
 * (PML4 -> PDPT -> 4 page directories, 4.5), CR4.PAE, EFER.LME, CR0.PG (with PE, NE), then a far
 * jump to a 64-bit code segment of a bootstrap GDT, and calls vmx_kernel_start (vmx_rt.c).
 * Invariants: CR0.NE is set (a VMX fixed-1 bit, A.7); the bootstrap GDT has the selectors the
 * runtime keeps (08H 64-bit code, 10H data: lib/trap64.h), so sys64_init's GDT switch is seamless.
 * Touches no memory below the image: the page tables and the stack are in the image's .bss.
 */
#include "krt/long_mode.inc"

#define MB1_FLAGS 0x00000003            /* page-aligned modules, memory information */

    .section .multiboot, "a"
    .balign 4
    .long   0x1BADB002
    .long   MB1_FLAGS
    .long   -(0x1BADB002 + MB1_FLAGS)

    .section .text.entry, "ax"
    .code32
    .globl  _start
_start:
    cli
    mov     %eax, vmx_mb_magic
    mov     %ebx, vmx_mb_info
    mov     $boot_stack_top, %esp
    cld
    /* the first 4 GiB, 2 MiB pages */
    KRT_IDMAP_2M boot_pd, boot_pdpt, boot_pml4, 4
    KRT_ENTER_LONG_MODE boot_pml4, boot_gdtr, start64

    .code64
start64:
    KRT_FLAT_DATA_SEGMENTS
    mov     $boot_stack_top, %esp
    xor     %ebp, %ebp
    call    vmx_kernel_start
3:  cli
    hlt
    jmp     3b

    .section .rodata
    .balign 16
    KRT_BOOT_GDT boot_gdt, boot_gdtr

    .section .data
    .balign 8
    .globl  vmx_mb_magic, vmx_mb_info
vmx_mb_magic: .long 0
vmx_mb_info:  .long 0

    .section .bss.pagetables, "aw", @nobits
    .balign 4096
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .skip   65536
    .globl  boot_stack_top
boot_stack_top:
    .section .note.GNU-stack, "", @progbits
