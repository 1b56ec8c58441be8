/* exceptions32.c — exceptions in 32-bit protected mode (SDM Vol. 3 6.12-6.15, 5.3-5.6): the
 * vectors that exist only outside 64-bit mode (#OF from INTO, #BR from BOUND), segment-limit and
 * segment-type checks, the 32-bit exception frame, and #PF with 32-bit paging. */
#include "lib/test.h"
#include "lib/x86.h"

void sys32_init(void);
int trap_catch32(void (*fn)(void));
void t32_unexpected(void);
extern uint32_t t32_vector, t32_error, t32_eip, t32_cs, t32_eflags, t32_cr2;
extern char de32_insn[], into32_after[], bound32_insn[], ud32_insn[], wro32_insn[], lim32_insn[],
    limstr32_insn[], sslim32_insn[], np32_insn[], null32_insn[], jmpdata32_insn[],
    int30_after[], read32_insn[];
void do32_de(void), do32_into_of(void), do32_into_no(void), do32_bound_out(void),
    do32_bound_in(void), do32_ud2(void), do32_write_ro(void), do32_limit_read(void),
    do32_limit_straddle(void), do32_limit_ok(void), do32_ss_limit(void), do32_np(void),
    do32_null_seg(void), do32_jmp_data(void), do32_int30(void), do32_read(void);

#define NOERR 0xffffffffu

void t32_unexpected(void)
{
    t_check(0, "no unexpected exception", "vector %u error 0x%x at EIP 0x%x", t32_vector,
            t32_error, t32_eip);
    t_finish();
    target_exit(2);
}

static void expect(const char *name, void (*fn)(void), int vec, uint32_t err, const void *eip)
{
    int v = trap_catch32(fn);
    uint32_t want_eip = (uint32_t)(uintptr_t)eip;
    t_check(v == vec && (v < 0 || (t32_error == err && (!eip || t32_eip == want_eip))), name,
            "got vector %d error 0x%x EIP 0x%x; want vector %d error 0x%x EIP 0x%x", v,
            v < 0 ? 0 : t32_error, v < 0 ? 0 : t32_eip, vec, err, want_eip);
}

static uint32_t pd[1024] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint32_t pt[1024] __attribute__((aligned(4096), section(".bss.pagetables")));

int main(void)
{
    t_begin("exceptions32");
    sys32_init();
    expect("#DE on DIV by zero", do32_de, 0, NOERR, de32_insn);
    t_eq("  ... 32-bit frame: saved CS", t32_cs, 0x08);
    t_check(t32_eflags & 2, "  ... 32-bit frame: saved EFLAGS has bit 1 set", "EFLAGS 0x%x",
            t32_eflags);
    expect("#OF from INTO with OF=1 is a trap (EIP after INTO)", do32_into_of, 4, NOERR,
           into32_after);
    expect("no exception from INTO with OF=0", do32_into_no, -1, 0, 0);
    expect("#UD for UD2", do32_ud2, 6, NOERR, ud32_insn);
    expect("#GP(0) writing through a read-only data segment", do32_write_ro, 13, 0, wro32_insn);
    expect("#GP(0) reading beyond a segment limit", do32_limit_read, 13, 0, lim32_insn);
    expect("#GP(0) for a dword straddling the segment limit", do32_limit_straddle, 13, 0,
           limstr32_insn);
    expect("no exception for a dword ending at the limit", do32_limit_ok, -1, 0, 0);
    expect("#SS(0) for an EBP-based access beyond the SS limit", do32_ss_limit, 12, 0,
           sslim32_insn);
    expect("#NP(sel) loading DS with a not-present segment", do32_np, 11, 0x28, np32_insn);
    expect("#GP(0) for an access through a null segment", do32_null_seg, 13, 0, null32_insn);
    expect("#GP(sel) for a far JMP to a data segment", do32_jmp_data, 13, 0x10, jmpdata32_insn);
    expect("INT 0x30 delivers vector 0x30 with EIP after the INT", do32_int30, 0x30, NOERR,
           int30_after);

    /* 32-bit paging: identity 4 MiB pages, 0x40000000 through a 4 KiB table, not present. */
    for (uint32_t i = 0; i < 1024; i++)
        pd[i] = (i << 22) | 0x83;
    pd[0x40000000u >> 22] = (uint32_t)(uintptr_t)pt | 0x3;
    write_cr4(read_cr4() | X86_CR4_PSE);
    write_cr3((uint32_t)(uintptr_t)pd);
    write_cr0(read_cr0() | X86_CR0_PG);
    expect("#PF(0) reading a not-present page with 32-bit paging", do32_read, 14, 0, read32_insn);
    t_eq("  ... CR2 = faulting address", t32_cr2, 0x40000000u);
    pt[0] = 0x200000u | 0x1;
    __asm__ volatile("invlpg 0x40000000" ::: "memory");
    expect("no exception once the page is present", do32_read, -1, 0, 0);
    write_cr0(read_cr0() & ~X86_CR0_PG);
    /* last: an hvsim without BOUND stops here as "unsupported" */
    expect("#BR from BOUND with the index above the upper bound", do32_bound_out, 5, NOERR,
           bound32_insn);
    expect("no exception from BOUND within bounds", do32_bound_in, -1, 0, 0);
    return t_finish();
}
