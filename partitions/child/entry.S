/* entry.S — entry of the child partition kernel. The root starts every VP in long mode at
 * _start with paging on (its identity page tables), RDI = the command line's address, RSI = the
 * VP index and RSP = the top of that VP's own stack (size - k * 64 KiB; docs/HYPERVISOR.md
 * "Child memory layout"). RSI = 0: VP 0, child_main(cmdline); otherwise child_ap_main(cmdline,
 * k, stack top) (smp.c), which checks for a hypervisor first: `hvsim exec` starts the kernel
 * with RDI = the RAM size and RSI = the first free address (no command line, no hypervisor),
 * and both paths then say so and exit. The stack is aligned for the C ABI; neither returns.
 */
    .section .text.entry, "ax"
    .code64
    .globl  _start
_start:
    cli
    cld
    mov     %rsp, %rdx                  /* the stack's top, for child_ap_main */
    and     $-16, %rsp
    xor     %ebp, %ebp
    test    %rsi, %rsi
    jnz     2f
    call    child_main
1:  hlt
    jmp     1b
2:  call    child_ap_main
    jmp     1b
    .section .note.GNU-stack, "", @progbits
