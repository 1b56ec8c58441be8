// test_vmx_entry.cc — VM entry (SDM Vol. 3 chapter 27, 30.3 VMLAUNCH/VMRESUME): the instruction's
// own VMfail cases, every group of checks on the controls (VMfailValid 7), the host-state area
// (VMfailValid 8) and the guest-state area (VM-entry failure, exit reason 33 | bit 31 with the
// qualification of 27.8), the MSR-load list (reason 34, qualification = entry index), the loaded
// guest state, launch state, and VMCALL. Expected values come from the SDM text cited beside each
// test, not from runs.
#include "tests/unit/test_vmx_harness.h"

#include "cpu/model.h"

using namespace vmxtest;

namespace {

constexpr uint32_t FAILBIT = 1u << 31;

// Direct checks: the pure functions on a VMCS the test edits.
struct VmxEntryCheck : ::testing::Test {
    VmxGuestMachine m;
    uint32_t q = 0;
    int ctl() { return vmx_check_controls(&m.c); }
    int host() { return vmx_check_host_state(&m.c); }
    bool guest() { return vmx_check_guest_state(&m.c, &q); }
};

TEST_F(VmxEntryCheck, BaselineIsValid)
{
    EXPECT_EQ(ctl(), 0);
    EXPECT_EQ(host(), 0);
    EXPECT_TRUE(guest());
    EXPECT_EQ(q, 0u);
}

// 27.2.1.1: reserved control bits against the capability MSRs.
TEST_F(VmxEntryCheck, ExecutionControlReservedBits)
{
    uint64_t pin = m.vf(VMCS_PIN_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) = pin & ~2ull;              // bit 1 is default1 (allowed-0 = 1)
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) = pin | (1u << 7);          // posted interrupts: not allowed-1
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) = pin;
    uint64_t proc = m.vf(VMCS_PROC_CONTROLS);
    m.vf(VMCS_PROC_CONTROLS) = proc | (1u << 18);       // bit 18 reserved (0 in allowed-1)
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    // secondary controls only count with "activate secondary controls"
    m.vf(VMCS_PROC_CONTROLS) = proc;
    m.vf(VMCS_PROC_CONTROLS2) = 1u << 31;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_PROC_CONTROLS) = proc | VMX_PROC_SECONDARY;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PROC_CONTROLS2) = 0;
    EXPECT_EQ(ctl(), 0);
}

// 27.2.1.1: the consistency rules among controls, one at a time.
TEST_F(VmxEntryCheck, ExecutionControlRules)
{
    uint64_t pin = m.vf(VMCS_PIN_CONTROLS), proc = m.vf(VMCS_PROC_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) = pin | (1u << 5);          // virtual NMIs without NMI exiting
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) = pin | (1u << 5) | (1u << 3);
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_PIN_CONTROLS) = pin;
    m.vf(VMCS_PROC_CONTROLS) = proc | (1u << 22);       // NMI-window without virtual NMIs
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PROC_CONTROLS) = proc;
    m.vf(VMCS_CR3_TARGET_COUNT) = 5;                    // IA32_VMX_MISC allows 4
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_CR3_TARGET_COUNT) = 4;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_PROC_CONTROLS) = proc | (1u << 25);       // I/O bitmaps: 4 KiB aligned
    m.vf(VMCS_IO_BITMAP_A) = 0x60000;
    m.vf(VMCS_IO_BITMAP_B) = 0x61800;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_IO_BITMAP_B) = 0x61000;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_PROC_CONTROLS) = proc | (1u << 28);       // MSR bitmap beyond MAXPHYADDR (46)
    m.vf(VMCS_MSR_BITMAP) = 1ull << 46;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_MSR_BITMAP) = 0x62000;
    EXPECT_EQ(ctl(), 0);
    // TPR shadow: threshold bits 31:4 zero and threshold[3:0] <= VTPR[7:4]
    m.vf(VMCS_PROC_CONTROLS) = proc | VMX_PROC_TPR_SHADOW;
    m.vf(VMCS_VIRTUAL_APIC_ADDR) = 0x63000;
    m.wr(0x63080, 0x50, 1);                             // VTPR = 50H: class 5
    m.vf(VMCS_TPR_THRESHOLD) = 5;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_TPR_THRESHOLD) = 6;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_TPR_THRESHOLD) = 0x10;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_TPR_THRESHOLD) = 0;
    // secondary: VPID 0 refused, unrestricted guest needs EPT, EPTP must be valid
    m.vf(VMCS_PROC_CONTROLS) = proc | VMX_PROC_SECONDARY;
    m.vf(VMCS_PROC_CONTROLS2) = VMX_PROC2_VPID;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_VPID) = 1;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_PROC_CONTROLS2) = 1u << 7;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PROC_CONTROLS2) = (1u << 7) | VMX_PROC2_EPT;
    m.vf(VMCS_EPT_POINTER) = 0x70000 | 6 | (3 << 3);    // WB, 4-level walk
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_EPT_POINTER) = 0x70000 | 6 | (2 << 3);    // 3-level walk: invalid
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_EPT_POINTER) = 0x70000 | 6 | (3 << 3);
    m.vf(VMCS_PROC_CONTROLS2) = VMX_PROC2_APIC_ACCESS;   // APIC-access address aligned
    m.vf(VMCS_APIC_ACCESS_ADDR) = 0x64010;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
}

// 27.2.1.2: exit controls.
TEST_F(VmxEntryCheck, ExitControls)
{
    uint64_t ex = m.vf(VMCS_EXIT_CONTROLS);
    m.vf(VMCS_EXIT_CONTROLS) = ex | (1u << 22);         // save timer without the timer
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_EXIT_CONTROLS) = ex | (1u << 12);         // load PERF_GLOBAL_CTRL: not allowed
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_EXIT_CONTROLS) = ex;
    m.vf(VMCS_EXIT_MSR_STORE_COUNT) = 2;                 // 16-byte aligned list
    m.vf(VMCS_EXIT_MSR_STORE_ADDR) = MSR_AREA + 8;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
    m.vf(VMCS_EXIT_MSR_STORE_ADDR) = MSR_AREA;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_EXIT_MSR_LOAD_COUNT) = 1;                  // last byte beyond MAXPHYADDR
    m.vf(VMCS_EXIT_MSR_LOAD_ADDR) = (1ull << 46) - 0x10;
    EXPECT_EQ(ctl(), 0);
    m.vf(VMCS_EXIT_MSR_LOAD_COUNT) = 2;
    EXPECT_EQ(ctl(), VMXERR_ENTRY_BAD_CONTROLS);
}

// 27.2.1.3: event injection rules.
TEST_F(VmxEntryCheck, EntryInjectionFields)
{
    auto inj = [&](uint32_t info, uint32_t err = 0, uint32_t len = 0) {
        m.vf(VMCS_ENTRY_INTR_INFO) = info;
        m.vf(VMCS_ENTRY_EXCEPTION_ERROR) = err;
        m.vf(VMCS_ENTRY_INSN_LEN) = len;
        return ctl();
    };
    const uint32_t V = VMX_INTR_VALID, E = VMX_INTR_HAS_ERROR;
    EXPECT_EQ(inj(V | 3u << 8 | 13 | E, 0x18), 0);     // #GP with an error code
    EXPECT_EQ(inj(V | 3u << 8 | 13), VMXERR_ENTRY_BAD_CONTROLS);        // #GP needs one
    EXPECT_EQ(inj(V | 3u << 8 | 6 | E), VMXERR_ENTRY_BAD_CONTROLS);     // #UD has none
    EXPECT_EQ(inj(V | 3u << 8 | 32), VMXERR_ENTRY_BAD_CONTROLS);        // HW exception > 31
    EXPECT_EQ(inj(V | 2u << 8 | 3), VMXERR_ENTRY_BAD_CONTROLS);         // NMI must be vector 2
    EXPECT_EQ(inj(V | 2u << 8 | 2), 0);
    EXPECT_EQ(inj(V | 1u << 8 | 0x20), VMXERR_ENTRY_BAD_CONTROLS);      // type 1 reserved
    EXPECT_EQ(inj(V | 3u << 8 | 14 | E, 0x10000), VMXERR_ENTRY_BAD_CONTROLS);  // err 31:16
    EXPECT_EQ(inj(V | (1u << 12) | 0x20), VMXERR_ENTRY_BAD_CONTROLS);   // bits 30:12
    EXPECT_EQ(inj(V | 4u << 8 | 0x80, 0, 2), 0);       // INT 80H, length 2
    EXPECT_EQ(inj(V | 4u << 8 | 0x80, 0, 16), VMXERR_ENTRY_BAD_CONTROLS);
    EXPECT_EQ(inj(V | 4u << 8 | 0x80, 0, 0), 0);       // length 0: IA32_VMX_MISC[30] = 1
    EXPECT_EQ(inj(3u << 8 | 13), 0);                   // not valid: nothing checked
    // unrestricted guest with CR0.PE = 0: no error code (real-mode delivery)
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_SECONDARY;
    m.vf(VMCS_PROC_CONTROLS2) = (1u << 7) | VMX_PROC2_EPT;
    m.vf(VMCS_EPT_POINTER) = 0x70000 | 6 | (3 << 3);
    m.vf(VMCS_GUEST_CR0) &= ~(CR0_PE | CR0_PG);
    EXPECT_EQ(inj(V | 3u << 8 | 13 | E), VMXERR_ENTRY_BAD_CONTROLS);
    EXPECT_EQ(inj(V | 3u << 8 | 13), 0);
}

// 27.2.2-27.2.4: host state.
TEST_F(VmxEntryCheck, HostState)
{
    auto with = [&](int f, uint64_t v) {
        uint64_t old = m.vf(f);
        m.vf(f) = v;
        int r = host();
        m.vf(f) = old;
        return r;
    };
    const int BAD = VMXERR_ENTRY_BAD_HOST_STATE;
    EXPECT_EQ(with(VMCS_HOST_CR0, m.vf(VMCS_HOST_CR0) & ~CR0_NE), BAD);   // FIXED0
    EXPECT_EQ(with(VMCS_HOST_CR4, m.vf(VMCS_HOST_CR4) & ~CR4_VMXE), BAD);
    EXPECT_EQ(with(VMCS_HOST_CR4, m.vf(VMCS_HOST_CR4) & ~CR4_PAE), BAD);  // 64-bit host: PAE
    EXPECT_EQ(with(VMCS_HOST_CR3, 1ull << 46), BAD);
    EXPECT_EQ(with(VMCS_HOST_SYSENTER_EIP, 0x0000800000000000ull), BAD);  // non-canonical
    EXPECT_EQ(with(VMCS_HOST_CS_SEL, 0), BAD);
    EXPECT_EQ(with(VMCS_HOST_TR_SEL, 0), BAD);
    EXPECT_EQ(with(VMCS_HOST_DS_SEL, 0x13), BAD);      // RPL 3
    EXPECT_EQ(with(VMCS_HOST_FS_SEL, 0x14), BAD);      // TI 1
    EXPECT_EQ(with(VMCS_HOST_SS_SEL, 0), 0);           // null SS is fine for a 64-bit host
    EXPECT_EQ(with(VMCS_HOST_GS_BASE, 0xffff000000000000ull - 1), BAD);
    EXPECT_EQ(with(VMCS_HOST_RIP, 0x0000800000000000ull), BAD);
    EXPECT_EQ(with(VMCS_EXIT_CONTROLS, m.vf(VMCS_EXIT_CONTROLS) & ~(1ull << 9)), BAD);  // LMA=1
    // load IA32_EFER: LMA and LME equal to the host address-space size; PAT entries valid
    m.vf(VMCS_EXIT_CONTROLS) |= VMX_EXIT_LOAD_EFER | VMX_EXIT_LOAD_PAT;
    m.vf(VMCS_HOST_PAT) = 0x0007040600070406ull;
    m.vf(VMCS_HOST_EFER) = EFER_LME | EFER_LMA | EFER_SCE;
    EXPECT_EQ(host(), 0);
    EXPECT_EQ(with(VMCS_HOST_EFER, EFER_LME), BAD);
    EXPECT_EQ(with(VMCS_HOST_EFER, EFER_LME | EFER_LMA | (1ull << 1)), BAD);
    EXPECT_EQ(with(VMCS_HOST_PAT, 0x0007040600070402ull), BAD);   // type 2 reserved
}

// 27.3.1: guest state, qualification 0 unless said.
TEST_F(VmxEntryCheck, GuestState)
{
    auto with = [&](int f, uint64_t v) {
        uint64_t old = m.vf(f);
        m.vf(f) = v;
        bool r = guest();
        m.vf(f) = old;
        return r;
    };
    EXPECT_FALSE(with(VMCS_GUEST_CR0, m.vf(VMCS_GUEST_CR0) & ~CR0_PG));   // FIXED0 without URG
    EXPECT_FALSE(with(VMCS_GUEST_CR4, m.vf(VMCS_GUEST_CR4) & ~CR4_PAE)); // IA-32e needs PAE
    EXPECT_FALSE(with(VMCS_GUEST_CR3, 1ull << 50));
    EXPECT_TRUE(with(VMCS_GUEST_DR7, 1ull << 32));                       // not loaded: unchecked
    m.vf(VMCS_ENTRY_CONTROLS) |= 1u << 2;                                // "load debug controls"
    EXPECT_FALSE(with(VMCS_GUEST_DR7, 1ull << 32));
    EXPECT_FALSE(with(VMCS_GUEST_DEBUGCTL, 1ull << 63));               // reserved
    EXPECT_FALSE(with(VMCS_GUEST_DEBUGCTL, 1ull << 2));
    EXPECT_TRUE(with(VMCS_GUEST_DEBUGCTL, 3));                           // LBR, BTF
    EXPECT_FALSE(with(VMCS_GUEST_RFLAGS, 0));                            // bit 1 must be 1
    EXPECT_FALSE(with(VMCS_GUEST_RFLAGS, 2 | (1u << 15)));
    EXPECT_FALSE(with(VMCS_GUEST_RFLAGS, 2 | RF_VM));                    // VM in IA-32e mode
    EXPECT_FALSE(with(VMCS_GUEST_RIP, 0x0000800000000000ull));           // non-canonical, L=1
    EXPECT_FALSE(with(VMCS_GUEST_GDTR_LIMIT, 0x10000));
    EXPECT_FALSE(with(VMCS_GUEST_IDTR_BASE, 0x0000800000000000ull));
    EXPECT_FALSE(with(VMCS_GUEST_CS_AR, 0xa093));                        // CS type 3 w/o URG
    EXPECT_FALSE(with(VMCS_GUEST_CS_AR, 0xa09a));                        // CS not accessed
    EXPECT_FALSE(with(VMCS_GUEST_CS_AR, 0xe09b));                        // L and D both 1
    EXPECT_FALSE(with(VMCS_GUEST_CS_AR, 0xa01b));                        // not present
    EXPECT_FALSE(with(VMCS_GUEST_SS_AR, 0xc09b));                        // SS type 11
    EXPECT_FALSE(with(VMCS_GUEST_DS_AR, 0xc092));                        // DS not accessed
    EXPECT_TRUE(with(VMCS_GUEST_DS_AR, AR_UNUSABLE));                    // unusable: unchecked
    EXPECT_FALSE(with(VMCS_GUEST_DS_AR, 0xc193));                        // reserved bit 8
    EXPECT_FALSE(with(VMCS_GUEST_ES_LIMIT, 0xffffe));                    // G=1, limit[11:0]!=fff
    EXPECT_TRUE(with(VMCS_GUEST_ES_LIMIT, 0xfffffff));
    EXPECT_FALSE(with(VMCS_GUEST_ES_AR, 0x4093));                        // G=0, limit[31:20]!=0
    EXPECT_FALSE(with(VMCS_GUEST_SS_SEL, 0x13));                         // SS.RPL != CS.RPL
    EXPECT_FALSE(with(VMCS_GUEST_TR_AR, 0x89));                          // TR not busy
    EXPECT_FALSE(with(VMCS_GUEST_TR_AR, AR_UNUSABLE | 0x8b));
    EXPECT_FALSE(with(VMCS_GUEST_TR_SEL, 0x4c));                         // TR TI = 1
    EXPECT_FALSE(with(VMCS_GUEST_LDTR_AR, 0x83));                        // usable LDTR type 2
    EXPECT_FALSE(with(VMCS_GUEST_ACTIVITY_STATE, 4));
    EXPECT_TRUE(with(VMCS_GUEST_ACTIVITY_STATE, 1));
    EXPECT_FALSE(with(VMCS_GUEST_INTERRUPTIBILITY, 1));                  // STI needs IF = 1
    EXPECT_FALSE(with(VMCS_GUEST_INTERRUPTIBILITY, 3));
    EXPECT_FALSE(with(VMCS_GUEST_INTERRUPTIBILITY, 1u << 5));
    EXPECT_FALSE(with(VMCS_GUEST_PENDING_DBG, 1u << 4));
    EXPECT_EQ(q, 0u);
    // link pointer: qualification 4
    EXPECT_FALSE(with(VMCS_VMCS_LINK_PTR, VMCS_B + 8));
    EXPECT_EQ(q, 4u);
    EXPECT_TRUE(with(VMCS_VMCS_LINK_PTR, VMCS_B));     // carries our revision identifier
    EXPECT_FALSE(with(VMCS_VMCS_LINK_PTR, NOT_VMCS));
    EXPECT_EQ(q, 4u);
    // NMI injection under blocking by STI: qualification 3
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
    m.vf(VMCS_ENTRY_INTR_INFO) = VMX_INTR_VALID | 2u << 8 | 2;
    EXPECT_FALSE(with(VMCS_GUEST_INTERRUPTIBILITY, 1));
    EXPECT_EQ(q, 3u);
    EXPECT_FALSE(with(VMCS_GUEST_INTERRUPTIBILITY, 2));                  // MOV SS: qual 0
    EXPECT_EQ(q, 0u);
    // external interrupt injection needs IF = 1 and no STI/MOV SS blocking
    m.vf(VMCS_ENTRY_INTR_INFO) = VMX_INTR_VALID | 0x30;
    EXPECT_TRUE(guest());
    EXPECT_FALSE(with(VMCS_GUEST_RFLAGS, 2));
    // wait-for-SIPI: no injection
    EXPECT_FALSE(with(VMCS_GUEST_ACTIVITY_STATE, 3));
}

// Unrestricted guest: real-mode guest state is accepted (27.3.1.1, 27.3.1.2).
TEST_F(VmxEntryCheck, UnrestrictedRealModeGuest)
{
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_SECONDARY;
    m.vf(VMCS_PROC_CONTROLS2) = (1u << 7) | VMX_PROC2_EPT;
    m.vf(VMCS_EPT_POINTER) = 0x70000 | 6 | (3 << 3);
    m.vf(VMCS_ENTRY_CONTROLS) &= ~(1ull << 9);
    m.vf(VMCS_GUEST_CR0) = CR0_NE | CR0_ET;
    m.vf(VMCS_GUEST_CR4) = CR4_VMXE;
    m.vf(VMCS_GUEST_RIP) = 0;
    for (int s = 0; s < 6; s++) {
        m.vf(VMCS_GUEST_ES_SEL + s) = 0x1000;
        m.vf(VMCS_GUEST_ES_BASE + s) = 0x10000;
        m.vf(VMCS_GUEST_ES_LIMIT + s) = 0xffff;
        m.vf(VMCS_GUEST_ES_AR + s) = 0x93;
    }
    EXPECT_EQ(ctl(), 0);
    EXPECT_TRUE(guest()) << q;
    m.vf(VMCS_PROC_CONTROLS2) = 0;        // without it, CR0.PE/PG fixed bits apply
    m.vf(VMCS_PROC_CONTROLS) &= ~(uint64_t)VMX_PROC_SECONDARY;
    EXPECT_FALSE(guest());
}

// ---------------------------------------------------------------- running VMLAUNCH/VMRESUME

// 30.3: VMLAUNCH with a valid VMCS enters the guest; VMCALL exits with reason 18 (25.1.2, 28.2).
TEST(VmxEntryRun, LaunchAndVmcall)
{
    VmxGuestMachine m;
    m.guest({ 0x48, 0xc7, 0xc0, 0x34, 0x12, 0x00, 0x00,    // mov rax, 0x1234
              0x0f, 0x01, 0xc1 });                          // vmcall
    m.r(R_RBX) = 0x55;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.r(R_RAX), 0x1234u);                         // GPRs are not switched
    EXPECT_EQ(m.r(R_RBX), 0x55u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 7);       // the VMCALL itself
    EXPECT_EQ(m.vf(VMCS_EXIT_INSN_LEN), 3u);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 0u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RSP), GUEST_STACK);
    EXPECT_EQ(m.vf(VMCS_IDT_VECTORING_INFO), 0u);
    EXPECT_TRUE(m.c.vmx.launched);
    // host state: RSP, RFLAGS = 2, DR7 = 400H, TR limit 67H, GDTR/IDTR limit FFFFH (28.5)
    EXPECT_EQ(m.r(R_RSP), systest::STACK);
    EXPECT_EQ(m.flags(), 2u);
    EXPECT_EQ(m.c.dr[7], 0x400u);
    EXPECT_EQ(m.c.tr.limit, 0x67u);
    EXPECT_EQ(m.c.tr.ar, 0x8bu);
    EXPECT_EQ(m.c.gdtr.limit, 0xffffu);
    EXPECT_EQ(m.c.idtr.limit, 0xffffu);
    EXPECT_EQ(m.c.seg[SEG_CS].ar, 0xa09bu);
    EXPECT_EQ(m.c.seg[SEG_CS].limit, 0xffffffffu);
    EXPECT_EQ(m.c.seg[SEG_DS].ar, 0xc093u);
    EXPECT_EQ(m.c.mode, MODE_LONG64);
    EXPECT_EQ(m.c.vmx.ctr.entries, 1u);
    EXPECT_EQ(m.c.vmx.ctr.exits[VMX_EXIT_VMCALL], 1u);
    // VMLAUNCH again: launch state is not clear (error 4); VMRESUME goes on after the VMCALL
    ASSERT_EQ(m.launch(VMLAUNCH), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_VMLAUNCH_NOT_CLEAR);
    m.vf(VMCS_GUEST_RIP) += 3;
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.launch(VMRESUME), OTHER);                   // the guest ran into its HLT
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_TRUE(m.c.halted);
    EXPECT_EQ(m.c.rip, GUEST_CODE + 11);
}

// 30.3: the instruction's own checks, in order.
TEST(VmxEntryRun, InstructionFailures)
{
    VmxGuestMachine m;
    EXPECT_EQ(m.launch(VMRESUME), FAIL_VALID);               // launch state clear: error 5
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_VMRESUME_NOT_LAUNCHED);
    m.vf(VMCS_PIN_CONTROLS) = 0;                             // bad controls: error 7
    EXPECT_EQ(m.launch(), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_ENTRY_BAD_CONTROLS);
    EXPECT_FALSE(m.c.vmx.nonroot);
    m.setup_vmcs64();
    m.vf(VMCS_HOST_TR_SEL) = 0;                              // bad host state: error 8
    EXPECT_EQ(m.launch(), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_ENTRY_BAD_HOST_STATE);
    // MOV SS; VMLAUNCH: blocked by MOV SS (error 26)
    m.setup_vmcs64();
    m.r(R_RDX) = systest::K_DS;
    EXPECT_EQ(m.launch({ 0x8e, 0xd2, 0x0f, 0x01, 0xc2 }), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_ENTRY_MOV_SS);
    // no current VMCS: VMfailInvalid
    VmxMachine n;
    ASSERT_EQ(n.vmxon(), SUCCEED);
    EXPECT_EQ(n.run1(VMLAUNCH), FAIL_INVALID);
    // CPL 3: #GP(0); outside VMX operation: #UD
    VmxGuestMachine p;
    p.to_user();
    EXPECT_EQ(p.launch(), VEC_GP);
    EXPECT_FALSE(p.c.vmx.launched);
    VmxMachine u;
    EXPECT_EQ(u.run1(VMLAUNCH), VEC_UD);
    EXPECT_EQ(u.run1(VMCALL), VEC_UD);
}

// 30.3 VMCALL in VMX root operation: VMfail(1).
TEST(VmxEntryRun, VmcallInRoot)
{
    VmxGuestMachine m;
    EXPECT_EQ(m.run1(VMCALL), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), (uint64_t)VMXERR_VMCALL_IN_ROOT);
}

// 27.8: guest-state failure: exit reason 33 | bit 31, host state loaded, guest not entered.
TEST(VmxEntryRun, GuestStateFailure)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.vf(VMCS_GUEST_RFLAGS) = 0;
    m.vf(VMCS_GUEST_RIP) = 0x1111;                           // must not be saved over
    ASSERT_EQ(m.launch(), SUCCEED);                          // RFLAGS = 2 after host load
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), FAILBIT | VMX_EXIT_INVALID_GUEST_STATE);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 0u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), 0x1111u);
    EXPECT_FALSE(m.c.vmx.launched);
    EXPECT_EQ(m.c.vmx.ctr.entries, 0u);
    m.vf(VMCS_GUEST_RFLAGS) = 2;
    m.vf(VMCS_VMCS_LINK_PTR) = 0x12345;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), FAILBIT | VMX_EXIT_INVALID_GUEST_STATE);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 4u);
}

// 27.4: MSR-load list; failure reason 34 with the 1-based index, earlier entries loaded.
TEST(VmxEntryRun, MsrLoadList)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.wr(MSR_AREA + 0, 0xc0000081);                          // STAR
    m.wr(MSR_AREA + 8, 0x0023001000000000ull);
    m.wr(MSR_AREA + 16, 0x174);                              // entry 2 (unused: count 1)
    m.wr(MSR_AREA + 24, 0x10);
    m.vf(VMCS_ENTRY_MSR_LOAD_ADDR) = MSR_AREA;
    m.vf(VMCS_ENTRY_MSR_LOAD_COUNT) = 1;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.c.msr.star, 0x0023001000000000ull);
    // entry 2 is IA32_FS_BASE: refused (27.4) -> reason 34, qualification 2
    m.c.vmx.launched = false;
    m.wr(MSR_AREA + 16, 0xc0000100);
    m.wr(MSR_AREA + 0 + 8, 0x0033001000000000ull);
    m.vf(VMCS_ENTRY_MSR_LOAD_COUNT) = 2;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), FAILBIT | VMX_EXIT_MSR_LOADING);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 2u);
    EXPECT_EQ(m.c.msr.star, 0x0033001000000000ull);          // entry 1 was loaded
    EXPECT_FALSE(m.c.vmx.launched);
    // a #GP-raising value (reserved EFER bit) and bits 63:32 of the index word
    m.wr(MSR_AREA + 0, 0xc0000080);
    m.wr(MSR_AREA + 8, 1ull << 3);
    m.vf(VMCS_ENTRY_MSR_LOAD_COUNT) = 1;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), FAILBIT | VMX_EXIT_MSR_LOADING);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 1u);
    m.wr(MSR_AREA + 0, 0x1c0000081ull);
    m.wr(MSR_AREA + 8, 0);
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), FAILBIT | VMX_EXIT_MSR_LOADING);
}

// 27.3.2: guest state loaded: a 32-bit protected-mode guest without paging needs unrestricted
// guest for CR0.PG = 0; here a compatibility-free check: guest segments, CPL from SS.DPL.
TEST(VmxEntryRun, GuestStateLoaded)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.vf(VMCS_GUEST_FS_BASE) = 0x123456789000ull;
    m.vf(VMCS_GUEST_SYSENTER_EIP) = 0xffffffff81000000ull;
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF | RF_CF;
    m.vf(VMCS_GUEST_RSP) = 0x47ff8;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    // what the guest had is what the exit saved
    EXPECT_EQ(m.vf(VMCS_GUEST_FS_BASE), 0x123456789000ull);
    EXPECT_EQ(m.vf(VMCS_GUEST_SYSENTER_EIP), 0xffffffff81000000ull);
    EXPECT_EQ(m.vf(VMCS_GUEST_RFLAGS), 2u | RF_IF | RF_CF);
    EXPECT_EQ(m.vf(VMCS_GUEST_RSP), 0x47ff8u);
    EXPECT_EQ(m.vf(VMCS_GUEST_CS_AR), 0xa09bu);
    EXPECT_EQ(m.vf(VMCS_GUEST_LDTR_AR), (uint64_t)AR_UNUSABLE);
    EXPECT_EQ(m.vf(VMCS_ENTRY_CONTROLS) & (1u << 9), 1u << 9);   // IA-32e mode guest = LMA
    EXPECT_EQ(m.c.msr.sysenter_eip, 0u);                         // host field (0)
    EXPECT_EQ(m.c.seg[SEG_FS].base, 0u);
}

}  // namespace

namespace {

// Unrestricted guest (27.3.1.1, 27.3.2): a real-mode guest (CR0.PE = PG = 0) under an identity
// EPT (2 MiB pages over the first 16 MiB) runs 16-bit code and exits with VMCALL.
TEST(VmxEntryRun, UnrestrictedRealModeGuestRuns)
{
    VmxGuestMachine m;
    const uint64_t PML4 = 0xc00000, PDPT = 0xc01000, PD = 0xc02000;
    m.wr(PML4, PDPT | 7);
    m.wr(PDPT, PD | 7);
    for (uint64_t k = 0; k < 8; k++)
        m.wr(PD + 8 * k, (k << 21) | 0x80 | (6 << 3) | 7);      // 2 MiB, WB, RWX
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_SECONDARY;
    m.vf(VMCS_PROC_CONTROLS2) = (1u << 7) | VMX_PROC2_EPT;
    m.vf(VMCS_EPT_POINTER) = PML4 | 6 | (3 << 3);
    m.vf(VMCS_ENTRY_CONTROLS) &= ~(1ull << 9);                  // not IA-32e mode
    m.vf(VMCS_GUEST_CR0) = CR0_NE | CR0_ET;
    m.vf(VMCS_GUEST_CR4) = CR4_VMXE;
    m.vf(VMCS_GUEST_CR3) = 0;
    m.vf(VMCS_GUEST_RIP) = 0;
    m.vf(VMCS_GUEST_RSP) = 0x8000;
    for (int s = 0; s < 6; s++) {
        bool cs = s == SEG_CS;
        m.vf(VMCS_GUEST_ES_SEL + s) = cs ? GUEST_CODE >> 4 : 0;
        m.vf(VMCS_GUEST_ES_BASE + s) = cs ? GUEST_CODE : 0;
        m.vf(VMCS_GUEST_ES_LIMIT + s) = 0xffff;
        m.vf(VMCS_GUEST_ES_AR + s) = cs ? 0x9b : 0x93;
    }
    m.vf(VMCS_GUEST_TR_SEL) = 0;
    m.vf(VMCS_GUEST_TR_BASE) = 0;
    m.vf(VMCS_GUEST_TR_LIMIT) = 0xffff;
    m.vf(VMCS_GUEST_TR_AR) = 0x8b;
    m.vf(VMCS_GUEST_IDTR_BASE) = 0;
    m.vf(VMCS_GUEST_IDTR_LIMIT) = 0x3ff;
    // mov ax, 1234h; add ax, ax; vmcall (16-bit code)
    m.guest({ 0xb8, 0x34, 0x12, 0x01, 0xc0, 0x0f, 0x01, 0xc1 });
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL) << std::hex << m.vf(VMCS_EXIT_QUALIFICATION);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), 5u);
    EXPECT_EQ(m.r(R_RAX) & 0xffff, 0x2468u);
    EXPECT_EQ(m.vf(VMCS_GUEST_CR0) & (CR0_PE | CR0_PG), 0u);
    EXPECT_EQ(m.vf(VMCS_ENTRY_CONTROLS) & (1u << 9), 0u);      // EFER.LMA was 0
    EXPECT_EQ(m.c.mode, MODE_LONG64);                           // back in the 64-bit host
}

}  // namespace
