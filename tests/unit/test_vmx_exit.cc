// test_vmx_exit.cc — VM exits (SDM Vol. 3 chapter 28): guest state saved (28.3) including
// segment "unusable" bits, interruptibility after STI, activity, the "IA-32e mode guest" control;
// the exit controls (save/load IA32_EFER and IA32_PAT, host address-space size); host state
// loaded (28.5: segments, TR, GDTR/IDTR limits, RFLAGS, DR7, null selectors unusable); the
// MSR-store and MSR-load lists (28.4, 28.6); a VMX abort (28.7); the VM-entry interruption
// field's valid bit cleared by an exit; RFLAGS.RF saved (28.3.3); the non-faulting MSR API the
// lists use; the MONITOR armed state in the MWAIT exit qualification (28.2.1) and its clearing by
// VM entries. Expected values are the SDM's fixed values or the values the test itself put in
// the guest.
#include "tests/unit/test_vmx_harness.h"

#include "cpu/model.h"
#include "cpu/vmx_intercept.h"

#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" {
#include "sim/summary.h"
}

using namespace vmxtest;

namespace {

TEST(VmxExit, SavesSegmentsAndInterruptibility)
{
    VmxGuestMachine m;
    // xor eax,eax; mov ds,ax (null: unusable); sti; vmcall (in the STI shadow)
    m.guest({ 0x31, 0xc0, 0x8e, 0xd8, 0xfb, 0x0f, 0x01, 0xc1 });
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.vf(VMCS_GUEST_DS_SEL), 0u);
    EXPECT_TRUE(m.vf(VMCS_GUEST_DS_AR) & AR_UNUSABLE);
    EXPECT_EQ(m.vf(VMCS_GUEST_INTERRUPTIBILITY), 1u);           // blocking by STI (24.4.2)
    EXPECT_EQ(m.vf(VMCS_GUEST_RFLAGS) & RF_IF, (uint64_t)RF_IF);
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 0u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 5);
    EXPECT_EQ(m.c.intr_shadow, 0u);                             // the host has no shadow
}

TEST(VmxExit, ExitControlsEferPat)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.vf(VMCS_EXIT_CONTROLS) |= VMX_EXIT_SAVE_PAT | VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_EFER |
                                VMX_EXIT_LOAD_EFER;
    m.vf(VMCS_ENTRY_CONTROLS) |= VMX_ENTRY_LOAD_PAT;
    m.vf(VMCS_GUEST_PAT) = 0x0606060606060606ull;
    m.vf(VMCS_HOST_PAT) = 0x0000000000070406ull;
    m.vf(VMCS_HOST_EFER) = EFER_LME | EFER_LMA;                 // no SCE, no NXE
    uint64_t guest_efer = m.c.msr.efer;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.vf(VMCS_GUEST_PAT), 0x0606060606060606ull);     // saved
    EXPECT_EQ(m.vf(VMCS_GUEST_EFER), guest_efer);
    EXPECT_EQ(m.c.msr.pat, 0x0000000000070406ull);              // loaded
    EXPECT_EQ(m.c.msr.efer, EFER_LME | EFER_LMA);
}

TEST(VmxExit, HostStateFixedValues)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.vf(VMCS_HOST_ES_SEL) = 0;                                 // null: unusable
    m.vf(VMCS_HOST_FS_BASE) = 0x7000;
    m.vf(VMCS_HOST_GS_BASE) = 0x8000;
    m.vf(VMCS_HOST_SYSENTER_CS) = 0x10;
    m.vf(VMCS_GUEST_DR7) = 0x455;
    m.vf(VMCS_ENTRY_CONTROLS) |= 1u << 2;                       // load debug controls
    m.vf(VMCS_ENTRY_INTR_INFO) = 0;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_TRUE(m.c.seg[SEG_ES].ar & AR_UNUSABLE);
    EXPECT_EQ(m.c.seg[SEG_FS].base, 0x7000u);
    EXPECT_EQ(m.c.seg[SEG_GS].base, 0x8000u);
    EXPECT_EQ(m.c.seg[SEG_SS].ar, 0xc093u);
    EXPECT_EQ(m.c.msr.sysenter_cs, 0x10u);
    EXPECT_EQ(m.c.dr[7], 0x400u);
    EXPECT_EQ(m.vf(VMCS_GUEST_DR7), 0x455u);                    // save debug controls
    EXPECT_EQ(m.c.ldtr.sel, 0u);
    EXPECT_TRUE(m.c.ldtr.ar & AR_UNUSABLE);
    EXPECT_EQ(m.c.cpl, 0u);
    EXPECT_EQ(m.c.msr.efer & (EFER_LMA | EFER_LME), EFER_LMA | EFER_LME);
}

TEST(VmxExit, ClearsEntryInterruptionValidBit)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    // inject a #BP (software exception, length 1) whose handler (HLT at HND+3) we replace by
    // VMCALL so that the guest exits right after the delivery
    m.wr(systest::HND + 3, 0xc1010f, 3);
    m.vf(VMCS_ENTRY_INTR_INFO) = VMX_INTR_VALID | 6u << 8 | 3;
    m.vf(VMCS_ENTRY_INSN_LEN) = 1;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), systest::HND + 3);
    EXPECT_EQ(m.vf(VMCS_ENTRY_INTR_INFO), 6u << 8 | 3);        // 28.2: valid bit cleared
    EXPECT_EQ(m.rd(GUEST_STACK - 40), GUEST_CODE + 1);          // pushed RIP = RIP + length
}

TEST(VmxExit, MsrStoreAndLoadLists)
{
    VmxGuestMachine m;
    // guest: wrmsr STAR = 0x1111_0000_2222 (ecx c0000081, edx:eax); vmcall
    m.guest({ 0xb9, 0x81, 0x00, 0x00, 0xc0, 0xb8, 0x22, 0x22, 0x00, 0x00, 0xba, 0x11, 0x11,
              0x00, 0x00, 0x0f, 0x30, 0x0f, 0x01, 0xc1 });
    m.wr(MSR_AREA, 0xc0000081);                                 // store: STAR
    m.wr(MSR_AREA + 8, 0xdead);
    m.wr(MSR_AREA + 0x100, 0xc0000081);                         // load: STAR = 0x42
    m.wr(MSR_AREA + 0x108, 0x42);
    m.vf(VMCS_PROC_CONTROLS) |= 1u << 28;                       // MSR bitmap of zeros: no
    m.vf(VMCS_MSR_BITMAP) = MSR_AREA + 0x1000;                  // WRMSR exit (25.1.3)
    m.vf(VMCS_EXIT_MSR_STORE_ADDR) = MSR_AREA;
    m.vf(VMCS_EXIT_MSR_STORE_COUNT) = 1;
    m.vf(VMCS_EXIT_MSR_LOAD_ADDR) = MSR_AREA + 0x100;
    m.vf(VMCS_EXIT_MSR_LOAD_COUNT) = 1;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.rd(MSR_AREA + 8), 0x0000111100002222ull);       // the guest's value, stored
    EXPECT_EQ(m.c.msr.star, 0x42u);                             // the host's, loaded after
}

// 28.7: a failure while storing guest MSRs is a VMX abort: indicator 1, the processor shuts down.
TEST(VmxExit, AbortOnMsrStoreFailure)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.wr(MSR_AREA, 0x808);                                      // x2APIC range: refused
    m.vf(VMCS_EXIT_MSR_STORE_ADDR) = MSR_AREA;
    m.vf(VMCS_EXIT_MSR_STORE_COUNT) = 1;
    EXPECT_EQ(m.launch(), OTHER);
    EXPECT_EQ(m.c.stop, STOP_TRIPLE_FAULT);
    EXPECT_EQ(m.rd(VMCS_A + 4, 4), 1u);
    EXPECT_NE(std::string(m.c.stop_msg).find("VMX abort"), std::string::npos);
}

// 28.7: a failure while loading host MSRs (VM-exit MSR-load list) is a VMX abort with indicator 4
// (SDM Vol. 3 28.7: 1 saving guest MSRs, 2 host PDPTEs, 4 loading host MSRs).
TEST(VmxExit, AbortOnMsrLoadFailureIsIndicator4)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.wr(MSR_AREA, 0xc0000100);                                 // IA32_FS_BASE: refused in lists
    m.vf(VMCS_EXIT_MSR_LOAD_ADDR) = MSR_AREA;
    m.vf(VMCS_EXIT_MSR_LOAD_COUNT) = 1;
    EXPECT_EQ(m.launch(), OTHER);
    EXPECT_EQ(m.c.stop, STOP_TRIPLE_FAULT);
    EXPECT_EQ(m.rd(VMCS_A + 4, 4), 4u);
}

// 28.3: a halted guest (HLT, no HLT exiting) exits with activity state HLT saved.
TEST(VmxExit, SavesHltActivity)
{
    VmxGuestMachine m;
    m.guest({ 0xf4 });
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
    ASSERT_EQ(m.launch(), OTHER);                               // guest halted
    ASSERT_TRUE(m.c.vmx.nonroot);
    cpu_init_signal(&m.c);                                      // INIT in non-root: exit 3
    cpu_run(&m.c, 10);
    ASSERT_FALSE(m.c.vmx.nonroot);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_INIT);
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 1u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);
}

// Counters and cycles: one entry, one exit, the model's costs charged (cpu/models/default.model).
TEST(VmxExit, CountersAndCosts)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    uint64_t before = m.c.ctr.cycles;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.c.vmx.ctr.entries, 1u);
    EXPECT_EQ(m.c.vmx.ctr.exits[VMX_EXIT_VMCALL], 1u);
    // VMLAUNCH (serial) + entry + VMCALL (serial, not retired: it exited) + exit + HLT
    EXPECT_GE(m.c.ctr.cycles - before, (uint64_t)m.c.model->vm_entry + m.c.model->vm_exit);
    EXPECT_EQ(m.c.model->vm_entry, 350u);
    EXPECT_EQ(m.c.model->vm_exit, 450u);
    ASSERT_EQ(m.launch(VMRESUME), SUCCEED);                     // VMCALL again
    EXPECT_EQ(m.c.vmx.ctr.exits[VMX_EXIT_VMCALL], 2u);
    EXPECT_GE(m.c.vmx.ctr.cycles[VMX_EXIT_VMCALL], (uint64_t)m.c.model->vm_exit);
}

}  // namespace

namespace {

// The run summary shows the VMX lines only after VMX was used (sim/summary.c).
TEST(VmxExit, RunSummaryLines)
{
    VmxGuestMachine m;
    auto summary = [&]() {
        char *buf = nullptr;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        run_summary_print(f, &m.c, 1, &m.bus, "test", 0.0);
        fclose(f);
        std::string s(buf, len);
        free(buf);
        return s;
    };
    EXPECT_EQ(summary().find("VM e"), std::string::npos);
    m.guest({ 0x0f, 0x01, 0xc1 });
    ASSERT_EQ(m.launch(), SUCCEED);
    std::string s = summary();
    EXPECT_NE(s.find("VM entries      1 (0 failed"), std::string::npos) << s;
    EXPECT_NE(s.find("VM exits        1\n"), std::string::npos) << s;
    EXPECT_NE(s.find("  18 VMCALL                 1 exits"), std::string::npos) << s;
}


// 28.3.3: instruction-caused exits save RF = 0; exits at an instruction boundary save the RF
// the processor has (here the value VM entry loaded, before any instruction).
TEST(VmxExit, SavedRflagsRf)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0xa2 });                                      // cpuid: exits unconditionally
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_RF;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_CPUID);
    EXPECT_EQ(m.vf(VMCS_GUEST_RFLAGS), 2u);
    VmxGuestMachine n;
    n.guest({ 0x90 });
    n.vf(VMCS_GUEST_RFLAGS) = 2 | RF_RF;
    n.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;             // value 0: exit at once
    n.vf(VMCS_PREEMPTION_TIMER) = 0;
    ASSERT_EQ(n.launch(), SUCCEED);
    ASSERT_EQ(n.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
    EXPECT_EQ(n.vf(VMCS_GUEST_RFLAGS), 2u | RF_RF);
}

// The non-faulting MSR API (cpu/sys_msr.c): false exactly where WRMSR/RDMSR raise #GP(0), with
// nothing changed.
TEST(VmxExit, MsrApiDoesNotFault)
{
    systest::Machine m;
    uint64_t v = 5;
    EXPECT_FALSE(cpu_msr_read(&m.c, 0x12345678u, &v));            // no such MSR
    EXPECT_EQ(v, 0u);
    EXPECT_FALSE(cpu_msr_write(&m.c, 0x12345678u, 1));
    uint64_t lstar = m.c.msr.lstar;
    EXPECT_FALSE(cpu_msr_write(&m.c, 0xc0000082u, 0x0000800000000000ull));   // not canonical
    EXPECT_EQ(m.c.msr.lstar, lstar);
    EXPECT_TRUE(cpu_msr_write(&m.c, 0xc0000082u, 0xffff800000001000ull));
    EXPECT_TRUE(cpu_msr_read(&m.c, 0xc0000082u, &v));
    EXPECT_EQ(v, 0xffff800000001000ull);
    uint64_t efer = m.c.msr.efer;
    EXPECT_FALSE(cpu_msr_write(&m.c, 0xc0000080u, efer | 2));     // EFER bit 1 reserved
    EXPECT_FALSE(cpu_msr_write(&m.c, 0xc0000080u, efer & ~EFER_LME));   // LME with CR0.PG = 1
    EXPECT_EQ(m.c.msr.efer, efer);
    EXPECT_FALSE(cpu_msr_write(&m.c, 0x277, 0x0202020202020202ull));    // PAT type 2 invalid
    EXPECT_TRUE(cpu_msr_write(&m.c, 0x277, 0x0007040600070406ull));
    EXPECT_TRUE(cpu_msr_read(&m.c, 0x277, &v));
    EXPECT_EQ(v, 0x0007040600070406ull);
    EXPECT_FALSE(cpu_msr_write(&m.c, MSR_VMX_BASIC, 0));          // read-only
}

// The default model with CPUID.01H:ECX.MONITOR[3] = 1.
const struct cpu_model *model_with_monitor()
{
    static struct cpu_model model;
    static bool done;
    if (!done) {
        char err[256];
        uint32_t l1[4];
        model_cpuid(model_default(), 1, 0, l1);
        std::string text = "inherit = default\ncpuid 0x1 = " + std::to_string(l1[0]) + " " +
                           std::to_string(l1[1]) + " " + std::to_string(l1[2] | 8u) + " " +
                           std::to_string(l1[3]) + "\n";
        EXPECT_EQ(model_parse(&model, text.c_str(), "monitor", err, sizeof err), 0) << err;
        done = true;
    }
    return &model;
}

// MONITOR arms the monitor, MWAIT consumes it; the MWAIT exit reports it in bit 0 of the
// qualification (28.2.1); a VM entry clears it (27.3.3).
TEST(VmxExit, MwaitQualificationMonitorArmed)
{
    const std::vector<uint8_t> MONITOR = { 0x0f, 0x01, 0xc8 }, MWAIT = { 0x0f, 0x01, 0xc9 };
    VmxGuestMachine m;
    m.c.model = model_with_monitor();
    m.r(R_RAX) = systest::DATA;
    m.r(R_RCX) = 0;
    m.guest({ 0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9 });              // monitor; mwait
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_MWAIT_EXITING;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_MWAIT);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 1u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 3);
    EXPECT_FALSE(m.c.vmx.monitor_armed);                          // the exit cleared it (28.5.6)
    // armed in root operation, then VM entry: the guest's MWAIT finds it clear
    VmxGuestMachine n;
    n.c.model = model_with_monitor();
    n.guest(MWAIT);
    n.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_MWAIT_EXITING;
    n.r(R_RAX) = systest::DATA;
    n.r(R_RCX) = 0;
    std::vector<uint8_t> root = MONITOR;
    root.insert(root.end(), VMLAUNCH.begin(), VMLAUNCH.end());
    ASSERT_EQ(n.launch(root), SUCCEED);
    ASSERT_EQ(n.reason(), (uint32_t)VMX_EXIT_MWAIT);
    EXPECT_EQ(n.vf(VMCS_EXIT_QUALIFICATION), 0u);
    // outside VMX: MWAIT consumes what MONITOR armed
    systest::Machine r;
    r.c.model = model_with_monitor();
    r.r(R_RAX) = systest::DATA;
    r.r(R_RCX) = 0;
    r.load(MONITOR);
    EXPECT_EQ(r.run(), -1);
    EXPECT_TRUE(r.c.vmx.monitor_armed);
    EXPECT_EQ(r.c.vmx.monitor_lin, systest::DATA);
    r.load(MWAIT);
    EXPECT_EQ(r.run(), -1);
    EXPECT_FALSE(r.c.vmx.monitor_armed);
}

}  // namespace
