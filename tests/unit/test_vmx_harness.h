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

// ---------------------------------------------------------------- VM entry / VM exit (g1)
// A VMX machine with a current VMCS (VMCS A) that holds a valid 64-bit guest mirroring the host's
// flat set-up: same GDT/IDT/TSS/page tables, guest code at GUEST_CODE, guest stack GUEST_STACK;
// the host resumes at the HLT after the loaded root code (so run() returns -1 after a VM exit
// or a VM-entry failure). Controls are the minimal allowed settings (TRUE controls' allowed-0
// bits) plus "IA-32e mode guest" and "host address-space size". Tests change fields with vf().
constexpr uint64_t GUEST_CODE = 0x40000, GUEST_STACK = 0x48000, MSR_AREA = 0x50000;
const std::vector<uint8_t> VMLAUNCH = { 0x0f, 0x01, 0xc2 };
const std::vector<uint8_t> VMRESUME = { 0x0f, 0x01, 0xc3 };
const std::vector<uint8_t> VMCALL = { 0x0f, 0x01, 0xc1 };

struct VmxGuestMachine : VmxMachine {
    VmxGuestMachine()
    {
        enter_with_vmcs();
        setup_vmcs64();
    }
    uint64_t &vf(int field) { return c.vmx.vmcs[field]; }

    void setup_vmcs64()
    {
        const struct cpu_model_vmx &x = c.model->vmx;
        vf(VMCS_PIN_CONTROLS) = (uint32_t)x.true_pinbased;
        vf(VMCS_PROC_CONTROLS) = (uint32_t)x.true_procbased;
        vf(VMCS_PROC_CONTROLS2) = 0;
        vf(VMCS_EXIT_CONTROLS) = (uint32_t)x.true_exit | (1u << 9);      // host address-space size
        vf(VMCS_ENTRY_CONTROLS) = (uint32_t)x.true_entry | (1u << 9);    // IA-32e mode guest
        vf(VMCS_VMCS_LINK_PTR) = ~0ull;
        // guest state = the host's current state, RIP/RSP of the guest
        vf(VMCS_GUEST_CR0) = c.cr0;
        vf(VMCS_GUEST_CR3) = c.cr3;
        vf(VMCS_GUEST_CR4) = c.cr4;
        vf(VMCS_GUEST_DR7) = 0x400;
        vf(VMCS_GUEST_RSP) = GUEST_STACK;
        vf(VMCS_GUEST_RIP) = GUEST_CODE;
        vf(VMCS_GUEST_RFLAGS) = 2;
        const struct segment *segs[8] = { &c.seg[0], &c.seg[1], &c.seg[2], &c.seg[3], &c.seg[4],
                                          &c.seg[5], &c.ldtr, &c.tr };
        for (int s = 0; s < 8; s++) {
            vf(VMCS_GUEST_ES_SEL + s) = segs[s]->sel;
            vf(VMCS_GUEST_ES_BASE + s) = segs[s]->base;
            vf(VMCS_GUEST_ES_LIMIT + s) = segs[s]->limit;
            vf(VMCS_GUEST_ES_AR + s) = segs[s]->ar;
        }
        vf(VMCS_GUEST_LDTR_SEL) = 0;
        vf(VMCS_GUEST_LDTR_AR) = AR_UNUSABLE;
        vf(VMCS_GUEST_GDTR_BASE) = c.gdtr.base;
        vf(VMCS_GUEST_GDTR_LIMIT) = c.gdtr.limit;
        vf(VMCS_GUEST_IDTR_BASE) = c.idtr.base;
        vf(VMCS_GUEST_IDTR_LIMIT) = c.idtr.limit;
        // host state
        vf(VMCS_HOST_CR0) = c.cr0;
        vf(VMCS_HOST_CR3) = c.cr3;
        vf(VMCS_HOST_CR4) = c.cr4;
        vf(VMCS_HOST_CS_SEL) = systest::K_CS64;
        for (int s : { VMCS_HOST_ES_SEL, VMCS_HOST_SS_SEL, VMCS_HOST_DS_SEL, VMCS_HOST_FS_SEL,
                       VMCS_HOST_GS_SEL })
            vf(s) = systest::K_DS;
        vf(VMCS_HOST_TR_SEL) = systest::TSS_SEL;
        vf(VMCS_HOST_TR_BASE) = systest::TSS;
        vf(VMCS_HOST_GDTR_BASE) = c.gdtr.base;
        vf(VMCS_HOST_IDTR_BASE) = c.idtr.base;
        vf(VMCS_HOST_RSP) = systest::STACK;
    }

    // Guest code at GUEST_CODE, followed by HLT (a guest HLT halts the guest: no HLT exiting).
    void guest(const std::vector<uint8_t> &code) { load_at(code, GUEST_CODE); }

    // Run `root` (VMLAUNCH by default) with the host resuming at the HLT after it. Returns as
    // run1: SUCCEED/FAIL_* when the root code ran to its end (a VM exit or an entry failure
    // also ends there: see exited()), a vector, or OTHER (e.g. the guest halted).
    int launch(const std::vector<uint8_t> &root = VMLAUNCH, uint64_t max_insns = 100000)
    {
        std::vector<uint8_t> code = root;
        load(code);
        vf(VMCS_HOST_RIP) = code_end;
        set_flags(flags() | RF_ARITH);
        int v = run(max_insns);
        if (v != -1)
            return v >= 0 ? v : OTHER;
        uint64_t f = flags() & RF_ARITH;
        return f == 0 ? SUCCEED : f == RF_CF ? FAIL_INVALID : f == RF_ZF ? FAIL_VALID : OTHER;
    }
    // After launch(): a VM exit (or VM-entry failure) happened and we are back in root.
    bool exited() const { return !c.vmx.nonroot && c.rip == code_end + 1; }
    uint32_t reason() { return (uint32_t)vf(VMCS_EXIT_REASON); }
};

}  // namespace vmxtest

#endif
