/* paging_asm.S — CPL-3 probes for paging.c: they touch the test page at 0x40000000 and
 * finish with int $0x30. */
    .code64
    .section .user.text, "ax"
#define FUNC(n) .globl n; n:
#define LABEL(n) .globl n; n:

FUNC(user_read_tva)
LABEL(uread_insn)
    mov     0x40000000, %rax
    int     $0x30

FUNC(user_write_tva)
LABEL(uwrite_insn)
    movq    $5, 0x40000000
    int     $0x30

    .section .note.GNU-stack, "", @progbits
