/* kentry.S — common entry of the 32-bit test kernels, after the Multiboot header's _start.
 *
 * Saves the state the boot loader left (EAX, EBX, ESP, EFLAGS, CR0, the six segment selectors)
 * in mb_entry (lib/mb.h) before changing any of it, sets the kernel stack and calls
 * kernel_start() (kcrt.c), which never returns. Nothing here reloads a segment register or
 * relies on the GDTR: the specifications say the GDT may be invalid (v1 3.2, v2 "I386 machine state").
 */
    .section .text.entry, "ax"
    .code32
    .globl  kentry
kentry:
    mov     %eax, mb_entry + 0
    mov     %ebx, mb_entry + 4
    mov     %esp, mb_entry + 8
    mov     $kstack_top, %esp           /* MOV does not change EFLAGS */
    pushfl
    popl    mb_entry + 12
    mov     %cr0, %eax
    mov     %eax, mb_entry + 16
    movw    %cs, mb_entry + 20
    movw    %ds, mb_entry + 22
    movw    %es, mb_entry + 24
    movw    %fs, mb_entry + 26
    movw    %gs, mb_entry + 28
    movw    %ss, mb_entry + 30
    cli
    cld
    xor     %ebp, %ebp
    call    kernel_start
1:  cli
    hlt
    jmp     1b

    .section .data
    .balign 8
    .globl  mb_entry
mb_entry:
    .fill   36, 1, 0

    .section .bss.stack, "aw", @nobits
    .balign 4096
    .skip   65536
kstack_top:
    .section .note.GNU-stack, "", @progbits
