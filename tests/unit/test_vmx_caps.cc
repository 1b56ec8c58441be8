// test_vmx_caps.cc — VMX discovery (cpu/vmx_caps.c, cpu/vmx_vmcs.c field table, the vmx.* keys
// of cpu/model.c): the capability MSRs as RDMSR returns them against SDM Vol. 3 Appendix A and the
// default model's documented values, their allowed-0/allowed-1 consistency, models without VMX,
// EPT or VPID, the model checks, and the field table against Appendix B.
#include "tests/unit/test_vmx_harness.h"


#include <set>
#include <string>

using namespace vmxtest;

// cpu/sys_ctl.h (not includable from C++: _Noreturn in sys_util.h): CR4 bits MOV CR4 accepts.
extern "C" uint64_t sys_cr4_valid(const struct cpu *c);

namespace {

const std::vector<uint8_t> RDMSR = { 0x0f, 0x32 };
const std::vector<uint8_t> WRMSR = { 0x0f, 0x30 };

// RDMSR on the machine: the value, or the exception vector in *vec.
uint64_t rdmsr(Machine &m, uint32_t msr, int *vec)
{
    m.r(R_RCX) = msr;
    m.load(RDMSR);
    *vec = m.run();
    return (uint32_t)m.r(R_RAX) | m.r(R_RDX) << 32;
}

uint64_t rdmsr_ok(Machine &m, uint32_t msr)
{
    int vec;
    uint64_t v = rdmsr(m, msr, &vec);
    EXPECT_EQ(vec, -1) << std::hex << msr;
    return v;
}

TEST(VmxCaps, DefaultModelMsrValues)
{
    Machine m;
    uint32_t r[4];
    model_cpuid(m.c.model, 1, 0, r);
    EXPECT_TRUE(r[2] & (1u << 5));                               // CPUID.1:ECX.VMX
    uint64_t basic = rdmsr_ok(m, 0x480);
    EXPECT_EQ(basic, 0x00d8100000000001ull);
    EXPECT_EQ(basic & 0x7fffffff, 1u);                           // revision identifier
    EXPECT_EQ((basic >> 32) & 0x1fff, 4096u);                    // VMCS region size
    EXPECT_EQ((basic >> 50) & 0xf, 6u);                          // write-back
    EXPECT_TRUE(basic & (1ull << 54));                           // INS/OUTS information
    EXPECT_TRUE(basic & (1ull << 55));                           // TRUE controls
    EXPECT_FALSE(basic & (1ull << 48));                          // full physical-address width
    EXPECT_EQ(rdmsr_ok(m, 0x481), 0x0000007f00000016ull);
    EXPECT_EQ(rdmsr_ok(m, 0x482), 0xfff9fffe0401e172ull);
    EXPECT_EQ(rdmsr_ok(m, 0x483), 0x007fefff00036dffull);
    EXPECT_EQ(rdmsr_ok(m, 0x484), 0x0000d3ff000011ffull);
    uint64_t misc = rdmsr_ok(m, 0x485);
    EXPECT_EQ(misc & 0x1f, 5u);                                  // timer: TSC bit 5
    EXPECT_EQ(misc & 0x1c0, 0x1c0u);                             // HLT, shutdown, wait-for-SIPI
    EXPECT_EQ((misc >> 16) & 0x1ff, 4u);                         // 4 CR3-target values
    EXPECT_EQ((misc >> 25) & 7, 0u);                             // 512 MSR-list entries
    EXPECT_TRUE(misc & (1ull << 29));
    EXPECT_EQ(rdmsr_ok(m, 0x486), 0x80000021ull);                // PG, NE, PE
    EXPECT_EQ(rdmsr_ok(m, 0x487), 0xffffffffull);
    EXPECT_EQ(rdmsr_ok(m, 0x488), 0x2000ull);                    // VMXE
    uint64_t cr4f1 = rdmsr_ok(m, 0x489);
    EXPECT_EQ(cr4f1, sys_cr4_valid(&m.c));                       // what MOV CR4 accepts
    EXPECT_TRUE(cr4f1 & CR4_VMXE);
    EXPECT_FALSE(cr4f1 & CR4_SMXE);
    EXPECT_EQ(rdmsr_ok(m, 0x48a), 0x2eull);                      // highest index 0x17 (timer)
    EXPECT_EQ(rdmsr_ok(m, 0x48b), 0x000034ef00000000ull);
    EXPECT_EQ(rdmsr_ok(m, 0x48c), 0x00000f0106334141ull);
    EXPECT_EQ(rdmsr_ok(m, 0x48d), 0x0000007f00000016ull);
    EXPECT_EQ(rdmsr_ok(m, 0x48e), 0xfff9fffe04006172ull);
    EXPECT_EQ(rdmsr_ok(m, 0x48f), 0x007fefff00036dfbull);
    EXPECT_EQ(rdmsr_ok(m, 0x490), 0x0000d3ff000011fbull);
    EXPECT_EQ(rdmsr_ok(m, 0x491), 1u);                           // EPTP switching
    int vec;
    rdmsr(m, 0x492, &vec);
    EXPECT_EQ(vec, VEC_GP);
    for (uint32_t msr = 0x480; msr <= 0x491; msr++) {            // all read-only
        m.r(R_RCX) = msr;
        m.r(R_RAX) = m.r(R_RDX) = 0;
        m.load(WRMSR);
        EXPECT_EQ(m.run(), VEC_GP) << std::hex << msr;
    }
}

// SDM A.3-A.5: allowed-0 <= allowed-1, default1 bits set in the non-TRUE allowed-0 settings, the
// TRUE MSRs' allowed-1 equal and allowed-0 a subset; A.3.3 secondary allowed-0 all 0.
TEST(VmxCaps, AllowedSettingsConsistent)
{
    Machine m;
    struct { uint32_t msr, tmsr, default1; } ctl[] = {
        { 0x481, 0x48d, 0x16 }, { 0x482, 0x48e, 0x0401e172 },
        { 0x483, 0x48f, 0x00036dff }, { 0x484, 0x490, 0x000011ff },
    };
    for (auto &k : ctl) {
        uint64_t v = rdmsr_ok(m, k.msr), t = rdmsr_ok(m, k.tmsr);
        uint32_t a0 = (uint32_t)v, a1 = (uint32_t)(v >> 32);
        EXPECT_EQ(a0 & ~a1, 0u) << std::hex << k.msr;
        EXPECT_EQ(a0 & k.default1, k.default1) << std::hex << k.msr;
        EXPECT_EQ((uint32_t)(t >> 32), a1) << std::hex << k.tmsr;
        EXPECT_EQ((uint32_t)t & ~a0, 0u) << std::hex << k.tmsr;
    }
    uint64_t p2 = rdmsr_ok(m, 0x48b);
    EXPECT_EQ((uint32_t)p2, 0u);
    EXPECT_TRUE(rdmsr_ok(m, 0x482) >> 63);                       // secondary controls usable
    // the CR fixed MSRs: a bit fixed to 1 is allowed to be 1
    EXPECT_EQ(rdmsr_ok(m, 0x486) & ~rdmsr_ok(m, 0x487), 0u);
    EXPECT_EQ(rdmsr_ok(m, 0x488) & ~rdmsr_ok(m, 0x489), 0u);
}

TEST(VmxCaps, ModelWithoutVmx)
{
    static struct cpu_model model;
    char err[256];
    // leaf 1 as the default, VMX (ECX bit 5) cleared
    uint32_t l1[4];
    model_cpuid(model_default(), 1, 0, l1);
    std::string text = "inherit = default\ncpuid 0x1 = " + std::to_string(l1[0]) + " " +
                       std::to_string(l1[1]) + " " + std::to_string(l1[2] & ~0x20u) + " " +
                       std::to_string(l1[3]) + "\n";
    ASSERT_EQ(model_parse(&model, text.c_str(), "novmx", err, sizeof err), 0) << err;
    VmxMachine m;
    m.c.model = &model;
    int vec;
    for (uint32_t msr = 0x480; msr <= 0x491; msr++) {
        rdmsr(m, msr, &vec);
        EXPECT_EQ(vec, VEC_GP) << std::hex << msr;
    }
    m.c.cr4 &= ~CR4_VMXE;
    m.r(R_RAX) = m.c.cr4 | CR4_VMXE;
    m.load({ 0x0f, 0x22, 0xe0 });
    EXPECT_EQ(m.run(), VEC_GP);                                  // CR4.VMXE is reserved
    EXPECT_EQ(m.vmxon(), VEC_UD);
}

TEST(VmxCaps, ModelWithoutEptAndVpid)
{
    static struct cpu_model model;
    char err[256];
    ASSERT_EQ(model_parse(&model,
                          "inherit = default\n"
                          "vmx.procbased2 = 0x0000144d00000000\n"   // no EPT, VPID, UG, VMFUNC
                          "vmx.ept_vpid_cap = 0\nvmx.vmfunc = 0\n", "noept", err, sizeof err), 0)
        << err;
    VmxMachine m;
    m.c.model = &model;
    int vec;
    EXPECT_EQ(rdmsr_ok(m, 0x48b), 0x0000144d00000000ull);
    rdmsr(m, 0x48c, &vec);
    EXPECT_EQ(vec, VEC_GP);                                      // no EPT_VPID_CAP (A.10)
    rdmsr(m, 0x491, &vec);
    EXPECT_EQ(vec, VEC_GP);                                      // no VMFUNC MSR (A.11)
    m.enter_with_vmcs();
    uint64_t v;
    for (uint64_t e : { (uint64_t)VMCS_ENC_EPT_POINTER, (uint64_t)VMCS_ENC_VPID,
                        (uint64_t)VMCS_ENC_GUEST_PDPTE0, (uint64_t)VMCS_ENC_GUEST_PHYSICAL_ADDR,
                        (uint64_t)VMCS_ENC_VMFUNC_CONTROLS, (uint64_t)VMCS_ENC_EPTP_LIST_ADDR }) {
        EXPECT_EQ(m.vmread(e, &v), FAIL_VALID) << std::hex << e;
        EXPECT_EQ(m.insn_error(), 12u);
    }
    EXPECT_EQ(m.vmread(VMCS_ENC_APIC_ACCESS_ADDR, &v), SUCCEED);   // still offered
    m.r(R_RAX) = OPND;
    EXPECT_EQ(m.run1({ 0x66, 0x0f, 0x38, 0x80, 0x08 }), VEC_UD);  // INVEPT: not supported
    EXPECT_EQ(m.run1({ 0x66, 0x0f, 0x38, 0x81, 0x08 }), VEC_UD);  // INVVPID: not supported
}

TEST(VmxCaps, Cr3TargetFieldsFollowMisc)
{
    static struct cpu_model model;
    char err[256];
    ASSERT_EQ(model_parse(&model, "inherit = default\nvmx.misc = 0x600201e5\n", "t", err,
                          sizeof err), 0) << err;                  // 2 CR3-target values
    EXPECT_TRUE(vmx_field_exists(&model, VMCS_CR3_TARGET0));
    EXPECT_TRUE(vmx_field_exists(&model, VMCS_CR3_TARGET1));
    EXPECT_FALSE(vmx_field_exists(&model, VMCS_CR3_TARGET2));
    EXPECT_FALSE(vmx_field_exists(&model, VMCS_CR3_TARGET3));
}

TEST(VmxCaps, ModelChecksRejectInconsistentSets)
{
    static struct cpu_model model;
    char err[256];
    const char *bad[] = {
        "vmx.basic = 0x00d8100000000000\n",                 // revision 0
        "vmx.basic = 0x00d8010000000001\n",                 // region too small for the image
        "vmx.basic = 0x00d9100000000001\n",                 // 32-bit physical addresses
        "vmx.pinbased = 0x000000ff00000016\n",              // posted interrupts: not in hvsim
        "vmx.pinbased = 0x0000007f00000006\n",              // default1 bit 4 not reported
        "vmx.true_pinbased = 0x0000003f00000016\n",         // TRUE allowed-1 differs
        "vmx.true_pinbased = 0x0000007f00000017\n",         // TRUE allowed-0 not a subset
        "vmx.procbased2 = 0x000034ef00000001\n",            // secondary allowed-0 must be 0
        "vmx.procbased2 = 0x000034ed00000000\n",            // EPT caps without EPT
        "vmx.ept_vpid_cap = 0x0000000006334141\n",          // VPID without INVVPID
        "vmx.vmfunc = 0x2\n",                               // unknown VM function
        "vmx.misc = 0x00000000600501e5\n",                  // 5 CR3 targets
    };
    for (const char *b : bad) {
        std::string t = std::string("inherit = default\n") + b;
        EXPECT_EQ(model_parse(&model, t.c_str(), "t", err, sizeof err), -1) << b;
        EXPECT_NE(std::string(err).find("vmx"), std::string::npos) << err;
    }
}

TEST(VmxFields, TableMatchesAppendixB)
{
    std::set<uint32_t> seen;
    for (int k = 0; k < VMX_NFIELDS; k++) {
        uint32_t e = vmx_field_encoding(k);
        EXPECT_TRUE(seen.insert(e).second) << std::hex << e;  // encodings are distinct
        EXPECT_EQ(e & 1, 0u);                                  // full-access encodings
        EXPECT_EQ(e & 0x1000, 0u);
        EXPECT_EQ(vmx_field_index(e), k);
        EXPECT_EQ(vmx_field_index(e | 1), VMCS_ENC_WIDTH(e) == VMCS_W64 ? k : -1);
    }
    // a few encodings from SDM Appendix B and their width/type classes
    EXPECT_EQ(VMCS_ENC_WIDTH(VMCS_ENC_GUEST_ES_SEL), (unsigned)VMCS_W16);
    EXPECT_EQ(VMCS_ENC_TYPE(VMCS_ENC_GUEST_ES_SEL), (unsigned)VMCS_T_GUEST);
    EXPECT_EQ(VMCS_ENC_WIDTH(VMCS_ENC_EPT_POINTER), (unsigned)VMCS_W64);
    EXPECT_EQ((unsigned)VMCS_ENC_EPT_POINTER, 0x201au);
    EXPECT_EQ(VMCS_ENC_TYPE(VMCS_ENC_VM_INSN_ERROR), (unsigned)VMCS_T_RODATA);
    EXPECT_EQ((unsigned)VMCS_ENC_VM_INSN_ERROR, 0x4400u);
    EXPECT_EQ(VMCS_ENC_TYPE(VMCS_ENC_HOST_RIP), (unsigned)VMCS_T_HOST);
    EXPECT_EQ(VMCS_ENC_WIDTH(VMCS_ENC_HOST_RIP), (unsigned)VMCS_WNAT);
    EXPECT_EQ((unsigned)VMCS_ENC_PREEMPTION_TIMER, 0x482eu);
    EXPECT_EQ(vmx_field_index(0x2001 | (1u << 15)), -1);
    EXPECT_EQ(vmx_field_index(0x4830), -1);                    // index 0x18 of 32-bit guest
    // the default model lacks the 19 fields of posted interrupts, #VE, virtual-interrupt delivery,
    // PML, VMCS shadowing, XSAVES, ENCLS, TSC scaling, PERF_GLOBAL_CTRL and BNDCFGS (docs/VMX.md)
    int exist = 0;
    for (int k = 0; k < VMX_NFIELDS; k++)
        exist += vmx_field_exists(model_default(), k);
    EXPECT_EQ(VMX_NFIELDS, 155);
    EXPECT_EQ(exist, 136);
    EXPECT_FALSE(vmx_field_exists(model_default(), VMCS_EOI_EXIT_BITMAP2));
    EXPECT_TRUE(vmx_field_exists(model_default(), VMCS_CR3_TARGET3));     // 4 CR3 targets
    EXPECT_TRUE(vmx_field_exists(model_default(), VMCS_GUEST_PAT));
    // the memory image fits the VMCS region the model reports
    EXPECT_LE((unsigned)VMX_VMCS_IMAGE_SIZE,
              (unsigned)((model_default()->vmx.basic >> 32) & 0x1fff));
}

}  // namespace
