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
    /* page directories: entry k maps k * 2 MiB (PS | RW | P), k = 0 .. 2047 */
    mov     $root_pd, %edi
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    mov     %eax, (%edi,%ecx,8)
    mov     %ecx, %eax
    shr     $11, %eax                   /* bits 63:32 of k * 2 MiB (0 below 4 GiB) */
    mov     %eax, 4(%edi,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jb      1b
    mov     $root_pdpt, %edi
    mov     $root_pd + 3, %eax
    xor     %ecx, %ecx
2:  mov     %eax, (%edi,%ecx,8)
    movl    $0, 4(%edi,%ecx,8)
    add     $4096, %eax
    inc     %ecx
    cmp     $4, %ecx
    jb      2b
    movl    $root_pdpt + 3, root_pml4
    movl    $0, root_pml4 + 4
    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     $root_pml4, %eax
    mov     %eax, %cr3
    mov     $0xC0000080, %ecx           /* IA32_EFER.LME */
    rdmsr
    or      $0x100, %eax
    wrmsr
    mov     %cr0, %eax
    or      $0x80000021, %eax           /* PG | NE | PE */
    mov     %eax, %cr0
    lgdt    root_gdtr
    ljmp    $0x08, $start64

    .code64
start64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
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
root_gdt:
    .quad   0
    .quad   0x00af9a000000ffff          /* 08H: 64-bit code, DPL 0 */
    .quad   0x00cf92000000ffff          /* 10H: flat data, DPL 0 */
root_gdtr:
    .word   root_gdtr - root_gdt - 1
    .long   root_gdt

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
