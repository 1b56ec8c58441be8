/* crt0_32.S — entry of 32-bit target programs: set the stack, save the entry registers, call
 * main(), then report main's return value on the debug-exit port (target_exit).
 * Entered in protected mode, CPL 0, flat segments, paging off (sim/direct_boot.h). */
    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    mov     $stack_top, %esp
    xor     %ebp, %ebp
    mov     %edi, boot_ram_size
    mov     %esi, boot_free_base
    call    main
    .globl  __target_exit
__target_exit:
    push    %eax
    call    target_exit
1:  hlt
    jmp     1b

    .section .bss
    .balign 16
    .globl  boot_ram_size, boot_free_base
boot_ram_size:  .long 0
boot_free_base: .long 0
    .section .bss.stack, "aw", @nobits
    .balign 4096
stack_bottom:
    .skip   65536
stack_top:
    .section .note.GNU-stack, "", @progbits
