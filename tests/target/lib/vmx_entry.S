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
    /* page directories: entry k maps k * 2 MiB (PS | RW | P), k = 0 .. 2047 */
    mov     $boot_pd, %edi
    xor     %ecx, %ecx
1:  mov     %ecx, %eax
    shl     $21, %eax
    or      $0x83, %eax
    mov     %eax, (%edi,%ecx,8)
    movl    $0, 4(%edi,%ecx,8)
    inc     %ecx
    cmp     $2048, %ecx
    jb      1b
    /* PDPT entries 0-3 -> the four page directories */
    mov     $boot_pdpt, %edi
    mov     $boot_pd + 3, %eax
    xor     %ecx, %ecx
2:  mov     %eax, (%edi,%ecx,8)
    movl    $0, 4(%edi,%ecx,8)
    add     $4096, %eax
    inc     %ecx
    cmp     $4, %ecx
    jb      2b
    movl    $boot_pdpt + 3, boot_pml4
    movl    $0, boot_pml4 + 4
    mov     %cr4, %eax
    or      $0x20, %eax                 /* PAE */
    mov     %eax, %cr4
    mov     $boot_pml4, %eax
    mov     %eax, %cr3
    mov     $0xc0000080, %ecx           /* IA32_EFER.LME */
    rdmsr
    or      $0x100, %eax
    wrmsr
    mov     %cr0, %eax
    or      $0x80000021, %eax           /* PG | NE | PE */
    mov     %eax, %cr0
    lgdt    boot_gdtr
    ljmp    $0x08, $start64

    .code64
start64:
    mov     $0x10, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
    mov     $boot_stack_top, %esp
    xor     %ebp, %ebp
    call    vmx_kernel_start
3:  cli
    hlt
    jmp     3b

    .section .rodata
    .balign 16
boot_gdt:
    .quad   0
    .quad   0x00af9a000000ffff          /* 08H: 64-bit code, DPL 0 */
    .quad   0x00cf92000000ffff          /* 10H: flat data, DPL 0 */
boot_gdtr:
    .word   boot_gdtr - boot_gdt - 1
    .long   boot_gdt

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
