// test_vmx_harness.h — a machine for the VMX instruction tests: the system-test machine
// (test_sys_harness.h) with VMX enabled as a hypervisor would enable it (CR0.NE, CR4.VMXE,
// IA32_FEATURE_CONTROL locked with VMX outside SMX), a VMXON region and two VMCS regions carrying
// the model's revision identifier, and helpers that run one VMX instruction and report the
// outcome of SDM Vol. 3 30.2 (VMsucceed / VMfailInvalid / VMfailValid) or the exception.
//
// Memory map (beyond test_sys_harness.h): 0x30000 VMXON region, 0x31000 VMCS A, 0x32000 VMCS B,
// 0x33000 a page that is not a VMCS (revision 0); 32-bit mode pages with 4 MiB PSE pages from
// the page directory at 0x100000.
#ifndef HVSIM_TEST_VMX_HARNESS_H
#define HVSIM_TEST_VMX_HARNESS_H

#include "cpu/vmx.h"
#include "tests/unit/test_sys_harness.h"

namespace vmxtest {

using systest::Machine;
using systest::Mode;

constexpr uint64_t VMXON_PA = 0x30000, VMCS_A = 0x31000, VMCS_B = 0x32000, NOT_VMCS = 0x33000;
constexpr uint64_t OPND = systest::DATA;    // memory operands live here

// Outcomes: an exception vector (>= 0), or one of these.
enum Outcome { SUCCEED = -10, FAIL_INVALID = -11, FAIL_VALID = -12, OTHER = -13 };

// Encodings (64-bit forms; in 32-bit code the same bytes name the 32-bit registers).
const std::vector<uint8_t> VMXON_RAX = { 0xf3, 0x0f, 0xc7, 0x30 };    // vmxon [rax]
const std::vector<uint8_t> VMXOFF = { 0x0f, 0x01, 0xc4 };
const std::vector<uint8_t> VMCLEAR_RAX = { 0x66, 0x0f, 0xc7, 0x30 };  // vmclear [rax]
const std::vector<uint8_t> VMPTRLD_RAX = { 0x0f, 0xc7, 0x30 };        // vmptrld [rax]
const std::vector<uint8_t> VMPTRST_RAX = { 0x0f, 0xc7, 0x38 };        // vmptrst [rax]
const std::vector<uint8_t> VMREAD_RAX_RCX = { 0x0f, 0x78, 0xc8 };     // vmread rax, rcx
const std::vector<uint8_t> VMREAD_MRAX_RCX = { 0x0f, 0x78, 0x08 };    // vmread [rax], rcx
const std::vector<uint8_t> VMWRITE_RCX_RAX = { 0x0f, 0x79, 0xc8 };    // vmwrite rcx, rax
const std::vector<uint8_t> VMWRITE_RCX_MRAX = { 0x0f, 0x79, 0x08 };   // vmwrite rcx, [rax]

struct VmxMachine : Machine {
    explicit VmxMachine(Mode m = systest::M64) : Machine(m)
    {
        if (m == systest::M32)
            enable_paging32();
        c.cr0 |= CR0_NE;
        c.cr4 |= CR4_VMXE;
        c.msr.feature_control = 5;      // lock + VMX outside SMX
        uint32_t rev = VMX_BASIC_REVISION(c.model->vmx.basic);
        wr(VMXON_PA, rev, 4);
        wr(VMCS_A, rev, 4);
        wr(VMCS_B, rev, 4);
    }

    // 32-bit protected mode with paging (CR0.PG is fixed to 1 in VMX operation): 4 MiB pages.
    void enable_paging32()
    {
        for (unsigned k = 0; k < 4; k++)
            wr(systest::PT + 4 * k, (k << 22) | 0x87, 4);
        r(R_RAX) = c.cr4 | CR4_PSE;
        r(R_RBX) = systest::PT;
        r(R_RCX) = c.cr0 | CR0_PG;
        EXPECT_EQ(exec({ 0x0f, 0x22, 0xe0, 0x0f, 0x22, 0xdb, 0x0f, 0x22, 0xc1 }), -1);
    }

    // Run one instruction (followed by HLT) and classify the result.
    int run1(const std::vector<uint8_t> &code)
    {
        load(code);
        set_flags(flags() | RF_ARITH);      // every VMX outcome must write all six flags
        int v = run();
        if (v != -1)
            return v >= 0 ? v : OTHER;
        uint64_t f = flags() & RF_ARITH;
        if (f == 0)
            return SUCCEED;
        if (f == RF_CF)
            return FAIL_INVALID;
        if (f == RF_ZF)
            return FAIL_VALID;
        return OTHER;
    }
    // Instructions with a memory operand at [rax] = OPND holding `v` (8 bytes).
    int with_m64(const std::vector<uint8_t> &code, uint64_t v)
    {
        wr(OPND, v);
        r(R_RAX) = OPND;
        return run1(code);
    }
    int vmxon(uint64_t pa = VMXON_PA) { return with_m64(VMXON_RAX, pa); }
    int vmclear(uint64_t pa) { return with_m64(VMCLEAR_RAX, pa); }
    int vmptrld(uint64_t pa) { return with_m64(VMPTRLD_RAX, pa); }
    int vmxoff() { return run1(VMXOFF); }
    int vmptrst(uint64_t *out)
    {
        r(R_RAX) = OPND;
        wr(OPND, 0x5a5a5a5a5a5a5a5aull);
        int v = run1(VMPTRST_RAX);
        *out = rd(OPND);
        return v;
    }
    int vmread(uint64_t enc, uint64_t *out)
    {
        r(R_RCX) = enc;
        r(R_RAX) = 0x7777777777777777ull;
        int v = run1(VMREAD_RAX_RCX);
        *out = r(R_RAX);
        return v;
    }
    int vmwrite(uint64_t enc, uint64_t val)
    {
        r(R_RCX) = enc;
        r(R_RAX) = val;
        return run1(VMWRITE_RCX_RAX);
    }
    // The VM-instruction error field of the current VMCS, read with VMREAD.
    uint64_t insn_error()
    {
        uint64_t e = 0;
        EXPECT_EQ(vmread(VMCS_ENC_VM_INSN_ERROR, &e), SUCCEED);
        return e;
    }
    // VMXON and VMPTRLD of VMCS A (VMCLEARed first, as software must).
    void enter_with_vmcs(uint64_t pa = VMCS_A)
    {
        ASSERT_EQ(vmxon(), SUCCEED);
        ASSERT_EQ(vmclear(pa), SUCCEED);
        ASSERT_EQ(vmptrld(pa), SUCCEED);
    }
};

}  // namespace vmxtest

#endif
