/* entry.S — Multiboot2 header and the 32-bit to 64-bit entry of the root partition kernel.
 *
 * Header (Multiboot2 1.6 3.1): magic, architecture 0 (i386 protected mode), length, checksum;
 * an information request for the command line (1), modules (3) and the memory map (6), all of
 * which every Multiboot2 loader provides, and a module-alignment tag (modules page-aligned).
 * The hypervisor starts the root the same way a loader would (docs/HYPERVISOR.md "Boot").
 *
 * Entry (Multiboot2 3.3 "I386 machine state": EAX magic, EBX information, protected mode, paging
 * off): identity-map the first 4 GiB with 2 MiB pages (PML4 -> PDPT -> 4 PDs, SDM Vol. 3 4.5),
 * CR4.PAE, EFER.LME, CR0.PG (SDM Vol. 3 9.8.5), far jump to a 64-bit code segment of our own
 * GDT, then root_main(magic, info). Touches no memory outside the image: tables, GDT and stack
 * are in it.
 */
#include "krt/long_mode.inc"

    .section .multiboot, "a"
    .balign 8
mb2_header:
    .long   0xE85250D6
    .long   0
    .long   mb2_header_end - mb2_header
    .long   -(0xE85250D6 + 0 + (mb2_header_end - mb2_header))
    .balign 8
1:  .short  1, 0                        /* information request, required */
    .long   2f - 1b
    .long   1, 3, 6
2:  .balign 8
    .short  6, 0                        /* module alignment */
    .long   8
    .balign 8
    .short  0, 0                        /* end */
    .long   8
mb2_header_end:

    .section .text.entry, "ax"
    .code32
    .globl  _start
_start:
    cli
    cld
    mov     %eax, root_mb_magic
    mov     %ebx, root_mb_info
    mov     $root_stack_top, %esp
    /* the first 4 GiB, 2 MiB pages */
    KRT_IDMAP_2M root_pd, root_pdpt, root_pml4, 4
    KRT_ENTER_LONG_MODE root_pml4, root_gdtr, start64

    .code64
start64:
    KRT_FLAT_DATA_SEGMENTS
    mov     $root_stack_top, %rsp
    xor     %ebp, %ebp
    mov     root_mb_magic(%rip), %edi
    mov     root_mb_info(%rip), %esi
    call    root_main
3:  cli
    hlt
    jmp     3b

    .section .rodata
    .balign 16
    KRT_BOOT_GDT root_gdt, root_gdtr

    .section .data
    .balign 8
root_mb_magic: .long 0
root_mb_info:  .long 0

    .section .bss.page, "aw", @nobits
    .balign 4096
root_pml4:  .skip 4096
root_pdpt:  .skip 4096
root_pd:    .skip 4 * 4096
    .section .bss
    .balign 16
    .skip   65536
root_stack_top:
    .section .note.GNU-stack, "", @progbits
