// test_vmx_intercept_exit.cc — instruction intercepts end to end: a guest entered by VMLAUNCH
// (test_vmx_guest.h) executes one instruction; the test checks the VM exit the SDM prescribes
// (Vol. 3 25.1 which instructions exit and in which priority against faults, 27.2.1 the exit
// qualification and guest-linear address, 24.9.4 instruction information, the instruction length
// and the guest RIP saved at the instruction) or, where it does not exit, the changed behaviour
// of 25.3 (read shadows, TSC offset, TPR shadow). Expected values are hand-encoded from the
// tables; the guest's code bytes are hand-assembled (comments give the instruction).
#include "tests/unit/test_vmx_guest.h"

#include <string>

#include "cpu/model.h"

using namespace vmxguest;

namespace {

using G = GuestMachine;
using Bytes = std::vector<uint8_t>;

constexpr uint64_t DATA = systest::DATA + 0x100;    // (systest::DATA holds VMXON's operand)

// Run `code` in the guest and expect a VM exit with `reason` at the first guest instruction.
void expect_exit(G &m, const Bytes &code, uint32_t reason, uint64_t len)
{
    ASSERT_EQ(m.launch(code, [](G &) {}), -1);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), reason);
    EXPECT_EQ(m.len(), len);
    EXPECT_EQ(m.grip(), GCODE);
}

// The guest ran to the VMCALL after `code` (nothing before it exited).
void expect_no_exit(G &m, const Bytes &code, size_t code_len)
{
    ASSERT_EQ(m.launch(code, [](G &) {}), -1);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.grip(), GCODE + code_len);
}

// A guest at CPL 3 (64-bit user code and data segments of the test GDT).
void user_guest(G &m)
{
    m.f(VMCS_GUEST_CS_SEL) = systest::U_CS64;
    m.f(VMCS_GUEST_CS_AR) = 0xa0fb;
    for (int s : { VMCS_GUEST_SS_SEL, VMCS_GUEST_DS_SEL, VMCS_GUEST_ES_SEL })
        m.f((enum vmcs_field)s) = systest::U_DS;
    for (int s : { VMCS_GUEST_SS_AR, VMCS_GUEST_DS_AR, VMCS_GUEST_ES_AR })
        m.f((enum vmcs_field)s) = 0xc0f3;
    m.f(VMCS_GUEST_RSP) = systest::USTACK;
}

// Run `code` at CPL 3 in the guest; returns launch()'s result.
int launch_user(G &m, const Bytes &code, uint64_t cr4_or = 0)
{
    return m.launch(code, [cr4_or](G &g) {
        user_guest(g);
        g.f(VMCS_GUEST_CR4) |= cr4_or;
    });
}

// ---------------------------------------------------------------- unconditional (25.1.2)

TEST(VmxIcptExit, CpuidAlwaysExits)
{
    G m;
    expect_exit(m, { 0x0f, 0xa2 }, VMX_EXIT_CPUID, 2);      // cpuid
    EXPECT_EQ(m.qual(), 0u);
    EXPECT_EQ(m.info(), 0u);
}

TEST(VmxIcptExit, InvdAlwaysExits)
{
    G m;
    expect_exit(m, { 0x0f, 0x08 }, VMX_EXIT_INVD, 2);       // invd
}

TEST(VmxIcptExit, XsetbvExitsAfterItsUndefinedOpcodeCheck)
{
    G m;                                                    // CR4.OSXSAVE = 0: #UD first
    EXPECT_EQ(m.launch({ 0x0f, 0x01, 0xd1 }), VEC_UD);
    EXPECT_TRUE(m.c.vmx.nonroot);
    G n;
    ASSERT_EQ(n.launch({ 0x0f, 0x01, 0xd1 }, [](G &g) { g.f(VMCS_GUEST_CR4) |= CR4_OSXSAVE; }), -1);
    EXPECT_EQ(n.reason(), (uint32_t)VMX_EXIT_XSETBV);
    EXPECT_EQ(n.len(), 3u);
}

// ---------------------------------------------------------------- one control each (25.1.3)

TEST(VmxIcptExit, HltExiting)
{
    G m;
    m.proc = VMX_PROC_HLT_EXITING;
    expect_exit(m, { 0xf4 }, VMX_EXIT_HLT, 1);
    G n;                                                    // without: the guest halts
    EXPECT_EQ(n.launch({ 0xf4 }), -3);
    EXPECT_TRUE(n.c.vmx.nonroot);
}

TEST(VmxIcptExit, WbinvdExiting)
{
    G m;
    m.proc2 = VMX_PROC2_WBINVD_EXITING;
    expect_exit(m, { 0x0f, 0x09 }, VMX_EXIT_WBINVD, 2);
    G n;
    expect_no_exit(n, { 0x0f, 0x09 }, 2);
}

TEST(VmxIcptExit, PauseExiting)
{
    G m;
    m.proc = VMX_PROC_PAUSE_EXITING;
    expect_exit(m, { 0xf3, 0x90 }, VMX_EXIT_PAUSE, 2);
    G n;
    expect_no_exit(n, { 0xf3, 0x90 }, 2);
}

TEST(VmxIcptExit, InvlpgQualificationIsTheLinearAddress)
{
    G m;
    m.proc = VMX_PROC_INVLPG_EXITING;
    m.r(R_RAX) = 0x123456789000ull;
    expect_exit(m, { 0x0f, 0x01, 0x38 }, VMX_EXIT_INVLPG, 3);  // invlpg [rax]
    EXPECT_EQ(m.qual(), 0x123456789000ull);
}

TEST(VmxIcptExit, InvpcidNeedsEnableAndExitsWithInvlpgExiting)
{
    const Bytes code = { 0x66, 0x0f, 0x38, 0x82, 0x17 };    // invpcid rdx, [rdi]
    G a;                                                    // "enable INVPCID" 0: #UD
    a.proc = VMX_PROC_INVLPG_EXITING;
    EXPECT_EQ(a.launch(code), VEC_UD);
    EXPECT_TRUE(a.c.vmx.nonroot);
    G b;
    b.proc = VMX_PROC_INVLPG_EXITING;
    b.proc2 = VMX_PROC2_ENABLE_INVPCID;
    b.r(R_RDX) = 2;
    b.r(R_RDI) = DATA;
    expect_exit(b, code, VMX_EXIT_INVPCID, 5);
    EXPECT_EQ(b.qual(), 0u);                                // no displacement
    // Table 24-14: 64-bit addresses, DS, no index, base RDI (7), Reg2 RDX (2)
    EXPECT_EQ(b.info(), (2u << 7) | (3u << 15) | (1u << 22) | (7u << 23) | (2u << 28));
    G c;                                                    // enabled, not intercepted: runs
    c.proc2 = VMX_PROC2_ENABLE_INVPCID;
    c.r(R_RDX) = 2;
    c.r(R_RDI) = DATA;
    expect_no_exit(c, code, 5);
}

// ---------------------------------------------------------------- RDTSC, TSC offsetting

TEST(VmxIcptExit, RdtscExitingAndRdtscp)
{
    G m;
    m.proc = VMX_PROC_RDTSC_EXITING;
    expect_exit(m, { 0x0f, 0x31 }, VMX_EXIT_RDTSC, 2);
    G u;                                                    // RDTSCP without "enable RDTSCP": #UD
    u.proc = VMX_PROC_RDTSC_EXITING;
    EXPECT_EQ(u.launch({ 0x0f, 0x01, 0xf9 }), VEC_UD);
    G p;
    p.proc = VMX_PROC_RDTSC_EXITING;
    p.proc2 = VMX_PROC2_ENABLE_RDTSCP;
    expect_exit(p, { 0x0f, 0x01, 0xf9 }, VMX_EXIT_RDTSCP, 3);
}

TEST(VmxIcptExit, TscOffsetting)
{
    constexpr uint64_t OFF = 1ull << 40;
    auto tsc = [](G &m) { return (uint32_t)m.r(R_RAX) | (m.r(R_RDX) << 32); };
    G m;                                                    // "use TSC offsetting": TSC + offset
    m.proc = VMX_PROC_USE_TSC_OFFSETTING;
    ASSERT_EQ(m.launch({ 0x0f, 0x31 }, [](G &g) { g.f(VMCS_TSC_OFFSET) = OFF; }), -1);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_GE(tsc(m), OFF);
    EXPECT_LE(tsc(m) - OFF, m.c.ctr.cycles);                // c->tsc_offset is 0 in the harness
    G n;                                                    // the field alone does nothing
    ASSERT_EQ(n.launch({ 0x0f, 0x31 }, [](G &g) { g.f(VMCS_TSC_OFFSET) = OFF; }), -1);
    EXPECT_LT(tsc(n), OFF);
    G r;                                                    // RDMSR of IA32_TIME_STAMP_COUNTER
    r.proc = VMX_PROC_USE_TSC_OFFSETTING | VMX_PROC_USE_MSR_BITMAPS;
    r.r(R_RCX) = 0x10;
    ASSERT_EQ(r.launch({ 0x0f, 0x32 }, [](G &g) { g.f(VMCS_TSC_OFFSET) = OFF; }), -1);
    ASSERT_EQ(r.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_GE(tsc(r), OFF);
    EXPECT_LE(tsc(r) - OFF, r.c.ctr.cycles);
}

// ---------------------------------------------------------------- MSRs

TEST(VmxIcptExit, MsrBitmaps)
{
    G a;
    a.proc = VMX_PROC_USE_MSR_BITMAPS;
    a.wr(MSRBM + 0x1b / 8, 1u << (0x1b % 8), 1);            // read-low bit of IA32_APIC_BASE
    a.r(R_RCX) = 0x1b;
    expect_exit(a, { 0x0f, 0x32 }, VMX_EXIT_RDMSR, 2);
    G b;                                                    // same MSR, write: its bit is clear
    b.proc = VMX_PROC_USE_MSR_BITMAPS;
    b.wr(MSRBM + 0x1b / 8, 1u << (0x1b % 8), 1);
    b.r(R_RCX) = 0x277;                                     // IA32_PAT, written unchanged
    b.r(R_RAX) = (uint32_t)b.c.msr.pat;
    b.r(R_RDX) = b.c.msr.pat >> 32;
    expect_no_exit(b, { 0x0f, 0x30 }, 2);
    G c;                                                    // no bitmaps: every WRMSR exits
    c.r(R_RCX) = 0x277;
    expect_exit(c, { 0x0f, 0x30 }, VMX_EXIT_WRMSR, 2);
    G d;                                                    // a non-existent MSR: the exit wins
    d.proc = VMX_PROC_USE_MSR_BITMAPS;                      // over #GP (25.1.1); outside the
    d.r(R_RCX) = 0x40000000;                                // bitmap ranges it always exits
    expect_exit(d, { 0x0f, 0x32 }, VMX_EXIT_RDMSR, 2);
}

// ---------------------------------------------------------------- I/O

TEST(VmxIcptExit, UnconditionalIoExiting)
{
    G m;
    m.proc = VMX_PROC_UNCOND_IO_EXITING;
    expect_exit(m, { 0xe4, 0x80 }, VMX_EXIT_IO_INSTRUCTION, 2);    // in al, 0x80
    // Table 27-5: size 0 (1 byte), IN (3), immediate (6), port 80H in 31:16
    EXPECT_EQ(m.qual(), 0x00800048u);
    G o;
    o.proc = VMX_PROC_UNCOND_IO_EXITING;
    expect_exit(o, { 0xe7, 0x70 }, VMX_EXIT_IO_INSTRUCTION, 2);    // out 0x70, eax
    EXPECT_EQ(o.qual(), 0x00700043u);                       // size 3, OUT, immediate
}

TEST(VmxIcptExit, IoBitmaps)
{
    auto bitmap = [](G &g) {
        g.proc = VMX_PROC_USE_IO_BITMAPS | VMX_PROC_UNCOND_IO_EXITING;   // bitmaps decide
        g.wr(IOA + 0x3f8 / 8, 1u << (0x3f8 % 8), 1);
    };
    G a;
    bitmap(a);
    a.r(R_RDX) = 0x3f8;
    expect_exit(a, { 0xee }, VMX_EXIT_IO_INSTRUCTION, 1);  // out dx, al
    EXPECT_EQ(a.qual(), 0x03f80000u);                       // size 0, OUT, DX
    G b;                                                    // in ax, dx at 3F7H covers 3F8H
    bitmap(b);
    b.r(R_RDX) = 0x3f7;
    expect_exit(b, { 0x66, 0xed }, VMX_EXIT_IO_INSTRUCTION, 2);
    EXPECT_EQ(b.qual(), 0x03f70009u);                       // size 1 (2 bytes), IN
    G c;                                                    // 3F9H: clear, no exit
    bitmap(c);
    c.r(R_RDX) = 0x3f9;
    expect_no_exit(c, { 0xee }, 1);
    G d;                                                    // wraps past FFFFH: exits
    bitmap(d);
    d.r(R_RDX) = 0xffff;
    expect_exit(d, { 0x66, 0xef }, VMX_EXIT_IO_INSTRUCTION, 2);    // out dx, ax
    EXPECT_EQ(d.qual(), 0xffff0001u);
}

TEST(VmxIcptExit, StringIoLinearAddressAndInformation)
{
    G m;
    m.proc = VMX_PROC_UNCOND_IO_EXITING;
    m.r(R_RSI) = DATA;
    m.r(R_RCX) = 5;
    m.r(R_RDX) = 0xe9;
    expect_exit(m, { 0xf3, 0x6e }, VMX_EXIT_IO_INSTRUCTION, 2);    // rep outsb
    EXPECT_EQ(m.qual(), 0x00e90030u);                       // size 0, OUT, string, REP
    EXPECT_EQ(m.gla(), DATA);
    EXPECT_EQ(m.info(), (2u << 7) | (3u << 15));            // Table 24-13: 64-bit, DS
    EXPECT_EQ(m.r(R_RCX), 5u);                              // nothing was transferred
    G f;                                                    // outsb fs:[rsi], FS base 1000H
    f.proc = VMX_PROC_UNCOND_IO_EXITING;
    f.r(R_RSI) = DATA;
    f.r(R_RDX) = 0xe9;
    ASSERT_EQ(f.launch({ 0x64, 0x6e }, [](G &g) { g.f(VMCS_GUEST_FS_BASE) = 0x1000; }), -1);
    EXPECT_EQ(f.gla(), DATA + 0x1000);
    EXPECT_EQ(f.info(), (2u << 7) | (4u << 15));
    G i;
    i.proc = VMX_PROC_UNCOND_IO_EXITING;
    i.r(R_RDI) = DATA + 0x10;
    i.r(R_RDX) = 0x60;
    expect_exit(i, { 0x66, 0x6d }, VMX_EXIT_IO_INSTRUCTION, 2);    // insw
    EXPECT_EQ(i.qual(), 0x00600019u);                       // size 1, IN, string
    EXPECT_EQ(i.gla(), DATA + 0x10);
    EXPECT_EQ(i.info(), 2u << 7);                           // segment undefined for INS: 0
}

// ---------------------------------------------------------------- CR0 / CR4 masks and shadows

TEST(VmxIcptExit, MovToCr0OwnedBitDifferentFromShadowExits)
{
    G m;
    m.proc = 0;
    m.r(R_RAX) = m.c.cr0 | CR0_TS;
    ASSERT_EQ(m.launch({ 0x0f, 0x22, 0xc0 }, [](G &g) {     // mov cr0, rax
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
        g.f(VMCS_CR0_READ_SHADOW) = 0;
    }), -1);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(m.qual(), 0u);                                // CR0, MOV to CR, RAX
    EXPECT_EQ(m.len(), 3u);
}

TEST(VmxIcptExit, MovToCr0OwnedBitsKeepTheirValue)
{
    // MP owned with shadow 1, real MP 0; TS owned with shadow 0, real TS 1. The guest writes MP=1
    // TS=0 (equal to the shadows: no exit) and the real bits stay MP=0, TS=1.
    G m;
    uint64_t cr0 = m.c.cr0 & ~(CR0_MP | CR0_TS);
    m.r(R_RAX) = cr0 | CR0_MP;
    ASSERT_EQ(m.launch({ 0x0f, 0x22, 0xc0, 0x0f, 0x20, 0xc3 }, [cr0](G &g) {  // mov cr0, rax;
        g.f(VMCS_GUEST_CR0) = cr0 | CR0_TS;                                 // mov rbx, cr0
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_MP | CR0_TS;
        g.f(VMCS_CR0_READ_SHADOW) = CR0_MP;
    }), -1);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.f(VMCS_GUEST_CR0), cr0 | CR0_TS);
    EXPECT_EQ(m.r(R_RBX), cr0 | CR0_MP);                    // the guest reads the shadow bits
}

// Bits the guest owns (mask 0) are still held to the VMX fixed bits: clearing CR0.NE #GPs, and so
// does clearing CR0.PG, unless "unrestricted guest" exempts PE and PG (SDM Vol. 3 25.3 MOV to CR0;
// fixed bits of A.7). The #GP reaches the host through the exception bitmap (vector 13, error 0).
TEST(VmxIcptExit, GuestOwnedCr0BitsKeepTheFixedBits)
{
    for (uint64_t clear : { CR0_NE, CR0_PG }) {
        G m;
        m.r(R_RAX) = m.c.cr0 & ~clear;
        ASSERT_EQ(m.launch({ 0x0f, 0x22, 0xc0 }, [](G &g) {     // mov cr0, rax
            g.f(VMCS_CR0_GUEST_HOST_MASK) = 0;
            g.f(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;
        }), -1);
        EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_EXCEPTION_NMI) << clear;
        // valid, hardware exception (type 3), error code delivered, vector 13
        EXPECT_EQ(m.f(VMCS_EXIT_INTR_INFO), 0x80000b0du) << clear;
        EXPECT_EQ(m.grip(), GCODE);
    }
}

TEST(VmxIcptExit, Cr4ShadowHidesVmxe)
{
    G m;                                                    // reading: VMXE from the shadow (0)
    m.r(R_RAX) = m.c.cr4 & ~CR4_VMXE;
    ASSERT_EQ(m.launch({ 0x0f, 0x20, 0xe3, 0x0f, 0x22, 0xe0 }, [](G &g) {  // mov rbx, cr4;
        g.f(VMCS_CR4_GUEST_HOST_MASK) = CR4_VMXE;                           // mov cr4, rax
        g.f(VMCS_CR4_READ_SHADOW) = 0;
    }), -1);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.r(R_RBX), m.c.cr4 & ~CR4_VMXE);             // host CR4 == guest CR4 here
    EXPECT_TRUE(m.f(VMCS_GUEST_CR4) & CR4_VMXE);            // the write left the real bit
    G n;                                                    // setting it (shadow 0): exit
    n.r(R_RCX) = n.c.cr4;
    ASSERT_EQ(n.launch({ 0x0f, 0x22, 0xe1 }, [](G &g) {     // mov cr4, rcx
        g.f(VMCS_CR4_GUEST_HOST_MASK) = CR4_VMXE;
    }), -1);
    EXPECT_EQ(n.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(n.qual(), 0x104u);                            // CR4, MOV to CR, RCX
}

TEST(VmxIcptExit, SmswReadsTheShadow)
{
    G m;
    ASSERT_EQ(m.launch({ 0x0f, 0x01, 0xe0 }, [](G &g) {     // smsw eax
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
        g.f(VMCS_CR0_READ_SHADOW) = CR0_TS;
    }), -1);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.r(R_RAX), (uint32_t)(m.c.cr0 | CR0_TS));
}

TEST(VmxIcptExit, Clts)
{
    G a;                                                    // TS owned, shadow 1: exit
    ASSERT_EQ(a.launch({ 0x0f, 0x06 }, [](G &g) {
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
        g.f(VMCS_CR0_READ_SHADOW) = CR0_TS;
    }), -1);
    EXPECT_EQ(a.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(a.qual(), 0x20u);                             // access type 2 (CLTS)
    EXPECT_EQ(a.len(), 2u);
    G b;                                                    // TS owned, shadow 0: TS unchanged
    ASSERT_EQ(b.launch({ 0x0f, 0x06 }, [](G &g) {
        g.f(VMCS_GUEST_CR0) |= CR0_TS;
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
    }), -1);
    EXPECT_EQ(b.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_TRUE(b.f(VMCS_GUEST_CR0) & CR0_TS);
    G c;                                                    // not owned: cleared
    ASSERT_EQ(c.launch({ 0x0f, 0x06 }, [](G &g) { g.f(VMCS_GUEST_CR0) |= CR0_TS; }), -1);
    EXPECT_FALSE(c.f(VMCS_GUEST_CR0) & CR0_TS);
}

TEST(VmxIcptExit, Lmsw)
{
    G r;                                                    // lmsw ax, TS owned with shadow 0
    uint16_t src = (uint16_t)(r.c.cr0 | CR0_TS);
    r.r(R_RAX) = src;
    ASSERT_EQ(r.launch({ 0x0f, 0x01, 0xf0 }, [](G &g) {
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
    }), -1);
    EXPECT_EQ(r.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(r.qual(), 0x30u | (uint64_t)src << 16);       // LMSW, register, source data
    EXPECT_EQ(r.len(), 3u);
    G m;                                                    // lmsw [rbx]: memory operand
    m.wr(DATA, 0x0009, 2);                                  // PE | TS
    m.r(R_RBX) = DATA;
    ASSERT_EQ(m.launch({ 0x0f, 0x01, 0x33 }, [](G &g) {
        g.f(VMCS_CR0_GUEST_HOST_MASK) = CR0_TS;
    }), -1);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(m.qual(), 0x70u | 9u << 16);                  // LMSW, memory (bit 6)
    EXPECT_EQ(m.gla(), DATA);
}

// ---------------------------------------------------------------- CR3

TEST(VmxIcptExit, Cr3LoadExitingAndTargets)
{
    G a;                                                    // CR3 is target 0 of 1: no exit
    a.proc = VMX_PROC_CR3_LOAD_EXITING;
    a.r(R_RCX) = a.c.cr3;
    ASSERT_EQ(a.launch({ 0x0f, 0x22, 0xd9 }, [](G &g) {     // mov cr3, rcx
        g.f(VMCS_CR3_TARGET0) = g.c.cr3;
        g.f(VMCS_CR3_TARGET_COUNT) = 1;
    }), -1);
    EXPECT_EQ(a.reason(), (uint32_t)VMX_EXIT_VMCALL);
    G b;                                                    // count 0: exits
    b.proc = VMX_PROC_CR3_LOAD_EXITING;
    b.r(R_RCX) = b.c.cr3;
    ASSERT_EQ(b.launch({ 0x0f, 0x22, 0xd9 }, [](G &g) { g.f(VMCS_CR3_TARGET0) = g.c.cr3; }), -1);
    EXPECT_EQ(b.reason(), (uint32_t)VMX_EXIT_CR_ACCESS);
    EXPECT_EQ(b.qual(), 0x103u);                            // CR3, MOV to CR, RCX
    G s;
    s.proc = VMX_PROC_CR3_STORE_EXITING;
    expect_exit(s, { 0x0f, 0x20, 0xda }, VMX_EXIT_CR_ACCESS, 3);   // mov rdx, cr3
    EXPECT_EQ(s.qual(), 0x213u);                            // CR3, MOV from CR, RDX
}

// ---------------------------------------------------------------- CR8 and the TPR shadow

TEST(VmxIcptExit, Cr8WithTprShadow)
{
    G m;
    m.proc = VMX_PROC_TPR_SHADOW;
    m.wr(VAPIC + 0x80, 0xffffff2f, 4);                      // class 2: the threshold 2 is met
    m.r(R_RAX) = 3;
    // mov cr8, rax; mov rbx, cr8
    ASSERT_EQ(m.launch({ 0x44, 0x0f, 0x22, 0xc0, 0x44, 0x0f, 0x20, 0xc3 }, [](G &g) {
        g.f(VMCS_TPR_THRESHOLD) = 2;
    }), -1);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    EXPECT_EQ(m.rd(VAPIC + 0x80, 4), 0x30u);                // VTPR[7:4] = 3, the rest cleared
    EXPECT_EQ(m.r(R_RBX), 3u);
    EXPECT_EQ(m.c.cr8, 0u);                                 // the real TPR did not change
}

TEST(VmxIcptExit, TprBelowThresholdIsTrapLike)
{
    // VTPR 50H at entry (VM entry requires threshold <= VTPR[7:4], 26.2.1.1); the guest lowers
    // it to class 3, below the threshold 5
    G m;
    m.proc = VMX_PROC_TPR_SHADOW;
    m.wr(VAPIC + 0x80, 0x50, 4);
    m.r(R_RAX) = 3;
    ASSERT_EQ(m.launch({ 0x44, 0x0f, 0x22, 0xc0 }, [](G &g) {   // mov cr8, rax
        g.f(VMCS_TPR_THRESHOLD) = 5;
    }), -1);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_TPR_BELOW_THRESHOLD);
    EXPECT_EQ(m.grip(), GCODE + 4);                         // after the MOV (trap-like)
    EXPECT_EQ(m.len(), 0u);
    EXPECT_EQ(m.qual(), 0u);
    EXPECT_EQ(m.rd(VAPIC + 0x80, 4), 0x30u);                // the write happened
}

TEST(VmxIcptExit, Cr8LoadAndStoreExiting)
{
    G l;
    l.proc = VMX_PROC_TPR_SHADOW | VMX_PROC_CR8_LOAD_EXITING;
    expect_exit(l, { 0x44, 0x0f, 0x22, 0xc0 }, VMX_EXIT_CR_ACCESS, 4);
    EXPECT_EQ(l.qual(), 0x8u);                              // CR8, MOV to CR, RAX
    G s;
    s.proc = VMX_PROC_TPR_SHADOW | VMX_PROC_CR8_STORE_EXITING;
    expect_exit(s, { 0x44, 0x0f, 0x20, 0xc3 }, VMX_EXIT_CR_ACCESS, 4);
    EXPECT_EQ(s.qual(), 0x318u);                            // CR8, MOV from CR, RBX
    G g;                                                    // reserved CR8 bits: #GP
    g.proc = VMX_PROC_TPR_SHADOW;
    g.r(R_RAX) = 0x10;
    EXPECT_EQ(g.launch({ 0x44, 0x0f, 0x22, 0xc0 }), VEC_GP);
}

// ---------------------------------------------------------------- MOV DR

TEST(VmxIcptExit, MovDrExiting)
{
    G m;
    m.proc = VMX_PROC_MOV_DR_EXITING;
    expect_exit(m, { 0x0f, 0x21, 0xf8 }, VMX_EXIT_DR_ACCESS, 3);   // mov rax, dr7
    EXPECT_EQ(m.qual(), 0x17u);                             // DR7, from DR, RAX
    G n;
    n.proc = VMX_PROC_MOV_DR_EXITING;
    expect_exit(n, { 0x0f, 0x23, 0xc1 }, VMX_EXIT_DR_ACCESS, 3);   // mov dr0, rcx
    EXPECT_EQ(n.qual(), 0x100u);
}

// ---------------------------------------------------------------- descriptor tables

TEST(VmxIcptExit, DescriptorTableExiting)
{
    const uint32_t mem64ds = (2u << 7) | (3u << 15) | (1u << 22);  // 64-bit, DS, no index
    G s;
    s.proc2 = VMX_PROC2_DESC_TABLE_EXITING;
    s.r(R_RAX) = DATA;
    expect_exit(s, { 0x0f, 0x01, 0x40, 0x08 }, VMX_EXIT_GDTR_IDTR, 4);    // sgdt [rax+8]
    EXPECT_EQ(s.qual(), 8u);
    EXPECT_EQ(s.info(), mem64ds | (0u << 23) | (0u << 28));   // base RAX, identity 0 (SGDT)
    G l;
    l.proc2 = VMX_PROC2_DESC_TABLE_EXITING;
    l.r(R_RAX) = DATA;
    expect_exit(l, { 0x0f, 0x01, 0x18 }, VMX_EXIT_GDTR_IDTR, 3);          // lidt [rax]
    EXPECT_EQ(l.info(), mem64ds | (3u << 28));              // identity 3 (LIDT)
    G t;
    t.proc2 = VMX_PROC2_DESC_TABLE_EXITING;
    expect_exit(t, { 0x0f, 0x00, 0xc9 }, VMX_EXIT_LDTR_TR, 3);            // str ecx
    EXPECT_EQ(t.info(), (1u << 10) | (1u << 3) | (1u << 28));   // register, Reg1 RCX, STR
    EXPECT_EQ(t.qual(), 0u);
    G d;
    d.proc2 = VMX_PROC2_DESC_TABLE_EXITING;
    expect_exit(d, { 0x0f, 0x00, 0xd0 }, VMX_EXIT_LDTR_TR, 3);            // lldt ax
    EXPECT_EQ(d.info(), (1u << 10) | (2u << 28));           // register, Reg1 RAX, LLDT
    G n;                                                    // control 0: SGDT runs
    n.r(R_RAX) = DATA;
    expect_no_exit(n, { 0x0f, 0x01, 0x40, 0x08 }, 4);
    EXPECT_EQ(n.rd(DATA + 8, 2), n.f(VMCS_GUEST_GDTR_LIMIT));     // the guest's GDTR
}

// ---------------------------------------------------------------- VMX instructions (25.1.2)

TEST(VmxIcptExit, VmxInstructionsExitWithInformation)
{
    const uint32_t mem64ds = (2u << 7) | (3u << 15) | (1u << 22);
    G a;
    a.r(R_RAX) = DATA;
    expect_exit(a, { 0x0f, 0xc7, 0x38 }, VMX_EXIT_VMPTRST, 3);            // vmptrst [rax]
    EXPECT_EQ(a.info(), mem64ds);
    G b;
    expect_exit(b, { 0x0f, 0x78, 0xc8 }, VMX_EXIT_VMREAD, 3);             // vmread rax, rcx
    EXPECT_EQ(b.info(), (1u << 10) | (0u << 3) | (1u << 28));
    G c;
    expect_exit(c, { 0x0f, 0x01, 0xc4 }, VMX_EXIT_VMXOFF, 3);
    EXPECT_EQ(c.info(), 0u);
    G d;
    d.r(R_RAX) = DATA;
    expect_exit(d, { 0xf3, 0x0f, 0xc7, 0x30 }, VMX_EXIT_VMXON, 4);        // vmxon [rax]
    EXPECT_EQ(d.info(), mem64ds);
    G e;                                                    // vmclear [rbx+rsi*8+0x10]
    e.r(R_RBX) = DATA;
    expect_exit(e, { 0x66, 0x0f, 0xc7, 0x74, 0xf3, 0x10 }, VMX_EXIT_VMCLEAR, 6);
    EXPECT_EQ(e.qual(), 0x10u);
    EXPECT_EQ(e.info(), 3u | (2u << 7) | (3u << 15) | (6u << 18) | (3u << 23));
    G f;                                                    // vmwrite r9, [rbp-8]
    f.r(R_RBP) = DATA + 0x100;
    expect_exit(f, { 0x44, 0x0f, 0x79, 0x4d, 0xf8 }, VMX_EXIT_VMWRITE, 5);
    EXPECT_EQ(f.qual(), ~7ull);
    EXPECT_EQ(f.info(), (2u << 7) | (2u << 15) | (1u << 22) | (5u << 23) | (9u << 28));
    G g;
    g.r(R_RAX) = DATA;
    expect_exit(g, { 0x0f, 0xc7, 0x30 }, VMX_EXIT_VMPTRLD, 3);            // vmptrld [rax]
}

// ---------------------------------------------------------------- priority (25.1.1)

TEST(VmxIcptExit, PrivilegeFaultsBeforeExits)
{
    G a;                                                    // RDMSR at CPL 3: #GP, no exit
    EXPECT_EQ(launch_user(a, { 0x0f, 0x32 }), VEC_GP);
    EXPECT_TRUE(a.c.vmx.nonroot);
    G b;                                                    // HLT at CPL 3 with HLT exiting:
    b.proc = VMX_PROC_HLT_EXITING;                          // #GP, whose handler's HLT (at
    ASSERT_EQ(launch_user(b, { 0xf4 }), -1);                // CPL 0) is what exits
    EXPECT_EQ(b.reason(), (uint32_t)VMX_EXIT_HLT);
    EXPECT_EQ(b.grip(), systest::HND + VEC_GP);
    G c;                                                    // RDTSC, CR4.TSD, CPL 3
    c.proc = VMX_PROC_RDTSC_EXITING;
    EXPECT_EQ(launch_user(c, { 0x0f, 0x31 }, CR4_TSD), VEC_GP);
    G d;                                                    // IN at CPL 3 > IOPL, TSS denies
    d.proc = VMX_PROC_UNCOND_IO_EXITING;
    EXPECT_EQ(launch_user(d, { 0xe4, 0x80 }), VEC_GP);
    G e;                                                    // LGDT at CPL 3
    e.proc2 = VMX_PROC2_DESC_TABLE_EXITING;
    e.r(R_RAX) = DATA;
    EXPECT_EQ(launch_user(e, { 0x0f, 0x01, 0x10 }), VEC_GP);
}

TEST(VmxIcptExit, ExitsBeforeLaterFaults)
{
    G a;                                                    // CPUID at CPL 3 exits
    ASSERT_EQ(launch_user(a, { 0x0f, 0xa2 }), -1);
    EXPECT_EQ(a.reason(), (uint32_t)VMX_EXIT_CPUID);
    G b;                                                    // MOV DR at CPL 3: the exit takes
    b.proc = VMX_PROC_MOV_DR_EXITING;                       // priority over #GP (25.1.3)
    ASSERT_EQ(launch_user(b, { 0x0f, 0x21, 0xf8 }), -1);
    EXPECT_EQ(b.reason(), (uint32_t)VMX_EXIT_DR_ACCESS);
    G c;                                                    // ... and over the DR4 #UD of
    c.proc = VMX_PROC_MOV_DR_EXITING;                       // CR4.DE = 1
    ASSERT_EQ(c.launch({ 0x0f, 0x21, 0xe0 }, [](G &g) { g.f(VMCS_GUEST_CR4) |= CR4_DE; }), -1);
    EXPECT_EQ(c.reason(), (uint32_t)VMX_EXIT_DR_ACCESS);
    EXPECT_EQ(c.qual(), 0x14u);                             // DR4 as encoded, from DR, RAX
    G d;                                                    // VMXOFF at CPL 3: the exit comes
    ASSERT_EQ(launch_user(d, { 0x0f, 0x01, 0xc4 }), -1);    // before the CPL check (30.3)
    EXPECT_EQ(d.reason(), (uint32_t)VMX_EXIT_VMXOFF);
    G e;                                                    // OUTS exits before its #PF/#GP:
    e.proc = VMX_PROC_UNCOND_IO_EXITING;                    // RSI non-canonical
    e.r(R_RSI) = 0x8000000000000000ull;
    e.r(R_RDX) = 0x80;
    ASSERT_EQ(e.launch({ 0x6e }), -1);
    EXPECT_EQ(e.reason(), (uint32_t)VMX_EXIT_IO_INSTRUCTION);
    EXPECT_EQ(e.gla(), 0x8000000000000000ull);
}

// ---------------------------------------------------------------- RDPMC, MONITOR, MWAIT

// The default model with leaf 1 changed by `ecx_or` and leaf 0AH set to `leaf_a` (EAX).
const struct cpu_model *model_with(uint32_t ecx_or, uint32_t leaf_a)
{
    static struct cpu_model models[4];
    static int n;
    char err[256];
    uint32_t l1[4];
    model_cpuid(model_default(), 1, 0, l1);
    std::string text = "inherit = default\ncpuid 0x1 = " + std::to_string(l1[0]) + " " +
                       std::to_string(l1[1]) + " " + std::to_string(l1[2] | ecx_or) + " " +
                       std::to_string(l1[3]) + "\ncpuid 0xa = " + std::to_string(leaf_a) +
                       " 0 0 0\n";
    struct cpu_model *m = &models[n++ % 4];
    EXPECT_EQ(model_parse(m, text.c_str(), "icpt", err, sizeof err), 0) << err;
    return m;
}

TEST(VmxIcptInsn, Rdpmc)
{
    const Bytes rdpmc = { 0x0f, 0x33 };
    G a;                                                    // no counters on the default model
    a.load(rdpmc);
    EXPECT_EQ(a.run(), VEC_GP);
    G b;                                                    // the exit comes before that #GP
    b.proc = VMX_PROC_RDPMC_EXITING;
    expect_exit(b, rdpmc, VMX_EXIT_RDPMC, 2);
    G c;                                                    // CPL 3, CR4.PCE = 0: #GP first
    c.proc = VMX_PROC_RDPMC_EXITING;
    EXPECT_EQ(launch_user(c, rdpmc), VEC_GP);
    EXPECT_TRUE(c.c.vmx.nonroot);
    G d;                                                    // ... with CR4.PCE: the exit
    d.proc = VMX_PROC_RDPMC_EXITING;
    ASSERT_EQ(launch_user(d, rdpmc, CR4_PCE), -1);
    EXPECT_EQ(d.reason(), (uint32_t)VMX_EXIT_RDPMC);
    G e;                                                    // 3 general-purpose counters
    e.c.model = model_with(0, 0x0302);
    e.r(R_RCX) = 2;
    e.r(R_RAX) = e.r(R_RDX) = 0x55;
    e.load(rdpmc);
    EXPECT_EQ(e.run(), -1);
    EXPECT_EQ(e.r(R_RAX), 0u);
    EXPECT_EQ(e.r(R_RDX), 0u);
    e.r(R_RCX) = 3;
    EXPECT_EQ(e.run(), VEC_GP);
    e.r(R_RCX) = 1u << 30;                                  // fixed counter 0: none reported
    EXPECT_EQ(e.run(), VEC_GP);
}

TEST(VmxIcptInsn, MonitorMwaitUndefinedWithoutTheFeature)
{
    G a;                                                    // default model: no MONITOR
    a.load({ 0x0f, 0x01, 0xc8 });
    EXPECT_EQ(a.run(), VEC_UD);
    G b;                                                    // #UD before "MONITOR exiting"
    b.proc = VMX_PROC_MONITOR_EXITING | VMX_PROC_MWAIT_EXITING;
    EXPECT_EQ(b.launch({ 0x0f, 0x01, 0xc9 }), VEC_UD);
    EXPECT_TRUE(b.c.vmx.nonroot);
}

TEST(VmxIcptInsn, MonitorMwaitExits)
{
    G a;
    a.c.model = model_with(1u << 3, 0);
    a.proc = VMX_PROC_MONITOR_EXITING;
    a.r(R_RCX) = 1;                                         // would be #GP: the exit comes first
    expect_exit(a, { 0x0f, 0x01, 0xc8 }, VMX_EXIT_MONITOR, 3);
    EXPECT_EQ(a.qual(), 0u);
    G b;
    b.c.model = model_with(1u << 3, 0);
    b.proc = VMX_PROC_MWAIT_EXITING;
    expect_exit(b, { 0x0f, 0x01, 0xc9 }, VMX_EXIT_MWAIT, 3);
    EXPECT_EQ(b.qual(), 0u);                                // no monitor armed
    G c;                                                    // not intercepted: they execute
    c.c.model = model_with(1u << 3, 0);
    c.r(R_RAX) = DATA;
    expect_no_exit(c, { 0x0f, 0x01, 0xc8, 0x0f, 0x01, 0xc9 }, 6);
    G d;                                                    // CPL 3: #UD even when intercepted
    d.c.model = model_with(1u << 3, 0);
    d.proc = VMX_PROC_MWAIT_EXITING;
    EXPECT_EQ(launch_user(d, { 0x0f, 0x01, 0xc9 }), VEC_UD);
}

TEST(VmxIcptInsn, MonitorMwaitChecks)
{
    G m;
    m.c.model = model_with(1u << 3, 0);
    m.r(R_RCX) = 1;                                         // MONITOR extensions: none
    m.load({ 0x0f, 0x01, 0xc8 });
    EXPECT_EQ(m.run(), VEC_GP);
    m.r(R_RCX) = 1;                                         // MWAIT ECX[0] needs CPUID.5:ECX[1]
    m.load({ 0x0f, 0x01, 0xc9 });
    EXPECT_EQ(m.run(), VEC_GP);
    m.r(R_RCX) = 0;
    m.r(R_RAX) = 0x8000000000000000ull;                     // MONITOR: non-canonical address
    m.load({ 0x0f, 0x01, 0xc8 });
    EXPECT_EQ(m.run(), VEC_GP);
    m.r(R_RAX) = DATA;
    EXPECT_EQ(m.run(), -1);
}

TEST(VmxIcptInsn, GetsecRsmRdrandAreUndefined)
{
    G m;
    m.load({ 0x0f, 0x37 });                                 // getsec: no SMX
    EXPECT_EQ(m.run(), VEC_UD);
    m.load({ 0x0f, 0xaa });                                 // rsm: not in SMM
    EXPECT_EQ(m.run(), VEC_UD);
    m.load({ 0x0f, 0xc7, 0xf0 });                           // rdrand eax: CPUID.1:ECX[30] = 0
    EXPECT_EQ(m.run(), VEC_UD);
}

}  // namespace
