// test_vmx_inv.cc — INVEPT, INVVPID and VMFUNC run as instructions (SDM Vol. 3 30.3, 26.5.6):
// the type checks against IA32_VMX_EPT_VPID_CAP, the descriptor checks and their VMfailValid(28),
// the order of the pseudocode (type before descriptor read), the TLB entries each type drops
// (29.4.3.1), VMFUNC's #UD, EPTP switching and its VM exits. Expected values are the SDM's.
#include "test_vmx_harness.h"

#include "mmu/ept.h"
#include "mmu/mmu.h"
#include "mmu/tlb.h"

using namespace vmxtest;

namespace {

const std::vector<uint8_t> INVEPT_RCX_MRAX = { 0x66, 0x0f, 0x38, 0x80, 0x08 };   // invept rcx, [rax]
const std::vector<uint8_t> INVVPID_RCX_MRAX = { 0x66, 0x0f, 0x38, 0x81, 0x08 };  // invvpid rcx, [rax]
const std::vector<uint8_t> VMFUNC = { 0x0f, 0x01, 0xd4 };
constexpr uint64_t EPTP_A = 0x50000 | 6 | 3 << 3, EPTP_B = 0x51000 | 6 | 3 << 3;

struct Inv : VmxMachine {
    int inv(const std::vector<uint8_t> &code, uint64_t type, uint64_t d0, uint64_t d1)
    {
        wr(OPND, d0);
        wr(OPND + 8, d1);
        r(R_RAX) = OPND;
        r(R_RCX) = type;
        return run1(code);
    }
    int invept(uint64_t type, uint64_t eptp) { return inv(INVEPT_RCX_MRAX, type, eptp, 0); }
    int invvpid(uint64_t type, uint64_t vpid, uint64_t lin)
    {
        return inv(INVVPID_RCX_MRAX, type, vpid, lin);
    }
    // A 4 KiB STLB entry with these tags (the contents do not matter to invalidation).
    void add(uint64_t lin, uint16_t vpid, uint16_t ept, bool global = false)
    {
        struct tlb_entry e;
        memset(&e, 0, sizeof e);
        e.vbase = lin;
        e.pbase = lin;
        e.vpid = vpid;
        e.ept = ept;
        e.shift = 12;
        e.flags = global ? TF_G : 0;
        tlb_insert(c.tlb, &c.tlb->stlb, &e);
    }
    unsigned stlb() { return tlb_count(&c.tlb->stlb); }
};

TEST(VmxInv, InveptTypesAndOperands)
{
    Inv m;
    m.enter_with_vmcs();
    EXPECT_EQ(m.invept(1, EPTP_A), SUCCEED);
    EXPECT_EQ(m.invept(2, 0), SUCCEED);                 // all-context ignores the descriptor
    for (uint64_t type : { 0ull, 3ull, 0x100000001ull }) {
        EXPECT_EQ(m.invept(type, EPTP_A), FAIL_VALID) << type;
        EXPECT_EQ(m.insn_error(), 28u);
    }
    // single-context with an EPTP that VM entry would refuse
    for (uint64_t bad : { 0x50000ull | 1 | 3 << 3, 0x50000ull | 6 | 2 << 3, 0x50000ull | 6 | 3 << 3 | 0x100,
                          (1ull << 46) | 6 | 3 << 3 })
        EXPECT_EQ(m.invept(1, bad), FAIL_VALID) << std::hex << bad;
}

TEST(VmxInv, NoCurrentVmcsIsFailInvalid)
{
    Inv m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    EXPECT_EQ(m.invept(0, EPTP_A), FAIL_INVALID);
    EXPECT_EQ(m.invvpid(4, 1, 0), FAIL_INVALID);
    EXPECT_EQ(m.invept(2, 0), SUCCEED);
}

TEST(VmxInv, TypeIsCheckedBeforeTheDescriptorIsRead)
{
    Inv m;
    m.enter_with_vmcs();
    m.r(R_RAX) = 0x8000000000000000ull;                 // non-canonical operand address
    m.r(R_RCX) = 0;
    EXPECT_EQ(m.run1(INVEPT_RCX_MRAX), FAIL_VALID);     // unsupported type: no memory access
    m.r(R_RAX) = 0x8000000000000000ull;
    m.r(R_RCX) = 2;
    EXPECT_EQ(m.run1(INVEPT_RCX_MRAX), VEC_GP);
    m.r(R_RAX) = 0x8000000000000000ull;
    m.r(R_RCX) = 1;
    EXPECT_EQ(m.run1(INVVPID_RCX_MRAX), VEC_GP);
}

TEST(VmxInv, InvvpidTypesAndDescriptorChecks)
{
    Inv m;
    m.enter_with_vmcs();
    for (uint64_t type = 0; type < 4; type++)
        EXPECT_EQ(m.invvpid(type, 1, 0x1000), SUCCEED) << type;
    EXPECT_EQ(m.invvpid(4, 1, 0), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 28u);
    for (uint64_t type : { 0ull, 1ull, 3ull }) {        // VPID 0000H only for all-context
        EXPECT_EQ(m.invvpid(type, 0, 0), FAIL_VALID) << type;
        EXPECT_EQ(m.insn_error(), 28u);
    }
    EXPECT_EQ(m.invvpid(2, 0, 0), SUCCEED);
    EXPECT_EQ(m.invvpid(1, 0x10001, 0), FAIL_VALID);    // descriptor bits 63:16 reserved
    EXPECT_EQ(m.invvpid(2, 1ull << 63, 0), FAIL_VALID);
    EXPECT_EQ(m.invvpid(0, 1, 0x0000800000000000ull), FAIL_VALID);   // non-canonical
    EXPECT_EQ(m.invvpid(0, 1, 0xffff800000000000ull), SUCCEED);
    EXPECT_EQ(m.invvpid(1, 1, 0x0000800000000000ull), SUCCEED);      // address unused
}

TEST(VmxInv, InveptDropsTheNamedContext)
{
    Inv m;
    m.enter_with_vmcs();
    uint16_t a = tlb_ept_tag(m.c.tlb, EPTP_A), b = tlb_ept_tag(m.c.tlb, EPTP_B);
    unsigned base = m.stlb();
    m.add(0x1000, 1, a);
    m.add(0x2000, 0, a, true);
    m.add(0x3000, 1, b);
    m.add(0x4000, 0, 0);                                // a linear mapping: no EPT context
    // single context: an EPTP with other flags but the same EPTRTA names the same context
    EXPECT_EQ(m.invept(1, (EPTP_A & ~7ull) | 0), SUCCEED);
    EXPECT_EQ(m.stlb(), base + 2);
    EXPECT_EQ(m.invept(2, 0), SUCCEED);
    EXPECT_EQ(m.stlb(), base + 1);
}

TEST(VmxInv, InvvpidDropsWhatEachTypeNames)
{
    Inv m;
    m.enter_with_vmcs();
    unsigned base = m.stlb();
    auto fill = [&] {
        m.add(0x1000, 5, 0);
        m.add(0x2000, 5, 0, true);
        m.add(0x3000, 6, 0);
        m.add(0x5000, 5, 1);                            // a combined mapping of VPID 5
    };
    fill();
    EXPECT_EQ(m.invvpid(0, 5, 0x2abc), SUCCEED);        // that page, globals included
    EXPECT_EQ(m.stlb(), base + 3);
    EXPECT_EQ(m.invvpid(3, 5, 0), SUCCEED);             // VPID 5 but its globals
    EXPECT_EQ(m.stlb(), base + 1);
    fill();
    EXPECT_EQ(m.invvpid(1, 5, 0), SUCCEED);             // all of VPID 5
    EXPECT_EQ(m.stlb(), base + 2);
    m.add(0x7000, 0, 0);
    EXPECT_EQ(m.invvpid(2, 0, 0), SUCCEED);             // every VPID but 0000H
    EXPECT_EQ(m.stlb(), base + 1);
}

// ---------------------------------------------------------------- VMFUNC

// Non-root operation with "enable VM functions" and EPTP switching, set up without VM entry.
struct Func : Inv {
    static constexpr uint64_t LIST = 0x52000;
    void enter_nonroot(uint64_t vmfunc_ctls = 1)
    {
        enter_with_vmcs();
        c.vmx.vmcs[VMCS_PROC_CONTROLS] |= VMX_PROC_SECONDARY;
        c.vmx.vmcs[VMCS_PROC_CONTROLS2] = VMX_PROC2_EPT | VMX_PROC2_VMFUNC | (1u << 7);
        c.vmx.vmcs[VMCS_EPT_POINTER] = EPTP_A;
        c.vmx.vmcs[VMCS_VMFUNC_CONTROLS] = vmfunc_ctls;
        c.vmx.vmcs[VMCS_EPTP_LIST_ADDR] = LIST;
        wr(LIST + 8, EPTP_B);
        wr(LIST + 16, 0x51000 | 1 | 3 << 3);            // invalid: memory type 1
        c.vmx.nonroot = true;
    }
    // Run VMFUNC: the exit reason it requested, or -1 if none.
    int vmfunc(uint32_t eax, uint32_t ecx)
    {
        r(R_RAX) = eax;
        r(R_RCX) = ecx;
        c.vmx.exit_req.reason = 0xffff;
        load(VMFUNC);
        run(1);
        return c.vmx.exit_req.reason == 0xffff ? -1 : (int)c.vmx.exit_req.reason;
    }
};

TEST(VmxInv, VmfuncIsUndefinedOutsideNonRoot)
{
    Func m;
    EXPECT_EQ(m.run1(VMFUNC), VEC_UD);
    m.enter_with_vmcs();
    EXPECT_EQ(m.run1(VMFUNC), VEC_UD);
}

TEST(VmxInv, VmfuncEptpSwitching)
{
    Func m;
    m.enter_nonroot();
    uint64_t rip = m.c.rip;
    EXPECT_EQ(m.vmfunc(0, 1), -1);
    EXPECT_EQ(m.c.vmx.vmcs[VMCS_EPT_POINTER], EPTP_B);
    EXPECT_EQ(m.c.tlb->eptp, EPTP_B);                   // in use at once
    (void)rip;
}

TEST(VmxInv, VmfuncExits)
{
    for (auto [eax, ecx] : { std::pair<uint32_t, uint32_t>{ 1, 1 }, { 64, 0 }, { 0, 512 },
                             { 0, 2 }, { 0, 3 } }) {
        Func m;
        m.enter_nonroot();
        EXPECT_EQ(m.vmfunc(eax, ecx), VMX_EXIT_VMFUNC) << eax << " " << ecx;
        EXPECT_EQ(m.c.vmx.vmcs[VMCS_EPT_POINTER], EPTP_A);
    }
    Func m;                                             // function 0 not enabled
    m.enter_nonroot(0);
    EXPECT_EQ(m.vmfunc(0, 1), VMX_EXIT_VMFUNC);
}

}  // namespace

namespace {

// ---------------------------------------------------------------- more outcomes (30.3)

TEST(VmxInv, CplAbove0IsGeneralProtection)
{
    // 30.3 INVEPT / INVVPID: "ELSIF CPL > 0 THEN #GP(0)", before the type and the descriptor
    for (const auto *code : { &INVEPT_RCX_MRAX, &INVVPID_RCX_MRAX }) {
        Inv m;
        m.enter_with_vmcs();
        m.wr(OPND, 1);
        m.wr(OPND + 8, 0);
        m.r(R_RAX) = OPND;
        m.r(R_RCX) = 1;
        m.load(*code);
        m.to_user();
        EXPECT_EQ(m.run(), VEC_GP);
    }
}

TEST(VmxInv, AModelWithoutSingleContextInveptFailsType1)
{
    // IA32_VMX_EPT_VPID_CAP bit 25 clear: type 1 is not supported, VMfailValid(28); type 2 works
    struct cpu_model model = *model_default();
    model.vmx.ept_vpid_cap &= ~EPTCAP_INVEPT_SINGLE;
    Inv m;
    m.c.model = &model;
    m.enter_with_vmcs();
    EXPECT_EQ(m.invept(1, EPTP_A), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 28u);
    EXPECT_EQ(m.invept(2, 0), SUCCEED);
}

}  // namespace

// ---------------------------------------------------------------- VM exits from non-root (25.1.3)

#include "tests/unit/test_vmx_guest.h"

namespace {

using vmxguest::GuestMachine;

// invept/invvpid rcx, [rax] in a guest: exit 50 / 53, qualification = displacement (0),
// instruction information Table 24-18 (here the INVEPT/INVVPID form): scaling 0, address size
// 64-bit (2 << 7), segment DS (3 << 15), index invalid (bit 22), base RAX (0 in 26:23), Reg2 = RCX
// (1 << 28); instruction length 5.
TEST(VmxInv, InveptAndInvvpidExitFromNonRoot)
{
    const uint32_t info = (2u << 7) | (3u << 15) | (1u << 22) | (1u << 28);
    const std::pair<const std::vector<uint8_t> *, uint32_t> cases[] = {
        { &INVEPT_RCX_MRAX, VMX_EXIT_INVEPT }, { &INVVPID_RCX_MRAX, VMX_EXIT_INVVPID } };
    for (const auto &k : cases) {
        GuestMachine m;
        m.r(R_RAX) = 0x9000;
        m.r(R_RCX) = 2;
        ASSERT_EQ(m.launch(*k.first), -1);
        ASSERT_TRUE(m.exited());
        EXPECT_EQ(m.reason(), k.second);
        EXPECT_EQ(m.qual(), 0u);
        EXPECT_EQ(m.len(), 5u);
        EXPECT_EQ(m.info(), info);
        EXPECT_EQ(m.grip(), vmxguest::GCODE);
    }
}

}  // namespace
