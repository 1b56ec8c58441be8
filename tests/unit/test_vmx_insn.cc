// test_vmx_insn.cc — the VMX instructions run on the simulated CPU (cpu/vmx_insn.c,
// cpu/vmx_vmcs.c): VMXON/VMXOFF, VMCLEAR, VMPTRLD, VMPTRST, VMREAD, VMWRITE with the outcomes,
// error numbers and exception rules of SDM Vol. 3 chapter 30 (30.2 conventions, 30.3 pseudocode,
// 30.4 error numbers), the VMCS cache and hvsim's VMCS memory image (docs/VMX.md), and the CR0/CR4
// fixed bits of VMX operation (23.8).
#include "tests/unit/test_vmx_harness.h"

#include <string>

using namespace vmxtest;
using systest::M16;
using systest::M32;
using systest::M64;

namespace {

// Offset of field `idx` in the VMCS memory image.
uint64_t image_off(int idx) { return VMX_VMCS_OFF_FIELDS + 8ull * (unsigned)idx; }

// Switch a 64-bit machine to compatibility mode: a 32-bit code segment (L = 0) with LMA = 1.
void to_compat(VmxMachine &m)
{
    m.c.seg[SEG_CS] = { systest::K_CS32, 0xc09bu, 0xffffffffu, 0 };
    cpu_update_mode(&m.c);
    ASSERT_EQ(m.c.mode, MODE_COMPAT);
}

TEST(VmxOn, SucceedsAndEntersVmxOperation)
{
    VmxMachine m;
    EXPECT_FALSE(vmx_init_blocked(&m.c));
    EXPECT_EQ(m.vmxon(), SUCCEED);
    EXPECT_TRUE(m.c.vmx.on);
    EXPECT_EQ(m.c.vmx.vmxon_ptr, VMXON_PA);
    EXPECT_TRUE(vmx_init_blocked(&m.c));            // SDM 23.8: INIT blocked in VMX root
    uint64_t p;
    EXPECT_EQ(m.vmptrst(&p), SUCCEED);
    EXPECT_EQ(p, ~0ull);                            // current-VMCS pointer FFFFFFFF_FFFFFFFFH
}

TEST(VmxOn, UndefinedOpcodeCases)
{
    VmxMachine a;                                   // CR4.VMXE = 0
    a.c.cr4 &= ~CR4_VMXE;
    EXPECT_EQ(a.vmxon(), VEC_UD);
    VmxMachine b;                                   // compatibility mode
    to_compat(b);
    EXPECT_EQ(b.vmxon(), VEC_UD);
    VmxMachine r(M16);                              // real mode (CR0.PE = 0)
    r.c.cr4 |= CR4_VMXE;
    r.wr(systest::CODE + 0x100, VMXON_PA);
    r.c.seg[SEG_DS].base = systest::CODE;           // 16-bit code: vmxon [0x100]
    r.load({ 0xf3, 0x0f, 0xc7, 0x36, 0x00, 0x01 });
    EXPECT_EQ(r.run(), VEC_UD);
    VmxMachine l;                                   // LOCK prefix
    l.wr(OPND, VMXON_PA);
    l.r(R_RAX) = OPND;
    EXPECT_EQ(l.run1({ 0xf0, 0xf3, 0x0f, 0xc7, 0x30 }), VEC_UD);
}

TEST(VmxOn, GeneralProtectionCases)
{
    VmxMachine u;                                   // CPL 3
    u.wr(OPND, VMXON_PA);
    u.r(R_RAX) = OPND;
    u.load(VMXON_RAX);
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
    EXPECT_FALSE(u.c.vmx.on);

    VmxMachine f0;                                  // IA32_FEATURE_CONTROL not locked
    f0.c.msr.feature_control = 4;
    EXPECT_EQ(f0.vmxon(), VEC_GP);
    VmxMachine f1;                                  // locked, VMX outside SMX not enabled
    f1.c.msr.feature_control = 1;
    EXPECT_EQ(f1.vmxon(), VEC_GP);
    VmxMachine ne;                                  // CR0.NE = 0: CR0_FIXED0 bit 5
    ne.c.cr0 &= ~CR0_NE;
    EXPECT_EQ(ne.vmxon(), VEC_GP);
    VmxMachine pg(M32);                             // protected mode without paging: CR0.PG
    pg.r(R_RCX) = pg.c.cr0 & ~CR0_PG;
    pg.load({ 0x0f, 0x22, 0xc1 });                  // MOV CR0, ECX (allowed outside VMX)
    EXPECT_EQ(pg.run(), -1);
    EXPECT_EQ(pg.vmxon(), VEC_GP);
    for (VmxMachine *x : { &f0, &f1, &ne, &pg })
        EXPECT_FALSE(x->c.vmx.on);
}

TEST(VmxOn, OperandFaults)
{
    VmxMachine m;
    m.r(R_RAX) = 0x1000000;                         // above the 8 MiB the page tables map
    EXPECT_EQ(m.run1(VMXON_RAX), VEC_PF);
    m.r(R_RAX) = 0x0000800000000000ull;             // non-canonical
    EXPECT_EQ(m.run1(VMXON_RAX), VEC_GP);
    EXPECT_FALSE(m.c.vmx.on);
}

TEST(VmxOn, FailInvalidCases)
{
    VmxMachine m;
    EXPECT_EQ(m.vmxon(VMXON_PA + 8), FAIL_INVALID);            // not 4 KiB-aligned
    EXPECT_EQ(m.vmxon(1ull << 46), FAIL_INVALID);              // beyond MAXPHYADDR (46)
    EXPECT_EQ(m.vmxon(NOT_VMCS), FAIL_INVALID);                // revision 0
    m.wr(NOT_VMCS, 0x80000000u | VMX_BASIC_REVISION(m.c.model->vmx.basic), 4);
    EXPECT_EQ(m.vmxon(NOT_VMCS), FAIL_INVALID);                // bit 31 set
    EXPECT_FALSE(m.c.vmx.on);
    EXPECT_EQ(m.vmxon(), SUCCEED);
}

TEST(VmxOn, InVmxRootFails)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    EXPECT_EQ(m.vmxon(), FAIL_INVALID);                         // no current VMCS
    ASSERT_EQ(m.vmclear(VMCS_A), SUCCEED);
    ASSERT_EQ(m.vmptrld(VMCS_A), SUCCEED);
    EXPECT_EQ(m.vmxon(), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 15u);                             // VMXON in VMX root operation
    m.load(VMXON_RAX);                                          // CPL 3 in VMX root: #GP
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
}

TEST(VmxOff, RulesAndWriteBack)
{
    VmxMachine m;
    EXPECT_EQ(m.vmxoff(), VEC_UD);                              // not in VMX operation
    m.enter_with_vmcs();
    ASSERT_EQ(m.vmwrite(VMCS_ENC_GUEST_RIP, 0x1234567890ull), SUCCEED);
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_GUEST_RIP)), 0u);   // still only in the cache
    EXPECT_EQ(m.vmxoff(), SUCCEED);
    EXPECT_FALSE(m.c.vmx.on);
    EXPECT_FALSE(vmx_init_blocked(&m.c));
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_GUEST_RIP)), 0x1234567890ull);
    uint64_t v;
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RIP, &v), VEC_UD);        // outside VMX operation

    VmxMachine u;
    ASSERT_EQ(u.vmxon(), SUCCEED);
    u.load(VMXOFF);
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
    EXPECT_TRUE(u.c.vmx.on);
    VmxMachine cm;
    ASSERT_EQ(cm.vmxon(), SUCCEED);
    to_compat(cm);
    EXPECT_EQ(cm.vmxoff(), VEC_UD);
}

TEST(VmxOff, HeldInitIsTakenAtVmxoff)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    m.c.vmx.init_pending = true;                    // what the INIT path records while blocked
    m.load(VMXOFF);
    m.run_at(systest::CODE, 1);
    EXPECT_FALSE(m.c.vmx.on);
    EXPECT_FALSE(m.c.vmx.init_pending);
    EXPECT_EQ(m.c.mode, MODE_REAL);                 // INIT state (SDM 9.1 Table 9-1)
    EXPECT_EQ(m.c.seg[SEG_CS].sel, 0xf000);
}

TEST(VmClear, ErrorsAndSuccess)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    // without a current VMCS every VMfail is VMfailInvalid
    EXPECT_EQ(m.vmclear(VMCS_A + 0x10), FAIL_INVALID);
    EXPECT_EQ(m.vmclear(VMXON_PA), FAIL_INVALID);
    ASSERT_EQ(m.vmclear(VMCS_B), SUCCEED);
    ASSERT_EQ(m.vmptrld(VMCS_B), SUCCEED);
    EXPECT_EQ(m.vmclear(VMCS_A + 0x800), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 2u);                  // VMCLEAR with invalid physical address
    EXPECT_EQ(m.vmclear(1ull << 50), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 2u);
    EXPECT_EQ(m.vmclear(VMXON_PA), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 3u);                  // VMCLEAR with VMXON pointer
    // a VMCS that is not current: header initialised, no other effect
    m.wr(VMCS_A + VMX_VMCS_OFF_LAUNCH, 1, 4);
    EXPECT_EQ(m.vmclear(VMCS_A), SUCCEED);
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_LAUNCH, 4), 0u);
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_FORMAT, 4), (uint64_t)VMX_VMCS_FORMAT);
    uint64_t p;
    EXPECT_EQ(m.vmptrst(&p), SUCCEED);
    EXPECT_EQ(p, VMCS_B);
    // the current VMCS: written back, then no current VMCS
    EXPECT_EQ(m.vmclear(VMCS_B), SUCCEED);
    EXPECT_EQ(m.vmptrst(&p), SUCCEED);
    EXPECT_EQ(p, ~0ull);
    uint64_t v;
    EXPECT_EQ(m.vmread(VMCS_ENC_VM_INSN_ERROR, &v), FAIL_INVALID);
    // CPL > 0: #GP; outside VMX operation: #UD
    m.load(VMCLEAR_RAX);
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    VmxMachine o;
    EXPECT_EQ(o.vmclear(VMCS_A), VEC_UD);
}

TEST(VmClear, MemoryImageFormat)
{
    VmxMachine m;
    m.enter_with_vmcs();
    // one field of each width and type, full and high access
    ASSERT_EQ(m.vmwrite(VMCS_ENC_GUEST_CS_SEL, 0xfedc0008), SUCCEED);
    ASSERT_EQ(m.vmwrite(VMCS_ENC_PROC_CONTROLS, 0x1234567884218421ull), SUCCEED);
    ASSERT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET, 0x0102030405060708ull), SUCCEED);
    ASSERT_EQ(m.vmwrite(VMCS_ENC_HOST_RIP, 0xffffffff81000000ull), SUCCEED);
    m.c.vmx.launched = true;                        // as VMLAUNCH will leave it
    ASSERT_EQ(m.vmclear(VMCS_A), SUCCEED);
    uint32_t rev = VMX_BASIC_REVISION(m.c.model->vmx.basic);
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_REVISION, 4), rev);      // untouched
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_ABORT, 4), 0u);
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_LAUNCH, 4), 0u);         // launch state "clear"
    EXPECT_EQ(m.rd(VMCS_A + VMX_VMCS_OFF_FORMAT, 4), (uint64_t)VMX_VMCS_FORMAT);
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_GUEST_CS_SEL)), 0x0008u);
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_PROC_CONTROLS)), 0x84218421u);
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_TSC_OFFSET)), 0x0102030405060708ull);
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_HOST_RIP)), 0xffffffff81000000ull);
    EXPECT_LE(image_off(VMX_NFIELDS), 4096u);
    // VMPTRLD again: the fields come back from memory
    ASSERT_EQ(m.vmptrld(VMCS_A), SUCCEED);
    EXPECT_FALSE(m.c.vmx.launched);
    uint64_t v;
    EXPECT_EQ(m.vmread(VMCS_ENC_TSC_OFFSET, &v), SUCCEED);
    EXPECT_EQ(v, 0x0102030405060708ull);
}

TEST(VmPtrld, ErrorsAndLaunchState)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    EXPECT_EQ(m.vmptrld(VMCS_A + 4), FAIL_INVALID);
    EXPECT_EQ(m.vmptrld(VMXON_PA), FAIL_INVALID);
    EXPECT_EQ(m.vmptrld(NOT_VMCS), FAIL_INVALID);
    // a region marked launched in memory (hvsim's format) loads with launch state "launched"
    m.wr(VMCS_A + VMX_VMCS_OFF_LAUNCH, 1, 4);
    ASSERT_EQ(m.vmptrld(VMCS_A), SUCCEED);
    EXPECT_TRUE(m.c.vmx.launched);
    EXPECT_EQ(m.vmptrld(VMCS_A + 0x100), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 9u);                  // VMPTRLD with invalid physical address
    EXPECT_EQ(m.vmptrld(1ull << 46), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 9u);
    EXPECT_EQ(m.vmptrld(VMXON_PA), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 10u);                 // VMPTRLD with VMXON pointer
    EXPECT_EQ(m.vmptrld(NOT_VMCS), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 11u);                 // incorrect VMCS revision identifier
    m.wr(NOT_VMCS, 0x80000000u | VMX_BASIC_REVISION(m.c.model->vmx.basic), 4);
    EXPECT_EQ(m.vmptrld(NOT_VMCS), FAIL_VALID);     // shadow-VMCS indicator, no shadowing
    EXPECT_EQ(m.insn_error(), 11u);
    uint64_t p;
    EXPECT_EQ(m.vmptrst(&p), SUCCEED);
    EXPECT_EQ(p, VMCS_A);                           // failures left the current VMCS alone
    EXPECT_TRUE(m.c.vmx.launched);
}

TEST(VmPtrld, SwitchingWritesBackAndReloadKeepsCache)
{
    VmxMachine m;
    m.enter_with_vmcs(VMCS_A);
    ASSERT_EQ(m.vmclear(VMCS_B), SUCCEED);
    ASSERT_EQ(m.vmwrite(VMCS_ENC_GUEST_RSP, 0xaaaa), SUCCEED);
    ASSERT_EQ(m.vmptrld(VMCS_A), SUCCEED);          // same VMCS: the cache stays
    uint64_t v;
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RSP, &v), SUCCEED);
    EXPECT_EQ(v, 0xaaaau);
    ASSERT_EQ(m.vmptrld(VMCS_B), SUCCEED);          // A stays active: its data goes to memory
    EXPECT_EQ(m.rd(VMCS_A + image_off(VMCS_GUEST_RSP)), 0xaaaau);
    ASSERT_EQ(m.vmwrite(VMCS_ENC_GUEST_RSP, 0xbbbb), SUCCEED);
    ASSERT_EQ(m.vmptrld(VMCS_A), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RSP, &v), SUCCEED);
    EXPECT_EQ(v, 0xaaaau);
    ASSERT_EQ(m.vmptrld(VMCS_B), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RSP, &v), SUCCEED);
    EXPECT_EQ(v, 0xbbbbu);
}

TEST(VmPtrst, MemoryOperandAndRules)
{
    VmxMachine m;
    uint64_t p;
    EXPECT_EQ(m.vmptrst(&p), VEC_UD);
    m.enter_with_vmcs(VMCS_B);
    EXPECT_EQ(m.vmptrst(&p), SUCCEED);
    EXPECT_EQ(p, VMCS_B);
    m.r(R_RAX) = 0x1000000;                         // unmapped: #PF, nothing written
    EXPECT_EQ(m.run1(VMPTRST_RAX), VEC_PF);
}

TEST(VmReadWrite, NoCurrentVmcsFailsInvalid)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    uint64_t v;
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RIP, &v), FAIL_INVALID);
    EXPECT_EQ(v, 0x7777777777777777ull);            // destination unchanged
    EXPECT_EQ(m.vmwrite(VMCS_ENC_GUEST_RIP, 1), FAIL_INVALID);
    EXPECT_EQ(m.vmwrite(0x7fff, 1), FAIL_INVALID);  // checked before the encoding
}

TEST(VmReadWrite, EveryWidth64BitMode)
{
    VmxMachine m;
    m.enter_with_vmcs();
    uint64_t v;
    // 16-bit field: low 16 bits of the source, zero-extended on read
    EXPECT_EQ(m.vmwrite(VMCS_ENC_GUEST_ES_SEL, 0x123456789abcdef0ull), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_ES_SEL, &v), SUCCEED);
    EXPECT_EQ(v, 0xdef0u);
    // 32-bit field
    EXPECT_EQ(m.vmwrite(VMCS_ENC_EXCEPTION_BITMAP, 0xffffffff12345678ull), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_EXCEPTION_BITMAP, &v), SUCCEED);
    EXPECT_EQ(v, 0x12345678u);
    // 64-bit field: full access, then high access (encoding | 1) reads and writes bits 63:32
    EXPECT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET, 0x1122334455667788ull), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_TSC_OFFSET, &v), SUCCEED);
    EXPECT_EQ(v, 0x1122334455667788ull);
    EXPECT_EQ(m.vmread(VMCS_ENC_TSC_OFFSET | 1, &v), SUCCEED);
    EXPECT_EQ(v, 0x11223344u);
    EXPECT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET | 1, 0xffffffffdeadbeefull), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_TSC_OFFSET, &v), SUCCEED);
    EXPECT_EQ(v, 0xdeadbeef55667788ull);
    // natural-width field: 64 bits in 64-bit mode
    EXPECT_EQ(m.vmwrite(VMCS_ENC_GUEST_RIP, 0xffff800012345678ull), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RIP, &v), SUCCEED);
    EXPECT_EQ(v, 0xffff800012345678ull);
    // every field the default model has reads back what was written, truncated to its width
    for (int k = 0; k < VMX_NFIELDS; k++) {
        if (!vmx_field_exists(m.c.model, k))
            continue;
        uint32_t e = vmx_field_encoding(k);
        uint64_t val = 0xa5a5a5a5a5a5a5a5ull ^ (uint64_t)k;
        ASSERT_EQ(m.vmwrite(e, val), SUCCEED) << std::hex << e;
        ASSERT_EQ(m.vmread(e, &v), SUCCEED) << std::hex << e;
        unsigned w = VMCS_ENC_WIDTH(e);
        uint64_t want = w == VMCS_W16 ? (val & 0xffff) : w == VMCS_W32 ? (uint32_t)val : val;
        EXPECT_EQ(v, want) << std::hex << e;
    }
}

TEST(VmReadWrite, MemoryOperands)
{
    VmxMachine m;
    m.enter_with_vmcs();
    m.wr(OPND, 0x0badc0ffee0ddf00ull);
    m.r(R_RAX) = OPND;
    m.r(R_RCX) = VMCS_ENC_GUEST_CR3;
    EXPECT_EQ(m.run1(VMWRITE_RCX_MRAX), SUCCEED);
    m.wr(OPND + 8, 0);
    m.r(R_RAX) = OPND + 8;
    EXPECT_EQ(m.run1(VMREAD_MRAX_RCX), SUCCEED);
    EXPECT_EQ(m.rd(OPND + 8), 0x0badc0ffee0ddf00ull);
    m.r(R_RCX) = VMCS_ENC_GUEST_SS_SEL;             // 16-bit field, 64-bit store: zero-extended
    m.wr(OPND + 16, ~0ull);
    m.r(R_RAX) = OPND + 16;
    EXPECT_EQ(m.run1(VMREAD_MRAX_RCX), SUCCEED);
    EXPECT_EQ(m.rd(OPND + 16), 0u);
    m.r(R_RAX) = 0x1000000;                         // unmapped destination: #PF
    EXPECT_EQ(m.run1(VMREAD_MRAX_RCX), VEC_PF);
}

TEST(VmReadWrite, ThirtyTwoBitMode)
{
    VmxMachine m(M32);
    m.enter_with_vmcs();
    uint64_t v;
    // a 64-bit field written with a 32-bit operand: the high bits are cleared (SDM 24.11.2)
    EXPECT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET | 1, 0x99999999), SUCCEED);
    EXPECT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET, 0x12345678), SUCCEED);
    EXPECT_EQ(m.c.vmx.vmcs[VMCS_TSC_OFFSET], 0x12345678u);
    EXPECT_EQ(m.vmwrite(VMCS_ENC_TSC_OFFSET | 1, 0xcafe), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_TSC_OFFSET | 1, &v), SUCCEED);
    EXPECT_EQ((uint32_t)v, 0xcafeu);
    // a natural-width field read with a 32-bit operand: bits 31:0
    m.c.vmx.vmcs[VMCS_GUEST_RIP] = 0x1111222233334444ull;
    EXPECT_EQ(m.vmread(VMCS_ENC_GUEST_RIP, &v), SUCCEED);
    EXPECT_EQ((uint32_t)v, 0x33334444u);
}

TEST(VmReadWrite, UnsupportedAndReadOnlyFields)
{
    VmxMachine m;
    m.enter_with_vmcs();
    uint64_t v;
    const uint64_t bad[] = {
        VMCS_ENC_EXCEPTION_BITMAP | 1,              // high access to a 32-bit field
        VMCS_ENC_GUEST_RIP | 1,                     // ... to a natural-width field
        0x1000 | VMCS_ENC_GUEST_ES_SEL,             // reserved bit 12
        0x8000,                                     // bits 31:15 reserved
        (1ull << 32) | VMCS_ENC_GUEST_ES_SEL,       // bits 63:32 of the register in 64-bit mode
        0x6828,                                     // no natural guest field with index 20
        VMCS_ENC_POSTED_INTR_NV,                    // posted interrupts not offered
        VMCS_ENC_TSC_MULTIPLIER,                    // TSC scaling not offered
        VMCS_ENC_VMREAD_BITMAP,                     // VMCS shadowing not offered
        VMCS_ENC_GUEST_PERF_GLOBAL_CTRL,            // no PMU controls
    };
    for (uint64_t e : bad) {
        EXPECT_EQ(m.vmread(e, &v), FAIL_VALID) << std::hex << e;
        EXPECT_EQ(v, 0x7777777777777777ull);
        EXPECT_EQ(m.insn_error(), 12u) << std::hex << e;
        EXPECT_EQ(m.vmwrite(e, 0), FAIL_VALID) << std::hex << e;
        EXPECT_EQ(m.insn_error(), 12u) << std::hex << e;
    }
    // read-only data fields are writable: the default model sets IA32_VMX_MISC[29]
    EXPECT_EQ(m.vmwrite(VMCS_ENC_EXIT_QUALIFICATION, 0x55), SUCCEED);
    EXPECT_EQ(m.vmread(VMCS_ENC_EXIT_QUALIFICATION, &v), SUCCEED);
    EXPECT_EQ(v, 0x55u);
}

TEST(VmReadWrite, ReadOnlyFieldsWithoutMiscBit29)
{
    static struct cpu_model model;
    char err[256];
    ASSERT_EQ(model_parse(&model, "inherit = default\nvmx.misc = 0x400401e5\n", "t", err,
                          sizeof err), 0) << err;
    VmxMachine m;                                   // same revision; the model's MISC differs
    m.c.model = &model;
    m.enter_with_vmcs();
    uint64_t v;
    EXPECT_EQ(m.vmwrite(VMCS_ENC_EXIT_REASON, 1), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 13u);                 // VMWRITE to read-only VMCS component
    EXPECT_EQ(m.vmwrite(VMCS_ENC_GUEST_PHYSICAL_ADDR | 1, 1), FAIL_VALID);
    EXPECT_EQ(m.insn_error(), 13u);
    EXPECT_EQ(m.vmread(VMCS_ENC_EXIT_REASON, &v), SUCCEED);
    EXPECT_EQ(v, 0u);
}

TEST(VmReadWrite, ExceptionRules)
{
    VmxMachine u;
    u.enter_with_vmcs();
    u.r(R_RCX) = VMCS_ENC_GUEST_RIP;
    u.load(VMREAD_RAX_RCX);
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
    VmxMachine cm;
    cm.enter_with_vmcs();
    to_compat(cm);
    uint64_t v;
    EXPECT_EQ(cm.vmread(VMCS_ENC_GUEST_RIP, &v), VEC_UD);
    to_compat(cm);                                  // the #UD handler ran in 64-bit mode
    EXPECT_EQ(cm.vmwrite(VMCS_ENC_GUEST_RIP, 0), VEC_UD);
    VmxMachine l;
    l.enter_with_vmcs();
    l.r(R_RCX) = VMCS_ENC_GUEST_RIP;
    EXPECT_EQ(l.run1({ 0xf0, 0x0f, 0x78, 0xc8 }), VEC_UD);     // LOCK
}

TEST(VmxCr, FixedBitsInVmxOperation)
{
    VmxMachine m;
    ASSERT_EQ(m.vmxon(), SUCCEED);
    m.r(R_RAX) = m.c.cr4 & ~CR4_VMXE;
    EXPECT_EQ(m.run1({ 0x0f, 0x22, 0xe0 }), VEC_GP);           // MOV CR4: VMXE is fixed to 1
    m.r(R_RAX) = m.c.cr0 & ~CR0_NE;
    EXPECT_EQ(m.run1({ 0x0f, 0x22, 0xc0 }), VEC_GP);           // MOV CR0: NE is fixed to 1
    m.r(R_RAX) = m.c.cr0 | CR0_CD;
    EXPECT_NE(m.run1({ 0x0f, 0x22, 0xc0 }), VEC_GP);           // CD is not fixed
    EXPECT_TRUE(m.c.cr0 & CR0_CD);
    ASSERT_EQ(m.vmxoff(), SUCCEED);
    m.r(R_RAX) = m.c.cr4 & ~CR4_VMXE;
    EXPECT_NE(m.run1({ 0x0f, 0x22, 0xe0 }), VEC_GP);           // free again after VMXOFF
    EXPECT_FALSE(m.c.cr4 & CR4_VMXE);
}

// VMLAUNCH, VMRESUME, VMCALL, INVEPT, INVVPID outside VMX operation: #UD (SDM Vol. 3 30.3, the
// first row of each instruction's pseudocode); VMFUNC: #UD outside VMX non-root operation (their
// behaviour inside VMX operation is tested in test_vmx_entry.cc, test_vmx_inv.cc and
// test_vmx_intercept_exit.cc).
TEST(VmxUd, OutsideVmxOperation)
{
    const std::vector<uint8_t> insns[] = {
        { 0x0f, 0x01, 0xc2 },                       // VMLAUNCH
        { 0x0f, 0x01, 0xc3 },                       // VMRESUME
        { 0x0f, 0x01, 0xc1 },                       // VMCALL
        { 0x66, 0x0f, 0x38, 0x80, 0x08 },           // INVEPT rcx, [rax]
        { 0x66, 0x0f, 0x38, 0x81, 0x08 },           // INVVPID rcx, [rax]
    };
    for (const auto &code : insns) {
        VmxMachine o;
        o.r(R_RAX) = OPND;
        EXPECT_EQ(o.run1(code), VEC_UD);
    }
    VmxMachine f;                                   // VMFUNC: #UD outside and in VMX root
    EXPECT_EQ(f.run1({ 0x0f, 0x01, 0xd4 }), VEC_UD);
    f.enter_with_vmcs();
    EXPECT_EQ(f.run1({ 0x0f, 0x01, 0xd4 }), VEC_UD);
}

}  // namespace
