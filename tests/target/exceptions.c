/* exceptions.c — every exception vector hvsim delivers in 64-bit mode, with its error code,
 * saved RIP, and CR2 (SDM Vol. 3 6.3, 6.13, 6.15, 4.7). Each case provokes one exception under
 * trap_catch() and checks what the handler saw. 32-bit-only vectors (#BR, #OF via INTO) are in
 * exceptions32.c. */
#include "lib/pt64.h"
#include "lib/test.h"
#include "lib/trap64.h"
#include "lib/x86.h"

#define NOERR TRAP_NO_ERROR
#define TVA 0x40000000ull          /* test page: remapped per case */

extern char de_insn[], ide_insn[], db_after[], bp_after[], into_insn[], ud_insn[], lock_insn[],
    fxsave_insn[], gpnc_insn[], ssnc_insn[], lds_insn[], lss_insn[], wrmsr_insn[], rdmsr_insn[],
    iretnt_insn[], int81_insn[], uint80_insn[], ucli_insn[],
    uhlt_insn[], umovcr_insn[], uout_insn[], uint3_after[], usuper_insn[], uac_insn[];
void do_de(void *), do_de_idiv(void *), do_db_step(void *), do_bp(void *), do_into64(void *),
    do_ud2(void *), do_lock_reg(void *), do_fxsave(void *), do_gp_noncanon(void *),
    do_ss_noncanon(void *), do_load_ds(void *), do_load_ss(void *), do_wrmsr(void *),
    do_rdmsr(void *), do_iret_nt(void *), do_int81(void *);
void user_done(void), user_int80(void), user_cli(void), user_hlt(void), user_movcr(void),
    user_out(void), user_int3(void), user_read_super(void), user_ac(void), user_aligned(void);

static uint8_t fxarea[512] __attribute__((aligned(16)));

/* Check vector, error code and saved RIP (rip 0: not checked). */
static void check_trap(const char *name, int got, int vec, uint64_t err, const void *rip)
{
    uint64_t want_rip = (uint64_t)(uintptr_t)rip;
    int ok = vec < 0 ? got < 0 : got == vec && last_trap.error == err &&
                                 (!rip || last_trap.rip == want_rip);
    t_check(ok, name,
            "got vector %d error 0x%llx RIP 0x%llx; want vector %d error 0x%llx RIP 0x%llx", got,
            (unsigned long long)(got < 0 ? 0 : last_trap.error),
            (unsigned long long)(got < 0 ? 0 : last_trap.rip), vec, (unsigned long long)err,
            (unsigned long long)want_rip);
}

static void expect(const char *name, void (*fn)(void *), void *arg, int vec, uint64_t err,
                   const void *rip)
{
    last_trap.count = 0;
    check_trap(name, trap_catch(fn, arg), vec, err, rip);
}

static void expect_user(const char *name, void (*fn)(void), uint64_t rflags, int vec,
                        uint64_t err, const void *rip)
{
    last_trap.count = 0;
    int v = trap_catch_user(fn, rflags);
    check_trap(name, v, vec, err, rip);
    if (v == vec)
        t_eq("  ... taken from CPL 3 (saved CS)", last_trap.cs, SEL_UCODE);
}

#define SEL(x) ((void *)(uintptr_t)(x))

static void arithmetic_and_debug(void)
{
    expect("#DE on DIV by zero", do_de, 0, 0, NOERR, de_insn);
    expect("#DE on IDIV overflow", do_de_idiv, 0, 0, NOERR, ide_insn);
    expect("#DB single-step trap after the instruction following POPF(TF=1)", do_db_step, 0, 1,
           NOERR, db_after);
    expect("#BP from INT3 is a trap (RIP after INT3)", do_bp, 0, 3, NOERR, bp_after);
    expect("#UD for INTO in 64-bit mode", do_into64, 0, 6, NOERR, into_insn);
    expect("#UD for UD2", do_ud2, 0, 6, NOERR, ud_insn);
    expect("#UD for LOCK with a register destination", do_lock_reg, 0, 6, NOERR, lock_insn);
}

static void device_not_available(void)
{
    write_cr0(read_cr0() | X86_CR0_TS);
    expect("#NM for FXSAVE with CR0.TS=1", do_fxsave, fxarea, 7, NOERR, fxsave_insn);
    clts();
    expect("no exception for FXSAVE with CR0.TS=0", do_fxsave, fxarea, -1, 0, 0);
}

static void segment_faults(void)
{
    expect("#GP(0) for a non-canonical data address", do_gp_noncanon, 0, 13, 0, gpnc_insn);
    expect("#SS(0) for a non-canonical stack address (RBP base)", do_ss_noncanon, 0, 12, 0,
           ssnc_insn);
    expect("#NP(sel) loading DS with a not-present segment", do_load_ds, SEL(SEL_NPDATA), 11,
           SEL_NPDATA, lds_insn);
    expect("#SS(sel) loading SS with a not-present segment", do_load_ss, SEL(SEL_NPDATA), 12,
           SEL_NPDATA, lss_insn);
    expect("#GP(sel) loading DS with a selector beyond the GDT limit", do_load_ds, SEL(0xfff8),
           13, 0xfff8, lds_insn);
    expect("#GP(sel) loading DS with an execute-only code segment", do_load_ds, SEL(SEL_XONLY), 13,
           SEL_XONLY, lds_insn);
    expect("#GP(sel) loading SS with a read-only data segment", do_load_ss, SEL(SEL_RODATA), 13,
           SEL_RODATA, lss_insn);
    expect("no exception loading DS with a readable code segment", do_load_ds, SEL(SEL_KCODE),
           -1, 0, 0);
    expect("#GP(0) for IRET with RFLAGS.NT=1 in IA-32e mode", do_iret_nt, 0, 13, 0, iretnt_insn);
}

static void msr_faults(void)
{
    expect("#GP(0) for WRMSR to an unknown MSR", do_wrmsr, SEL(0x12345), 13, 0, wrmsr_insn);
    expect("#GP(0) for RDMSR of an unknown MSR", do_rdmsr, SEL(0x12345), 13, 0, rdmsr_insn);
    expect("#GP(0) for RDMSR of hypervisor-range MSR 0x40000000 on bare hardware", do_rdmsr,
           SEL(0x40000000), 13, 0, rdmsr_insn);
}

static void page_faults(void)
{
    uint8_t *page = pt_alloc_page();
    uint64_t pa = (uint64_t)(uintptr_t)page;
    void *tva = (void *)(uintptr_t)TVA;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE_BIT);
    write_cr0(read_cr0() | X86_CR0_WP);

    pt_map4k(TVA, pa, 0);
    expect("#PF(0) reading a not-present page", do_read, tva, 14, 0x0, read_insn);
    t_eq("  ... CR2 = faulting address", last_trap.cr2, TVA);
    expect("#PF(W) writing a not-present page", do_write, (char *)tva + 8, 14, 0x2, write_insn);
    t_eq("  ... CR2 = faulting address", last_trap.cr2, TVA + 8);
    expect("#PF(I) fetching from a not-present page", do_call, (char *)tva + 0x10, 14, 0x10,
           (char *)tva + 0x10);
    t_eq("  ... CR2 = fetch address", last_trap.cr2, TVA + 0x10);

    pt_map4k(TVA, pa, PT_P);
    expect("#PF(P|W) writing a read-only page at CPL 0 with CR0.WP=1", do_write, tva, 14, 0x3,
           write_insn);
    expect("no exception reading a read-only page", do_read, tva, -1, 0, 0);

    page[0] = 0xc3;   /* ret */
    pt_map4k(TVA, pa, PT_P | PT_W | PT_NX);
    expect("#PF(P|I) fetching from an NX page", do_call, tva, 14, 0x11, tva);
    pt_map4k(TVA, pa, PT_P | PT_W);
    expect("no exception fetching from an executable page", do_call, tva, -1, 0, 0);

    uint64_t *pte = pt_entry(TVA, 1);
    *pte |= 1ull << 51;     /* reserved: above MAXPHYADDR (hvsim reports at most 48 bits) */
    invlpg(tva);
    expect("#PF(P|RSVD) for a reserved bit in a PTE", do_read, tva, 14, 0x9, read_insn);
    pt_map4k(TVA, pa, PT_P | PT_W);

    expect_user("#PF(P|U) reading a supervisor page at CPL 3", user_read_super, 0, 14, 0x5,
                usuper_insn);
    t_eq("  ... CR2 = faulting address", last_trap.cr2, 0x100000);
}

static void double_fault(void)
{
    idt_set_present(13, 0);
    expect("#DF(0) when #GP delivery finds a not-present IDT gate (#NP, contributory)",
           do_gp_noncanon, 0, 8, 0, 0);
    idt_set_present(13, 1);
    idt_set_present(0x81, 0);
    expect("#NP(vector*8+2) for INT 0x81 through a not-present gate", do_int81, 0, 11,
           0x81 * 8 + 2, int81_insn);
    idt_set_present(0x81, 1);
}

static void user_mode(void)
{
    expect_user("CPL 3 round trip through a DPL-3 gate", user_done, 0, TRAP_USER_DONE, NOERR, 0);
    expect_user("#GP(0x402) for INT 0x80 through a DPL-0 gate at CPL 3", user_int80, 0, 13,
                0x80 * 8 + 2, uint80_insn);
    expect_user("#GP(0) for CLI at CPL 3 with IOPL 0", user_cli, 0, 13, 0, ucli_insn);
    expect_user("#GP(0) for HLT at CPL 3", user_hlt, 0, 13, 0, uhlt_insn);
    expect_user("#GP(0) for MOV from CR0 at CPL 3", user_movcr, 0, 13, 0, umovcr_insn);
    expect_user("#GP(0) for OUT at CPL 3 with IOPL 0 and no I/O bitmap", user_out, 0, 13, 0,
                uout_insn);
    expect_user("#BP from INT3 at CPL 3 through a DPL-3 gate", user_int3, 0, 3, NOERR,
                uint3_after);
    write_cr0(read_cr0() | X86_CR0_AM);
    expect_user("#AC(0) for a misaligned load at CPL 3 with CR0.AM=RFLAGS.AC=1", user_ac,
                X86_FL_AC, 17, 0, uac_insn);
    expect_user("no #AC for an aligned load", user_aligned, X86_FL_AC, TRAP_USER_DONE, NOERR, 0);
    expect_user("no #AC with RFLAGS.AC=0", user_ac, 0, TRAP_USER_DONE, NOERR, 0);
    write_cr0(read_cr0() & ~X86_CR0_AM);
}

int main(void)
{
    t_begin("exceptions");
    sys64_init();
    pt_init();
    arithmetic_and_debug();
    device_not_available();
    segment_faults();
    msr_faults();
    page_faults();
    double_fault();
    user_mode();
    return t_finish();
}
