// test_vmx_intercept.cc — the pure parts of the VMX instruction intercepts (cpu/vmx_intercept.h):
// the VM-exit instruction-information field against hand-encoded values of SDM Vol. 3 24.9.4
// (Tables 24-13 to 24-19), the displacement qualification (27.2.1), the exit qualifications of
// Tables 27-3, 27-4 and 27-5, the I/O and MSR bitmaps (24.6.4, 24.6.9, 25.1.3), the CR3-target
// list, LMSW, PAUSE-loop exiting and the TPR threshold (25.1.3, 29.1.2). Instructions are decoded
// by hvsim's decoder from bytes assembled by hand; the expected fields are computed from the
// tables, field by field, in each test.
#include "tests/unit/test_vmx_harness.h"

#include "cpu/decode.h"
#include "cpu/vmx_intercept.h"

using namespace vmxtest;

namespace {

// Field helpers spelled out from Tables 24-14..24-19, independent of the VMX_II_* macros.
constexpr uint32_t SCALE(unsigned s) { return s; }
constexpr uint32_t REG1(unsigned r) { return r << 3; }
constexpr uint32_t ASZ16 = 0u << 7, ASZ32 = 1u << 7, ASZ64 = 2u << 7;
constexpr uint32_t REGFORM = 1u << 10;
constexpr uint32_t SEG(unsigned s) { return s << 15; }   // 0 ES 1 CS 2 SS 3 DS 4 FS 5 GS
constexpr uint32_t INDEX(unsigned r) { return r << 18; }
constexpr uint32_t NOINDEX = 1u << 22;
constexpr uint32_t BASE(unsigned r) { return r << 23; }
constexpr uint32_t NOBASE = 1u << 27;
constexpr uint32_t REG2(unsigned r) { return r << 28; }

struct Decoder {
    struct decoder_handles dh;
    Decoder() { EXPECT_EQ(decoder_init(&dh), 0); }
    ~Decoder() { decoder_fini(&dh); }
    struct insn dec(unsigned cs, std::vector<uint8_t> b)
    {
        b.resize(16, 0x90);
        struct insn i;
        EXPECT_EQ(decode_one(&dh, cs, b.data(), b.size(), &i), 0);
        return i;
    }
};

struct Fixture : ::testing::Test {
    VmxMachine m;       // registers the handlers (decode needs them) and gives a struct cpu
    Decoder d;
};

using VmxIcptInfo = Fixture;

TEST_F(VmxIcptInfo, MemoryOperandBaseOnly)
{
    struct insn i = d.dec(8, { 0x0f, 0xc7, 0x30 });          // vmptrld [rax]
    EXPECT_EQ(vmx_insn_info(&m.c, &i, VMX_II_NO_REG2), ASZ64 | SEG(3) | NOINDEX | BASE(0));
    EXPECT_EQ(vmx_insn_disp(&m.c, &i), 0u);
}

TEST_F(VmxIcptInfo, BaseIndexScaleDisplacement)
{
    // vmclear [rbx+rsi*8+0x10]: ModRM 74 (mod 01, /6, SIB), SIB F3 (x8, rsi, rbx), disp8 10
    struct insn i = d.dec(8, { 0x66, 0x0f, 0xc7, 0x74, 0xf3, 0x10 });
    EXPECT_EQ(vmx_insn_info(&m.c, &i, VMX_II_NO_REG2),
              SCALE(3) | ASZ64 | SEG(3) | INDEX(6) | BASE(3));
    EXPECT_EQ(vmx_insn_disp(&m.c, &i), 0x10u);
}

TEST_F(VmxIcptInfo, NegativeDisplacementStackSegmentAndReg2)
{
    // vmwrite r9, [rbp-8]: REX.R, ModRM 4D (mod 01, reg 1+8, rm rbp), disp8 F8
    struct insn i = d.dec(8, { 0x44, 0x0f, 0x79, 0x4d, 0xf8 });
    EXPECT_EQ(vmx_insn_info(&m.c, &i, 9), ASZ64 | SEG(2) | NOINDEX | BASE(5) | REG2(9));
    EXPECT_EQ(vmx_insn_disp(&m.c, &i), 0xfffffffffffffff8ull);   // sign-extended to 64 bits
}

TEST_F(VmxIcptInfo, RegisterForm)
{
    struct insn i = d.dec(8, { 0x0f, 0x78, 0xc8 });          // vmread rax, rcx
    EXPECT_EQ(vmx_insn_info(&m.c, &i, 1), REGFORM | REG1(0) | REG2(1));
    EXPECT_EQ(vmx_insn_disp(&m.c, &i), 0u);                 // no displacement: 0
    // vmread r10, r11 (REX.RB = 45): Reg1 = r10, Reg2 = r11
    struct insn j = d.dec(8, { 0x4d, 0x0f, 0x78, 0xda });
    EXPECT_EQ(vmx_insn_info(&m.c, &j, 11), REGFORM | REG1(10) | REG2(11));
    struct insn s = d.dec(8, { 0x0f, 0x00, 0xc9 });          // str ecx
    EXPECT_EQ(vmx_insn_info(&m.c, &s, VMX_II_NO_REG2), REGFORM | REG1(1));
}

TEST_F(VmxIcptInfo, RipRelative)
{
    // vmptrst [rip+0x100]: ModRM 3D; no base, no index; qualification = disp + next RIP
    struct insn i = d.dec(8, { 0x0f, 0xc7, 0x3d, 0x00, 0x01, 0x00, 0x00 });
    EXPECT_EQ(vmx_insn_info(&m.c, &i, VMX_II_NO_REG2), ASZ64 | SEG(3) | NOINDEX | NOBASE);
    m.c.rip = 0x401007;                                     // as while the handler runs
    EXPECT_EQ(vmx_insn_disp(&m.c, &i), 0x401107u);
}

TEST_F(VmxIcptInfo, SegmentOverrideAndAddressSize)
{
    struct insn f = d.dec(8, { 0x64, 0x0f, 0xc7, 0x30 });    // vmptrld fs:[rax]
    EXPECT_EQ(vmx_insn_info(&m.c, &f, VMX_II_NO_REG2), ASZ64 | SEG(4) | NOINDEX | BASE(0));
    struct insn a = d.dec(8, { 0x67, 0x0f, 0xc7, 0x30 });    // vmptrld [eax]
    EXPECT_EQ(vmx_insn_info(&m.c, &a, VMX_II_NO_REG2), ASZ32 | SEG(3) | NOINDEX | BASE(0));
    // 32-bit code: sgdt [ebx+ecx*2]: ModRM 04, SIB 4B
    struct insn s = d.dec(4, { 0x0f, 0x01, 0x04, 0x4b });
    EXPECT_EQ(vmx_insn_info(&m.c, &s, VMX_II_NO_REG2),
              SCALE(1) | ASZ32 | SEG(3) | INDEX(1) | BASE(3));
    // 16-bit code: lidt [bx+si]: base BX (3), index SI (6), 16-bit addresses
    struct insn l = d.dec(2, { 0x0f, 0x01, 0x18 });
    EXPECT_EQ(vmx_insn_info(&m.c, &l, VMX_II_NO_REG2), ASZ16 | SEG(3) | INDEX(6) | BASE(3));
}

TEST_F(VmxIcptInfo, InvpcidReg2)
{
    struct insn i = d.dec(8, { 0x66, 0x0f, 0x38, 0x82, 0x17 });  // invpcid rdx, [rdi]
    EXPECT_EQ(vmx_insn_info(&m.c, &i, 2), ASZ64 | SEG(3) | NOINDEX | BASE(7) | REG2(2));
}

TEST_F(VmxIcptInfo, DescriptorTableForms)
{
    // Table 24-15 in 32-bit code: sgdt [ebx+ecx*2] (identity 0), operand size 32 (bit 11)
    VmxMachine m32(systest::M32);
    struct insn s = d.dec(4, { 0x0f, 0x01, 0x04, 0x4b });
    const uint32_t mem = SCALE(1) | ASZ32 | SEG(3) | INDEX(1) | BASE(3);
    EXPECT_EQ(vmx_insn_info_desc(&m32.c, &s), mem | (1u << 11) | (0u << 28));
    struct insn s16 = d.dec(4, { 0x66, 0x0f, 0x01, 0x0c, 0x4b });  // o16 sidt [ebx+ecx*2]
    EXPECT_EQ(vmx_insn_info_desc(&m32.c, &s16), mem | (1u << 28));
    // 64-bit mode: bit 11 undefined (0); lidt [rax] identity 3
    struct insn l = d.dec(8, { 0x0f, 0x01, 0x18 });
    EXPECT_EQ(vmx_insn_info_desc(&m.c, &l), ASZ64 | SEG(3) | NOINDEX | BASE(0) | (3u << 28));
    // Table 24-16: ltr [rax] (memory, identity 3); sldt eax (register, identity 0)
    struct insn t = d.dec(8, { 0x0f, 0x00, 0x18 });
    EXPECT_EQ(vmx_insn_info_desc(&m.c, &t), ASZ64 | SEG(3) | NOINDEX | BASE(0) | (3u << 28));
    struct insn x = d.dec(8, { 0x0f, 0x00, 0xc0 });
    EXPECT_EQ(vmx_insn_info_desc(&m.c, &x), REGFORM | REG1(0) | (0u << 28));
}

TEST_F(VmxIcptInfo, InsOutsForm)
{
    // Table 24-13: address size 9:7, segment 17:15 for OUTS (undefined, 0, for INS)
    struct insn o = d.dec(8, { 0xf3, 0x64, 0x6e });          // rep outsb dx, fs:[rsi]
    EXPECT_EQ(vmx_insn_info_io(&o, true), ASZ64 | SEG(4));
    struct insn n = d.dec(4, { 0x66, 0x67, 0x6d });          // insw with 16-bit addresses
    EXPECT_EQ(vmx_insn_info_io(&n, false), ASZ16);
    struct insn p = d.dec(4, { 0x6f });                      // outsd dx, ds:[esi]
    EXPECT_EQ(vmx_insn_info_io(&p, true), ASZ32 | SEG(3));
}

// ---------------------------------------------------------------- qualifications (27.2.1)

TEST(VmxIcptQual, ControlRegisterTable27_3)
{
    EXPECT_EQ(vmx_qual_cr(3, VMX_CR_MOV_TO, 5, false, 0), 0x503u);     // mov cr3, rbp
    EXPECT_EQ(vmx_qual_cr(8, VMX_CR_MOV_FROM, 15, false, 0), 0xf18u);  // mov r15, cr8
    EXPECT_EQ(vmx_qual_cr(0, VMX_CR_CLTS, 0, false, 0), 0x20u);
    // lmsw [mem] with source 000BH: type 3 (bits 5:4), memory (bit 6), data in 31:16
    EXPECT_EQ(vmx_qual_cr(0, VMX_CR_LMSW, 0, true, 0x000b), 0xb0070u);
}

TEST(VmxIcptQual, DebugRegisterTable27_4)
{
    EXPECT_EQ(vmx_qual_dr(7, true, 12), 0xc17u);    // mov r12, dr7
    EXPECT_EQ(vmx_qual_dr(0, false, 0), 0u);        // mov dr0, rax
}

TEST(VmxIcptQual, IoTable27_5)
{
    // in al, 0x3f8 is not encodable; in al, imm8 0x80: size 0, IN (3), immediate (6), port 31:16
    EXPECT_EQ(vmx_qual_io(0x80, 1, true, false, false, true), 0x00800048u);
    // rep outsd to port 3F8H: size 3, OUT, string (4), REP (5), DX
    EXPECT_EQ(vmx_qual_io(0x3f8, 4, false, true, true, false), 0x03f80033u);
    EXPECT_EQ(vmx_qual_io(0xffff, 2, false, false, false, false), 0xffff0001u);
}

// ---------------------------------------------------------------- bitmaps and predicates

constexpr uint64_t IOA = 0x40000, IOB = 0x41000, MSRBM = 0x42000, VAPIC = 0x43000;

struct Ctl : ::testing::Test {
    VmxMachine m;
    void proc(uint32_t p, uint32_t p2 = 0)
    {
        m.c.vmx.vmcs[VMCS_PROC_CONTROLS] = p | (p2 ? VMX_PROC_SECONDARY : 0);
        m.c.vmx.vmcs[VMCS_PROC_CONTROLS2] = p2;
    }
    void SetUp() override
    {
        m.c.vmx.vmcs[VMCS_IO_BITMAP_A] = IOA;
        m.c.vmx.vmcs[VMCS_IO_BITMAP_B] = IOB;
        m.c.vmx.vmcs[VMCS_MSR_BITMAP] = MSRBM;
        m.c.vmx.vmcs[VMCS_VIRTUAL_APIC_ADDR] = VAPIC;
    }
};

using VmxIcptIo = Ctl;

TEST_F(VmxIcptIo, BitmapsOnePortPerBit)
{
    proc(VMX_PROC_USE_IO_BITMAPS);
    m.wr(IOA + 0x80 / 8, 1u << (0x80 % 8), 1);          // port 0080H
    m.wr(IOB + (0x8001 - 0x8000) / 8, 1u << 1, 1);      // port 8001H
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x80, 1));
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x7f, 1));
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x7f, 2));           // 7FH-80H: one bit set is enough
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x7e, 2));
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x7d, 4));
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x81, 4));
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x7fff, 2));        // 7FFFH in A, 8000H in B: both clear
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x7fff, 4));         // ... 8001H in B is set
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x8001, 1));
    EXPECT_FALSE(vmx_io_exits(&m.c, 0xfffe, 2));
    EXPECT_TRUE(vmx_io_exits(&m.c, 0xffff, 2));         // wraps to 0000H: always exits
    EXPECT_TRUE(vmx_io_exits(&m.c, 0xfffd, 4));
}

TEST_F(VmxIcptIo, UnconditionalAndPrecedence)
{
    proc(0);
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x80, 1));
    proc(VMX_PROC_UNCOND_IO_EXITING);
    EXPECT_TRUE(vmx_io_exits(&m.c, 0x80, 1));
    proc(VMX_PROC_UNCOND_IO_EXITING | VMX_PROC_USE_IO_BITMAPS);  // the bitmaps decide
    EXPECT_FALSE(vmx_io_exits(&m.c, 0x80, 1));
}

using VmxIcptMsr = Ctl;

TEST_F(VmxIcptMsr, FourBitmapsAndRanges)
{
    proc(VMX_PROC_USE_MSR_BITMAPS);
    m.wr(MSRBM + 0 + 0x10 / 8, 1u << (0x10 % 8), 1);            // read low: IA32_TSC (10H)
    m.wr(MSRBM + 3072 + 0x80 / 8, 1u << (0x80 % 8), 1);         // write high: C0000080H
    m.wr(MSRBM + 1024 + 0x101 / 8, 1u << (0x101 % 8), 1);       // read high: C0000101H
    m.wr(MSRBM + 2048 + 0x1fff / 8, 1u << (0x1fff % 8), 1);     // write low: 1FFFH
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x10, false));
    EXPECT_FALSE(vmx_msr_exits(&m.c, 0x10, true));
    EXPECT_FALSE(vmx_msr_exits(&m.c, 0x11, false));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0xc0000080u, true));
    EXPECT_FALSE(vmx_msr_exits(&m.c, 0xc0000080u, false));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0xc0000101u, false));
    EXPECT_FALSE(vmx_msr_exits(&m.c, 0xc0000100u, false));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x1fff, true));
    EXPECT_FALSE(vmx_msr_exits(&m.c, 0x1fff, false));
    // outside 0-1FFFH and C0000000H-C0001FFFH: always
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x2000, false));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0xc0002000u, true));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x40000000u, false));
    proc(0);                                                    // no bitmaps: every access
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x11, false));
    EXPECT_TRUE(vmx_msr_exits(&m.c, 0x10, true));
}

using VmxIcptCr = Ctl;

TEST_F(VmxIcptCr, Cr3TargetList)
{
    m.c.vmx.vmcs[VMCS_CR3_TARGET0] = 0x1000;
    m.c.vmx.vmcs[VMCS_CR3_TARGET1] = 0x2000;
    m.c.vmx.vmcs[VMCS_CR3_TARGET2] = 0x3000;
    m.c.vmx.vmcs[VMCS_CR3_TARGET_COUNT] = 2;
    proc(0);
    EXPECT_FALSE(vmx_cr3_load_exits(&m.c, 0x5000));
    proc(VMX_PROC_CR3_LOAD_EXITING);
    EXPECT_FALSE(vmx_cr3_load_exits(&m.c, 0x1000));
    EXPECT_FALSE(vmx_cr3_load_exits(&m.c, 0x2000));
    EXPECT_TRUE(vmx_cr3_load_exits(&m.c, 0x3000));      // target 2 is beyond the count
    EXPECT_TRUE(vmx_cr3_load_exits(&m.c, 0x1001));
    m.c.vmx.vmcs[VMCS_CR3_TARGET_COUNT] = 0;            // count 0: every MOV to CR3 exits
    EXPECT_TRUE(vmx_cr3_load_exits(&m.c, 0x1000));
}

TEST(VmxIcptCrPure, MasksAndShadows)
{
    // owned bits PG (31) and NE (5); shadow PG=1, NE=0
    uint64_t mask = CR0_PG | CR0_NE, shadow = CR0_PG;
    EXPECT_FALSE(vmx_cr_write_exits(mask, shadow, CR0_PG | CR0_PE | CR0_TS));
    EXPECT_TRUE(vmx_cr_write_exits(mask, shadow, CR0_PG | CR0_NE));
    EXPECT_TRUE(vmx_cr_write_exits(mask, shadow, CR0_PE));
    EXPECT_EQ(vmx_cr_read_value(mask, shadow, CR0_PE | CR0_NE | CR0_TS), CR0_PG | CR0_PE | CR0_TS);
}

TEST(VmxIcptCrPure, Lmsw)
{
    // PE owned, shadow 0: setting PE exits; LMSW cannot clear PE, so PE owned with shadow 1 and
    // source 0 does not
    EXPECT_TRUE(vmx_lmsw_exits(CR0_PE, 0, 1));
    EXPECT_FALSE(vmx_lmsw_exits(CR0_PE, 0, 0));
    EXPECT_FALSE(vmx_lmsw_exits(CR0_PE, CR0_PE, 0));
    EXPECT_FALSE(vmx_lmsw_exits(CR0_PE, CR0_PE, 1));
    // TS owned: a source different from the shadow exits either way
    EXPECT_TRUE(vmx_lmsw_exits(CR0_TS, CR0_TS, 0));
    EXPECT_TRUE(vmx_lmsw_exits(CR0_TS, 0, CR0_TS));
    EXPECT_FALSE(vmx_lmsw_exits(CR0_TS, CR0_TS, CR0_TS | CR0_MP));
    // bits above 3 are not LMSW's: an owned NE or PG never makes it exit
    EXPECT_FALSE(vmx_lmsw_exits(CR0_NE | CR0_PG, 0, 0xf));
}

using VmxIcptTpr = Ctl;

TEST_F(VmxIcptTpr, BelowThreshold)
{
    m.wr(VAPIC + 0x80, 0x50, 4);                        // VTPR: priority class 5
    m.c.vmx.vmcs[VMCS_TPR_THRESHOLD] = 6;
    proc(0);
    EXPECT_FALSE(vmx_tpr_below_threshold(&m.c));        // no TPR shadow
    proc(VMX_PROC_TPR_SHADOW);
    EXPECT_EQ(vmx_vtpr(&m.c), 0x50u);
    EXPECT_TRUE(vmx_tpr_below_threshold(&m.c));         // 5 < 6
    m.c.vmx.vmcs[VMCS_TPR_THRESHOLD] = 5;
    EXPECT_FALSE(vmx_tpr_below_threshold(&m.c));        // 5 < 5 is false
    m.wr(VAPIC + 0x80, 0x4f, 4);                        // bits 3:0 do not count
    EXPECT_TRUE(vmx_tpr_below_threshold(&m.c));
}

TEST(VmxIcptPle, GapAndWindow)
{
    // PLE_Gap 10, PLE_Window 100 (TSC ticks)
    struct vmx_ple_state s = {};
    uint64_t t = 1000;
    EXPECT_FALSE(vmx_ple_pause(&s, t, 10, 100));        // first after entry starts a loop
    for (unsigned k = 0; k < 20; k++) {                 // every 5 ticks: up to 100 after first
        t += 5;
        EXPECT_FALSE(vmx_ple_pause(&s, t, 10, 100)) << k;
    }
    t += 5;                                             // 105 ticks since the first: exit
    EXPECT_TRUE(vmx_ple_pause(&s, t, 10, 100));
    t += 11;                                            // a gap over PLE_Gap: a new loop
    EXPECT_FALSE(vmx_ple_pause(&s, t, 10, 100));
    t += 10;                                            // exactly PLE_Gap: same loop
    EXPECT_FALSE(vmx_ple_pause(&s, t, 10, 100));
    EXPECT_EQ(s.first, t - 10);
    s.valid = false;                                    // VM entry resets the record
    EXPECT_FALSE(vmx_ple_pause(&s, t + 1, 10, 100));
    EXPECT_EQ(s.first, t + 1);
}

}  // namespace
