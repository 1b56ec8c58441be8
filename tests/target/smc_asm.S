/* smc_asm.S — self-modifying code for smc.c: stores into instructions of the same basic block
 * that have not executed yet (SDM Vol. 3 8.1.3: the store must be seen by the fetch). */
    .code64
    .text
#define FUNC(n) .globl n; n:

/* Patch the imm8 of the very next instruction; returns what that instruction loaded. */
FUNC(smc_next_insn)
    movb    %dil, 1f+1(%rip)
1:  mov     $0x11, %al
    movzbl  %al, %eax
    ret

/* Patch an instruction three instructions ahead in the same block. */
FUNC(smc_ahead)
    movl    %edi, 2f+1(%rip)
    nop
    nop
2:  mov     $0x22222222, %eax
    ret

/* Loop n=rdi times; each iteration rewrites the ADD immediate that already executed earlier in
 * this block and that runs again next iteration: the k-th ADD (k >= 2) adds k, the first adds
 * 0. Returns 2 + 3 + ... + n. */
FUNC(smc_loop)
    xor     %eax, %eax
    mov     $1, %ecx
3:  .byte   0x05                /* add $imm32, %eax: immediate rewritten below */
    .long   0
    inc     %ecx
    movl    %ecx, 3b+1(%rip)
    cmp     %edi, %ecx
    jbe     3b
    movl    $0, 3b+1(%rip)      /* restore for the next call */
    ret

/* Copy rdx bytes from rsi to rdi with REP MOVSB (string store over code). */
FUNC(smc_rep_movsb)
    mov     %rdx, %rcx
    cld
    rep movsb
    ret

    .section .note.GNU-stack, "", @progbits
