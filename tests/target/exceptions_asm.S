/* exceptions_asm.S — instruction sequences that raise one exception each, for exceptions.c.
 * Each is a function called through trap_catch(); the label *_insn marks the instruction that
 * faults (the saved RIP of a fault) and *_after the one after a trap (the saved RIP of a trap),
 * SDM Vol. 3 6.5. Functions in .user.text run at CPL 3 and end with int $0x30. */
    .code64
    .text
#define FUNC(n) .globl n; n:
#define LABEL(n) .globl n; n:

FUNC(do_de)
    xor     %ecx, %ecx
    mov     $1, %eax
    xor     %edx, %edx
LABEL(de_insn)
    div     %ecx
    ret

FUNC(do_de_idiv)                        /* INT32_MIN / -1 does not fit: #DE */
    mov     $0x80000000, %eax
    mov     $0xffffffff, %edx
    mov     $-1, %ecx
LABEL(ide_insn)
    idiv    %ecx
    ret

FUNC(do_db_step)                        /* TF set by POPF traps after the next instruction */
    pushfq
    orq     $0x100, (%rsp)
    popfq
LABEL(db_insn)
    nop
LABEL(db_after)
    pushfq
    andq    $~0x100, (%rsp)
    popfq
    ret

FUNC(do_bp)
    int3
LABEL(bp_after)
    ret

FUNC(do_into64)                         /* INTO is invalid in 64-bit mode: #UD */
LABEL(into_insn)
    .byte   0xce
    ret

FUNC(do_ud2)
LABEL(ud_insn)
    ud2
    ret

FUNC(do_lock_reg)                       /* LOCK ADD with a register destination: #UD */
LABEL(lock_insn)
    .byte   0xf0, 0x01, 0xc3
    ret

FUNC(do_fxsave)                         /* rdi = 16-byte aligned 512-byte buffer */
LABEL(fxsave_insn)
    fxsave  (%rdi)
    ret

FUNC(do_gp_noncanon)
    movabs  $0x8000000000000000, %rax
LABEL(gpnc_insn)
    mov     (%rax), %rbx
    ret

FUNC(do_ss_noncanon)                    /* RBP-based: SS segment: #SS(0) */
    movabs  $0x8000000000000000, %rbp
LABEL(ssnc_insn)
    mov     (%rbp), %rax
    ret

FUNC(do_load_ds)                        /* rdi = selector */
    mov     %edi, %eax
LABEL(lds_insn)
    mov     %eax, %ds
    mov     $0x10, %eax
    mov     %eax, %ds
    ret

FUNC(do_load_ss)                        /* rdi = selector */
    mov     %edi, %eax
LABEL(lss_insn)
    mov     %eax, %ss
    mov     $0x10, %eax
    mov     %eax, %ss
    ret

FUNC(do_wrmsr)                          /* rdi = MSR index */
    mov     %edi, %ecx
    xor     %eax, %eax
    xor     %edx, %edx
LABEL(wrmsr_insn)
    wrmsr
    ret

FUNC(do_rdmsr)
    mov     %edi, %ecx
LABEL(rdmsr_insn)
    rdmsr
    ret

FUNC(do_iret_nt)                        /* IRET with NT=1 in IA-32e mode: #GP(0) */
    mov     %rsp, %rax
    push    $0x10
    push    %rax
    pushfq
    orq     $0x4000, (%rsp)
    popfq
    pushfq
    push    $0x08
    lea     1f(%rip), %rcx
    push    %rcx
LABEL(iretnt_insn)
    iretq
1:  ret

FUNC(do_int81)
LABEL(int81_insn)
    int     $0x81
    ret

/* ---- CPL 3 ---- */
    .section .user.text, "ax"

FUNC(user_done)
    int     $0x30

FUNC(user_int80)                        /* gate DPL 0 < CPL 3: #GP(0x80 * 8 + 2) */
LABEL(uint80_insn)
    int     $0x80
    int     $0x30

FUNC(user_cli)                          /* IOPL 0 < CPL 3: #GP(0) */
LABEL(ucli_insn)
    cli
    int     $0x30

FUNC(user_hlt)
LABEL(uhlt_insn)
    hlt
    int     $0x30

FUNC(user_movcr)
LABEL(umovcr_insn)
    mov     %cr0, %rax
    int     $0x30

FUNC(user_out)                          /* IOPL 0 and no I/O bitmap: #GP(0) */
LABEL(uout_insn)
    out     %al, $0x80
    int     $0x30

FUNC(user_int3)                         /* gate DPL 3: #BP delivered, trap */
    int3
LABEL(uint3_after)
    int     $0x30

FUNC(user_read_super)                   /* supervisor page from CPL 3: #PF(P|U) */
LABEL(usuper_insn)
    mov     0x100000, %eax
    int     $0x30

FUNC(user_ac)                           /* misaligned load with CR0.AM = RFLAGS.AC = 1 */
    mov     %rsp, %rax
LABEL(uac_insn)
    mov     -15(%rax), %ecx
    int     $0x30

FUNC(user_aligned)                      /* the same load, aligned: no #AC */
    mov     %rsp, %rax
    mov     -16(%rax), %ecx
    int     $0x30

    .section .note.GNU-stack, "", @progbits
