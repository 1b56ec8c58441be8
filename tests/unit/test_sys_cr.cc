// test_sys_cr.cc — control registers, debug registers, EFER and MSRs (cpu/sys_mode.c,
// cpu/sys_cr.c, cpu/sys_msr.c) by running the instructions: reserved-bit #GP checks, IA-32e
// activation (SDM Vol. 3 10.8.5), DR4/DR5 aliasing, the MSR table (SDM Vol. 4) and the TSC.
#include "tests/unit/test_sys_harness.h"

using namespace systest;

namespace {

const std::initializer_list<uint8_t> MOV_CR0_RAX = { 0x0f, 0x22, 0xc0 };
const std::initializer_list<uint8_t> MOV_CR4_RAX = { 0x0f, 0x22, 0xe0 };
const std::initializer_list<uint8_t> MOV_CR3_RAX = { 0x0f, 0x22, 0xd8 };
const std::initializer_list<uint8_t> WRMSR = { 0x0f, 0x30 };
const std::initializer_list<uint8_t> RDMSR = { 0x0f, 0x32 };

int wrmsr(Machine &m, uint32_t msr, uint64_t v)
{
    m.r(R_RCX) = msr;
    m.r(R_RAX) = (uint32_t)v;
    m.r(R_RDX) = v >> 32;
    return m.exec(WRMSR);
}

uint64_t rdmsr(Machine &m, uint32_t msr, int *vec = nullptr)
{
    m.r(R_RCX) = msr;
    int v = m.exec(RDMSR);
    if (vec)
        *vec = v;
    else
        EXPECT_EQ(v, -1) << "rdmsr " << std::hex << msr;
    return (uint32_t)m.r(R_RAX) | m.r(R_RDX) << 32;
}

TEST(SysCr, Cr0Checks)
{
    Machine m(M64);
    uint64_t cr0 = m.c.cr0;
    m.r(R_RAX) = cr0 | (1ull << 32);                           // bits 63:32 reserved
    EXPECT_EQ(m.exec(MOV_CR0_RAX), VEC_GP);
    m.r(R_RAX) = cr0 & ~CR0_PG;                                // clearing PG in 64-bit mode
    EXPECT_EQ(m.exec(MOV_CR0_RAX), VEC_GP);
    m.r(R_RAX) = (cr0 & ~CR0_CD) | CR0_NW;                     // NW without CD
    EXPECT_EQ(m.exec(MOV_CR0_RAX), VEC_GP);
    m.r(R_RAX) = cr0 | (1ull << 7) | CR0_AM;                   // reserved bit 7 is ignored
    EXPECT_EQ(m.exec(MOV_CR0_RAX), -1);
    EXPECT_EQ(m.c.cr0, cr0 | CR0_AM);

    Machine p(M32);
    p.r(R_RAX) = CR0_PG | CR0_ET;                              // PG without PE
    EXPECT_EQ(p.exec({ 0x0f, 0x22, 0xc0 }), VEC_GP);
    Machine u(M64);
    u.load(MOV_CR0_RAX);
    u.to_user();
    u.r(R_RAX) = u.c.cr0;
    EXPECT_EQ(u.run(), VEC_GP);                                // CPL 3
    EXPECT_EQ(u.stk(0), 0u);
}

TEST(SysCr, Cr4Checks)
{
    Machine m(M64);
    uint64_t cr4 = m.c.cr4;
    m.r(R_RAX) = cr4 | CR4_SMXE;                               // SMX not reported by the model
    EXPECT_EQ(m.exec(MOV_CR4_RAX), VEC_GP);
    m.r(R_RAX) = cr4 | (1ull << 30);
    EXPECT_EQ(m.exec(MOV_CR4_RAX), VEC_GP);
    m.r(R_RAX) = cr4 & ~CR4_PAE;                               // PAE is required in IA-32e mode
    EXPECT_EQ(m.exec(MOV_CR4_RAX), VEC_GP);
    m.c.cr3 |= 5;                                              // PCIDE needs CR3[11:0] = 0
    m.r(R_RAX) = cr4 | CR4_PCIDE;
    EXPECT_EQ(m.exec(MOV_CR4_RAX), VEC_GP);
    m.c.cr3 &= ~0xfffull;
    EXPECT_EQ(m.exec(MOV_CR4_RAX), -1);
    m.r(R_RAX) = cr4 | CR4_PCIDE | CR4_FSGSBASE | CR4_OSXSAVE | CR4_PGE;
    EXPECT_EQ(m.exec(MOV_CR4_RAX), -1);
    EXPECT_EQ(m.c.cr4, m.r(R_RAX));
    // SMEP/SMAP are supported; set them without running on (user-accessible) pages afterwards
    m.r(R_RAX) = m.c.cr4 | CR4_SMEP | CR4_SMAP;
    m.load(MOV_CR4_RAX);
    m.c.rip = CODE;
    m.c.halted = false;
    cpu_run(&m.c, 1);
    EXPECT_EQ(m.c.cr4, m.r(R_RAX));
}

TEST(SysCr, Cr3ReservedBitsAndNoFlushBit)
{
    Machine m(M64);
    uint64_t cr3 = m.c.cr3;
    m.r(R_RAX) = cr3 | (1ull << 46);                           // above MAXPHYADDR = 46
    EXPECT_EQ(m.exec(MOV_CR3_RAX), VEC_GP);
    m.r(R_RAX) = cr3 | (1ull << 63);                           // bit 63 without PCIDE
    EXPECT_EQ(m.exec(MOV_CR3_RAX), VEC_GP);
    m.c.cr4 |= CR4_PCIDE;
    m.r(R_RAX) = cr3 | (1ull << 63) | 7;                       // no-flush, PCID 7
    EXPECT_EQ(m.exec(MOV_CR3_RAX), -1);
    EXPECT_EQ(m.c.cr3, cr3 | 7);                               // bit 63 not stored
}

TEST(SysCr, Cr8IsTheTpr)
{
    Machine m(M64);
    m.r(R_RAX) = 0x10;
    EXPECT_EQ(m.exec({ 0x44, 0x0f, 0x22, 0xc0 }), VEC_GP);
    m.r(R_RAX) = 9;
    m.r(R_RBX) = 0;
    // mov cr8,rax ; mov rbx,cr8
    EXPECT_EQ(m.exec({ 0x44, 0x0f, 0x22, 0xc0, 0x44, 0x0f, 0x20, 0xc3 }), -1);
    EXPECT_EQ(m.r(R_RBX), 9u);
}

TEST(SysCr, EnterLongModeFromProtectedMode)
{
    Machine m(M32);
    // identity-mapped 4-level tables (US, 2 MiB pages) as in the 64-bit setup
    uint64_t pml4 = PT, pdpt = PT + 0x1000, pd = PT + 0x2000;
    m.wr(pml4, pdpt | 7);
    m.wr(pdpt, pd | 7);
    m.wr(pd, 0x87);
    // PG with LME but without PAE: #GP(0)
    m.c.msr.efer = EFER_LME;
    m.c.cr3 = pml4;
    m.r(R_RAX) = m.c.cr0 | CR0_PG;
    ASSERT_EQ(m.exec({ 0x0f, 0x22, 0xc0 }), VEC_GP);
    EXPECT_FALSE(m.c.msr.efer & EFER_LMA);

    // mov cr4,eax (PAE) ; mov cr0,ebx (PG) ; jmp 0x08:next ; (64-bit) mov rax,rsp
    Machine k(M32);
    k.wr(pml4, pdpt | 7);
    k.wr(pdpt, pd | 7);
    k.wr(pd, 0x87);
    k.c.cr3 = pml4;
    k.r(R_RCX) = 0xc0000080u;                                  // EFER.LME via WRMSR
    k.r(R_RAX) = EFER_LME;
    k.r(R_RDX) = 0;
    k.load({ 0x0f, 0x30 });
    ASSERT_EQ(k.run(), -1);
    k.r(R_RAX) = CR4_PAE;
    k.r(R_RBX) = k.c.cr0 | CR0_PG;
    uint32_t next = CODE + 3 + 3 + 7;
    k.load({ 0x0f, 0x22, 0xe0, 0x0f, 0x22, 0xc3, 0xea, (uint8_t)next, (uint8_t)(next >> 8),
             (uint8_t)(next >> 16), (uint8_t)(next >> 24), K_CS64, 0x00, 0x48, 0x89, 0xe0 });
    k.c.rip = CODE;
    k.c.halted = false;
    cpu_run(&k.c, 2);
    EXPECT_TRUE(k.c.msr.efer & EFER_LMA);
    EXPECT_EQ(k.c.mode, MODE_COMPAT);                          // CS is still the 32-bit one
    cpu_run(&k.c, 2);
    EXPECT_EQ(k.c.mode, MODE_LONG64);
    EXPECT_EQ(k.c.code_size, 8);
    EXPECT_EQ(k.r(R_RAX), STACK);

    // EFER.LME cannot change while paging is on; LMA is read-only
    Machine l(M64);
    EXPECT_EQ(wrmsr(l, 0xc0000080u, EFER_SCE | EFER_NXE), VEC_GP);
    EXPECT_EQ(wrmsr(l, 0xc0000080u, EFER_SCE | EFER_LME), -1);
    EXPECT_EQ(l.c.msr.efer, EFER_SCE | EFER_LME | EFER_LMA);
    EXPECT_EQ(wrmsr(l, 0xc0000080u, EFER_LME | EFER_LMA | (1u << 9)), VEC_GP);   // reserved
}

TEST(SysCr, DebugRegisters)
{
    Machine m(M64);
    m.r(R_RAX) = 0x1;
    // mov dr4,rax (aliases DR6 with CR4.DE = 0) ; mov rbx,dr6
    EXPECT_EQ(m.exec({ 0x0f, 0x23, 0xe0, 0x0f, 0x21, 0xf3 }), -1);
    EXPECT_EQ(m.r(R_RBX), 0xfffe0ff1u);
    m.c.cr4 |= CR4_DE;
    EXPECT_EQ(m.exec({ 0x0f, 0x23, 0xe0 }), VEC_UD);
    m.r(R_RAX) = 1ull << 32;
    EXPECT_EQ(m.exec({ 0x0f, 0x23, 0xf8 }), VEC_GP);           // DR7 bits 63:32
    m.r(R_RAX) = 0;
    m.r(R_RBX) = 0;
    EXPECT_EQ(m.exec({ 0x0f, 0x23, 0xf8, 0x0f, 0x21, 0xfb }), -1);
    EXPECT_EQ(m.r(R_RBX), 0x400u);                             // DR7 bit 10 reads as 1
    Machine u(M64);
    u.load({ 0x0f, 0x21, 0xf3 });
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
}

TEST(SysCr, LmswSmswClts)
{
    Machine m(M32);
    m.c.cr0 |= CR0_TS;
    m.r(R_RAX) = 0;                                            // LMSW cannot clear PE
    // clts ; lmsw ax ; smsw ebx
    EXPECT_EQ(m.exec({ 0x0f, 0x06, 0x0f, 0x01, 0xf0, 0x0f, 0x01, 0xe3 }), -1);
    EXPECT_TRUE(m.c.cr0 & CR0_PE);
    EXPECT_FALSE(m.c.cr0 & (CR0_TS | CR0_MP));
    EXPECT_EQ(m.r(R_RBX), (uint32_t)m.c.cr0);
}

TEST(SysCr, PrivilegedAtCpl3)
{
    const std::initializer_list<uint8_t> forms[] = {
        { 0x0f, 0x06 },                 // clts
        { 0x0f, 0x01, 0x38 },           // invlpg [rax]
        { 0x0f, 0x09 },                 // wbinvd
        { 0x0f, 0x08 },                 // invd
        { 0x0f, 0x32 },                 // rdmsr
        { 0x0f, 0x30 },                 // wrmsr
        { 0xf4 },                       // hlt
        { 0x0f, 0x20, 0xd8 },           // mov rax,cr3
    };
    for (auto f : forms) {
        Machine m(M64);
        m.load(f);
        m.to_user();
        m.r(R_RAX) = DATA;
        EXPECT_EQ(m.run(), VEC_GP) << "opcode " << std::hex << (int)*(f.begin() + 1);
        EXPECT_EQ(m.stk(0), 0u);
    }
}

TEST(SysMsr, UnknownAndReservedBits)
{
    Machine m(M64);
    int vec;
    rdmsr(m, 0x12345, &vec);
    EXPECT_EQ(vec, VEC_GP);
    EXPECT_EQ(wrmsr(m, 0x12345, 0), VEC_GP);
    EXPECT_EQ(wrmsr(m, 0xc0000082u, 0x0000800000000000ull), VEC_GP);     // LSTAR canonical
    EXPECT_EQ(wrmsr(m, 0xc0000100u, 0xffff800000000000ull), -1);          // FS_BASE canonical
    EXPECT_EQ(m.c.seg[SEG_FS].base, 0xffff800000000000ull);
    EXPECT_EQ(wrmsr(m, 0xc0000084u, 1ull << 32), VEC_GP);                 // FMASK 63:32
    EXPECT_EQ(wrmsr(m, 0x277, 0x0007040600070402ull), VEC_GP);            // PAT type 2
    EXPECT_EQ(wrmsr(m, 0x277, 0x0007040600070401ull), -1);
    EXPECT_EQ(m.c.msr.pat, 0x0007040600070401ull);
    EXPECT_EQ(wrmsr(m, 0x2ff, 0xc03), VEC_GP);                            // MTRR type 3
    EXPECT_EQ(wrmsr(m, 0x2ff, 0xc06), -1);
    EXPECT_EQ(wrmsr(m, 0x200, (1ull << 46) | 6), VEC_GP);                 // above MAXPHYADDR
    EXPECT_EQ(wrmsr(m, 0xfe, 0), VEC_GP);                                 // MTRRcap read-only
    EXPECT_EQ(rdmsr(m, 0xfe), 0x508u);
    EXPECT_EQ(wrmsr(m, 0x1b, 0xfee00000ull | (1 << 11) | 1), VEC_GP);     // APIC_BASE bit 0
    EXPECT_EQ(wrmsr(m, 0x1b, 0xfed00000ull | (1 << 11)), -1);
    EXPECT_EQ(rdmsr(m, 0x1b), 0xfed00000ull | (1 << 11) | (1 << 8));     // BSP kept
    EXPECT_EQ(wrmsr(m, 0x176, 0x0000800000000000ull), VEC_GP);            // SYSENTER_EIP
    EXPECT_EQ(wrmsr(m, 0xc0000103u, 1ull << 32), VEC_GP);                 // TSC_AUX 63:32
    EXPECT_EQ(rdmsr(m, 0x1a0) & 0x1801u, 0x1801u);                        // MISC_ENABLE
}

TEST(SysMsr, FeatureControlLocks)
{
    Machine m(M64);
    EXPECT_EQ(wrmsr(m, 0x3a, 2), VEC_GP);                      // VMX inside SMX: model has no SMX
    EXPECT_EQ(wrmsr(m, 0x3a, 5), -1);                          // lock + VMX outside SMX
    EXPECT_EQ(wrmsr(m, 0x3a, 1), VEC_GP);                      // locked: no more writes
    EXPECT_EQ(rdmsr(m, 0x3a), 5u);
}

TEST(SysMsr, TscIsVirtualAndWritable)
{
    // RDTSC = cycles so far (fetch walks included) + offset: deterministic, never host time
    uint64_t first[2];
    for (int k = 0; k < 2; k++) {
        Machine d(M64);
        d.c.tsc_offset = 1000000;
        EXPECT_EQ(d.exec({ 0x0f, 0x31 }), -1);
        first[k] = (uint32_t)d.r(R_RAX) | d.r(R_RDX) << 32;
        EXPECT_GE(first[k], 1000000u);
        EXPECT_LT(first[k], 1000000u + d.c.ctr.cycles);
    }
    EXPECT_EQ(first[0], first[1]);
    Machine m(M64);
    // WRMSR TSC: the offset moves so that RDTSC continues from the written value, and
    // IA32_TSC_ADJUST moves by the same amount (SDM Vol. 3 17.17.3)
    uint64_t cyc_before = m.c.ctr.cycles, before = cyc_before + m.c.tsc_offset;
    EXPECT_EQ(wrmsr(m, 0x10, 5000000), -1);
    EXPECT_LE(m.c.msr.tsc_adjust, 5000000 - before);          // minus the cycles of the fetch
    EXPECT_GT(m.c.msr.tsc_adjust, 5000000 - before - 200);
    EXPECT_EQ(m.exec({ 0x0f, 0x31 }), -1);
    uint64_t tsc = (uint32_t)m.r(R_RAX) | m.r(R_RDX) << 32;
    EXPECT_GE(tsc, 5000000u);
    EXPECT_LT(tsc - 5000000u, m.c.ctr.cycles - cyc_before);
}

TEST(SysMsr, RdtscTsdAndRdtscp)
{
    Machine m(M64);
    m.c.cr4 |= CR4_TSD;
    m.load({ 0x0f, 0x31 });
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    Machine p(M64);
    p.c.msr.tsc_aux = 0x1234;
    EXPECT_EQ(p.exec({ 0x0f, 0x01, 0xf9 }), -1);
    EXPECT_EQ(p.r(R_RCX), 0x1234u);
}

}  // namespace
