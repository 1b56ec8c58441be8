/* entry.S — entry of the child partition kernel. The root starts VP 0 in long mode at _start
 * with paging on (its identity page tables), RSP = the top of the child's memory and RDI = the
 * command line's address (docs/HYPERVISOR.md "Partition memory layout"). `hvsim exec` starts it
 * the same way with RDI = the RAM size (no command line: the child then finds no hypervisor).
 * The stack is aligned for the C ABI and child_main(rdi) is called; it never returns.
 */
    .section .text.entry, "ax"
    .code64
    .globl  _start
_start:
    cli
    cld
    and     $-16, %rsp
    xor     %ebp, %ebp
    call    child_main
1:  hlt
    jmp     1b
    .section .note.GNU-stack, "", @progbits
