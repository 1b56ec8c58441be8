/* trap64_asm.S — IDT entry stubs, the common trap path, trap_catch and the ring-3 entry (see
 * trap64.h). Stubs push a zero error code for vectors without one (SDM Vol. 3 6.13: 8, 10-14,
 * 17, 21 push one) and the vector; the common path saves all GPRs and calls trap_dispatch. */
    .code64
    .text

    .balign 16
    .globl  trap_stub_base
trap_stub_base:                     /* stub of vector v is at trap_stub_base + 16 * v */
    .set    vec, 0
    .rept   256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push    $-1
    .endif
    push    $vec
    jmp     trap_common
    .set    vec, vec + 1
    .endr

trap_common:
    push    %rax
    push    %rbx
    push    %rcx
    push    %rdx
    push    %rsi
    push    %rdi
    push    %rbp
    push    %r8
    push    %r9
    push    %r10
    push    %r11
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    mov     %rsp, %rdi
    mov     %rsp, %rbx
    and     $-16, %rsp
    cld
    call    trap_dispatch
    mov     %rbx, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %r11
    pop     %r10
    pop     %r9
    pop     %r8
    pop     %rbp
    pop     %rdi
    pop     %rsi
    pop     %rdx
    pop     %rcx
    pop     %rbx
    pop     %rax
    add     $16, %rsp
    iretq

/* int trap_catch(void (*fn)(void *), void *arg) */
    .globl  trap_catch
trap_catch:
    push    %rbp
    push    %rbx
    push    %r12
    push    %r13
    push    %r14
    push    %r15
    sub     $8, %rsp                /* keep the ABI's 16-byte alignment at the call */
    mov     %rsp, catch_rsp(%rip)
    movl    $1, catch_active(%rip)
    mov     %rdi, %rax
    mov     %rsi, %rdi
    call    *%rax
    movl    $0, catch_active(%rip)
    mov     $-1, %eax
    jmp     1f
    .globl  trap_landing
trap_landing:                       /* iretq from trap_dispatch lands here, CPL 0 */
    mov     catch_rsp(%rip), %rsp
    movl    $0, catch_active(%rip)
    mov     catch_vector(%rip), %eax
1:  add     $8, %rsp
    pop     %r15
    pop     %r14
    pop     %r13
    pop     %r12
    pop     %rbx
    pop     %rbp
    ret

/* Memory-access probes for tests, called through trap_catch (rdi = address). The *_insn labels
 * mark the instruction that faults. */
    .globl  do_read, do_write, do_call, read_insn, write_insn
do_read:
read_insn:
    mov     (%rdi), %rax
    ret
do_write:
write_insn:
    movq    $1, (%rdi)
    ret
do_call:
    call    *%rdi
    ret

/* void enter_user(void (*fn)(void), uint64_t rflags): iretq to fn at CPL 3 on the user stack. */
    .globl  enter_user
enter_user:
    push    $0x1b                   /* SS = user data | RPL 3 */
    lea     user_stack_top(%rip), %rax
    push    %rax
    push    %rsi                    /* RFLAGS */
    push    $0x23                   /* CS = user code | RPL 3 */
    push    %rdi
    iretq

    .section .user.data, "aw"
    .balign 4096
    .globl  user_stack_top
user_stack:
    .skip   16384
user_stack_top:
    .section .note.GNU-stack, "", @progbits
