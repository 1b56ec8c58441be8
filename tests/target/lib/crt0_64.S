/* crt0_64.S — entry of 64-bit target programs: set the stack, save the entry registers, call
 * main(), then report main's return value on the debug-exit port (target_exit).
 * Entered in long mode, CPL 0, identity paging (sim/direct_boot.h convention). */
    .section .text.entry, "ax"
    .code64
    .globl _start
_start:
    cli
    lea     stack_top(%rip), %rsp
    xor     %ebp, %ebp
    mov     %rdi, boot_ram_size(%rip)
    mov     %rsi, boot_free_base(%rip)
    call    main
    /* The benchmark runs exactly up to here on both CPUs (bench/hvsim_bench.c). */
    .globl  __target_exit
__target_exit:
    mov     %eax, %edi
    call    target_exit
1:  hlt
    jmp     1b

    .section .bss
    .balign 16
    .globl  boot_ram_size, boot_free_base
boot_ram_size:  .quad 0
boot_free_base: .quad 0
    .section .bss.stack, "aw", @nobits
    .balign 4096
stack_bottom:
    .skip   65536
stack_top:
    .section .note.GNU-stack, "", @progbits
