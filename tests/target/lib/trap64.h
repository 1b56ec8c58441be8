/* trap64.h — 64-bit system setup and exception catching for target tests.
 *
 * sys64_init() installs a GDT (below), a TSS (RSP0 = a kernel interrupt stack) and an IDT whose
 * 256 vectors all enter trap_dispatch(). trap_catch(fn, arg) runs fn and, if any exception or
 * interrupt arrives meanwhile, records it in `last_trap` and resumes at trap_catch's return
 * (at CPL 0, on trap_catch's stack) with the vector as result; -1 if fn returned normally.
 * trap_catch_user() does the same with fn running at CPL 3 (fn must live in .user.text and
 * finish with `int $TRAP_USER_DONE`; pt_init() must have mapped .user as U=1).
 * An exception outside trap_catch prints a FAIL line and exits.
 */
#ifndef TARGET_TRAP64_H
#define TARGET_TRAP64_H

#include <stdint.h>

#define SEL_KCODE   0x08
#define SEL_KDATA   0x10
#define SEL_UDATA   0x1b    /* 0x18 | RPL 3 */
#define SEL_UCODE   0x23    /* 0x20 | RPL 3 */
#define SEL_TSS     0x28    /* 16-byte descriptor: 0x28, 0x30 */
#define SEL_NPDATA  0x38    /* data, DPL 0, not present */
#define SEL_CODE32  0x40    /* 32-bit code, DPL 0 (compatibility mode) */
#define SEL_XONLY   0x48    /* execute-only 64-bit code, DPL 0 */
#define SEL_RODATA  0x50    /* read-only data, DPL 0 */
#define GDT_ENTRIES 11

#define TRAP_USER_DONE 0x30  /* DPL-3 vector user code raises to say "finished" */
#define TRAP_NO_ERROR  (~0ull)

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

struct trap_record {
    int vector;
    uint64_t error;         /* TRAP_NO_ERROR if the vector pushes none */
    uint64_t rip, cs, rflags, rsp, ss;
    uint64_t cr2;
    uint64_t rax;
    unsigned count;         /* exceptions seen during the last trap_catch */
};

extern struct trap_record last_trap;
extern uint64_t gdt64[GDT_ENTRIES];

void sys64_init(void);
int trap_catch(void (*fn)(void *), void *arg);
int trap_catch_user(void (*fn)(void), uint64_t rflags);

/* Probes (rdi = address): read 8 bytes, write 8 bytes (value 1), call. */
void do_read(void *addr);
void do_write(void *addr);
void do_call(void *addr);
extern char read_insn[], write_insn[];

/* IDT gate of `vec`: set its DPL, or mark it (not) present. */
void idt_set_dpl(int vec, int dpl);
void idt_set_present(int vec, int present);

#endif
