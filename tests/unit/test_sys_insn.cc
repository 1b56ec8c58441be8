// test_sys_insn.cc — system instructions by running machine code (cpu/sys_fast.c, sys_io.c,
// sys_misc.c, sys_int.c, sys_msr.c): SYSCALL/SYSRET and SYSENTER/SYSEXIT state, SWAPGS, port I/O
// with IOPL and the TSS I/O permission bitmap (SDM Vol. 1 19.5), CPUID's per-LP fields, RDPID
// (and Capstone's RDSEED misdecode), XGETBV/XSETBV, FXSAVE/FXRSTOR, PUSHF/POPF, CLI/STI, HLT.
#include "tests/unit/test_sys_harness.h"

#include <string>

using namespace systest;

namespace {

// ---------------------------------------------------------------- SYSCALL / SYSRET

void syscall_msrs(Machine &m)
{
    m.c.msr.star = (uint64_t)K_CS32 << 48 | (uint64_t)K_CS64 << 32;   // Linux-style layout
    m.c.msr.lstar = 0x30000;
    m.c.msr.fmask = RF_IF | RF_TF | RF_DF;
}

TEST(SysFast, SyscallState)
{
    Machine m(M64);
    syscall_msrs(m);
    m.load({ 0xf4 }, 0x30000);
    m.load({ 0x0f, 0x05 });                                    // syscall
    m.to_user();
    m.c.rflags |= RF_IF | RF_DF;
    uint64_t fl = m.flags();
    m.c.rip = CODE;
    cpu_run(&m.c, 1);
    EXPECT_EQ(m.c.rip, 0x30000u);
    EXPECT_EQ(m.r(R_RCX), CODE + 2);
    EXPECT_EQ(m.r(R_R11), fl);
    EXPECT_EQ(m.flags() & (RF_IF | RF_DF), 0u);
    EXPECT_EQ(m.c.cpl, 0);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, K_CS64);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, K_CS64 + 8);
    EXPECT_EQ(m.c.mode, MODE_LONG64);
    EXPECT_EQ(m.r(R_RSP), USTACK);                             // SYSCALL does not switch stacks
}

TEST(SysFast, SysretTo64AndCompat)
{
    Machine m(M64);
    syscall_msrs(m);
    m.r(R_RCX) = 0x30000;
    m.r(R_R11) = 0x202 | RF_TF | RF_VM;                        // VM is masked off (3C7FD7H)
    m.load({ 0x48, 0x0f, 0x07 });                              // sysretq
    m.c.rip = CODE;
    cpu_run(&m.c, 1);
    EXPECT_EQ(m.c.rip, 0x30000u);
    EXPECT_EQ(m.c.cpl, 3);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, U_CS64);                    // STAR[63:48] + 16, RPL 3
    EXPECT_EQ(m.c.seg[SEG_SS].sel, U_DS);                      // STAR[63:48] + 8, RPL 3
    EXPECT_EQ(m.flags(), 0x202u | RF_TF);
    EXPECT_EQ(m.c.mode, MODE_LONG64);

    Machine k(M64);
    syscall_msrs(k);
    k.r(R_RCX) = 0xffffffff00040000ull;                        // ECX only for compat mode
    k.r(R_R11) = 0x2;
    k.load({ 0x0f, 0x07 });                                    // sysret (32-bit)
    k.c.rip = CODE;
    cpu_run(&k.c, 1);
    EXPECT_EQ(k.c.rip, 0x40000u);
    EXPECT_EQ(k.c.seg[SEG_CS].sel, K_CS32 | 3);
    EXPECT_EQ(k.c.mode, MODE_COMPAT);
}

TEST(SysFast, SysretChecks)
{
    Machine m(M64);
    syscall_msrs(m);
    m.r(R_RCX) = 0x0000800000000000ull;                        // non-canonical: #GP at CPL 0
    EXPECT_EQ(m.exec({ 0x48, 0x0f, 0x07 }), VEC_GP);
    EXPECT_EQ(m.stk(2), K_CS64);                               // still in the kernel
    Machine u(M64);
    syscall_msrs(u);
    u.load({ 0x48, 0x0f, 0x07 });
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);                                // CPL 3
    Machine n(M64);
    n.c.msr.efer &= ~EFER_SCE;
    EXPECT_EQ(n.exec({ 0x0f, 0x05 }), VEC_UD);                 // SCE = 0
    Machine p(M32);
    p.c.msr.efer |= EFER_SCE;
    EXPECT_EQ(p.exec({ 0x0f, 0x05 }), VEC_UD);                 // Intel: 64-bit mode only
}

TEST(SysFast, SysenterSysexit32)
{
    Machine m(M32);
    m.c.msr.sysenter_cs = K_CS32;
    m.c.msr.sysenter_esp = 0x9000;
    m.c.msr.sysenter_eip = 0x30000;
    m.load({ 0x0f, 0x34 });                                    // sysenter
    m.to_user();
    m.c.rflags |= RF_IF;
    m.c.rip = CODE;
    cpu_run(&m.c, 1);
    EXPECT_EQ(m.c.rip, 0x30000u);
    EXPECT_EQ(m.r(R_RSP), 0x9000u);
    EXPECT_EQ(m.c.cpl, 0);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, K_CS32);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, K_CS32 + 8);
    EXPECT_EQ(m.flags() & RF_IF, 0u);
    // sysexit: CS = SYSENTER_CS + 16 | 3, SS = + 24 | 3, ESP = ECX, EIP = EDX
    m.load({ 0x0f, 0x35 }, 0x30000);
    m.r(R_RCX) = 0xb000;
    m.r(R_RDX) = 0x40000;
    cpu_run(&m.c, 1);
    EXPECT_EQ(m.c.rip, 0x40000u);
    EXPECT_EQ(m.r(R_RSP), 0xb000u);
    EXPECT_EQ(m.c.cpl, 3);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, (K_CS32 + 16) | 3);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, (K_CS32 + 24) | 3);

    Machine z(M32);                                            // SYSENTER_CS = 0: #GP(0)
    EXPECT_EQ(z.exec({ 0x0f, 0x34 }), VEC_GP);
}

TEST(SysFast, SwapgsAndFsgsbase)
{
    Machine m(M64);
    m.c.seg[SEG_GS].base = 0x1111;
    m.c.msr.kernel_gs_base = 0x2222;
    EXPECT_EQ(m.exec({ 0x0f, 0x01, 0xf8 }), -1);
    EXPECT_EQ(m.c.seg[SEG_GS].base, 0x2222u);
    EXPECT_EQ(m.c.msr.kernel_gs_base, 0x1111u);
    Machine u(M64);
    u.load({ 0x0f, 0x01, 0xf8 });
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
    Machine p(M32);
    EXPECT_EQ(p.exec({ 0x0f, 0x01, 0xf8 }), VEC_UD);

    Machine f(M64);                                            // wrfsbase rax ; rdgsbase rbx
    f.r(R_RAX) = 0x7000;
    EXPECT_EQ(f.exec({ 0xf3, 0x48, 0x0f, 0xae, 0xd0 }), VEC_UD);   // CR4.FSGSBASE = 0
    f.c.cr4 |= CR4_FSGSBASE;
    f.c.seg[SEG_GS].base = 0x5000;
    EXPECT_EQ(f.exec({ 0xf3, 0x48, 0x0f, 0xae, 0xd0, 0xf3, 0x48, 0x0f, 0xae, 0xcb }), -1);
    EXPECT_EQ(f.c.seg[SEG_FS].base, 0x7000u);
    EXPECT_EQ(f.r(R_RBX), 0x5000u);
    f.r(R_RAX) = 0x0000800000000000ull;
    EXPECT_EQ(f.exec({ 0xf3, 0x48, 0x0f, 0xae, 0xd0 }), VEC_GP);
}

// ---------------------------------------------------------------- port I/O

struct Port {
    std::vector<uint64_t> writes;
    static uint64_t rd(void *o, uint64_t off, unsigned size)
    {
        (void)o;
        return (0x40 + off) * 0x01010101u & ((1ull << (8 * size)) - 1);
    }
    static void wr(void *o, uint64_t off, uint64_t v, unsigned size)
    {
        static_cast<Port *>(o)->writes.push_back(off << 40 | (uint64_t)size << 32 | v);
    }
};
const struct bus_ops port_ops = { Port::rd, Port::wr };

TEST(SysIo, InOutAtCpl0)
{
    Machine m(M64);
    Port p;
    ASSERT_EQ(bus_map_pio(&m.bus, 0x60, 0x40, &port_ops, &p, "test"), 0);
    m.r(R_RAX) = 0xab;
    // in al,0x60 ; out 0x80,al
    EXPECT_EQ(m.exec({ 0xe4, 0x60, 0xe6, 0x80 }), -1);
    EXPECT_EQ(m.r(R_RAX) & 0xff, 0x40u);
    ASSERT_EQ(p.writes.size(), 1u);
    EXPECT_EQ(p.writes[0], 0x20ull << 40 | 1ull << 32 | 0x40);
}

TEST(SysIo, PermissionBitmap)
{
    Machine m(M64);
    Port p;
    ASSERT_EQ(bus_map_pio(&m.bus, 0x60, 0x40, &port_ops, &p, "test"), 0);
    m.load({ 0xe6, 0x80 });                                    // out 0x80,al at CPL 3, IOPL 0
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);                                // bitmap denies
    EXPECT_EQ(m.stk(0), 0u);
    EXPECT_TRUE(p.writes.empty());

    m.wr(TSS + 0x68 + 0x80 / 8, 0xfe, 1);                      // allow port 0x80
    m.to_user();
    m.gate64(13, HND + 13);
    EXPECT_EQ(m.run(), VEC_GP);                                // the final HLT at CPL 3
    EXPECT_EQ(m.stk(1), m.code_end);                           // ... but OUT passed
    EXPECT_EQ(p.writes.size(), 1u);

    // a 16-bit access at 0x7f needs the bits of 0x7f and 0x80 (two bitmap bytes)
    m.load({ 0x66, 0xba, 0x7f, 0x00, 0x66, 0xef });            // mov dx,0x7f ; out dx,ax
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(1), CODE + 4);
    m.wr(TSS + 0x68 + 0x78 / 8, 0x7f, 1);                      // allow 0x7f too
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(1), m.code_end);
    EXPECT_EQ(p.writes.size(), 2u);

    // a bitmap offset beyond the TSS limit denies everything
    m.wr(TSS + 0x66, 0xffff, 2);
    m.load({ 0xe6, 0x80 });
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(1), CODE);

    // IOPL 3 skips the bitmap
    m.to_user();
    m.c.rflags |= RF_IOPL;
    EXPECT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(1), m.code_end);
}

TEST(SysIo, RepOutsAndIns)
{
    Machine m(M32);
    Port p;
    ASSERT_EQ(bus_map_pio(&m.bus, 0x60, 0x40, &port_ops, &p, "test"), 0);
    m.wr(DATA, 0x030201, 3);
    m.r(R_RSI) = DATA;
    m.r(R_RDI) = DATA + 0x100;
    m.r(R_RCX) = 3;
    m.r(R_RDX) = 0x70;
    // rep outsb ; mov cx,2 ; rep insw
    EXPECT_EQ(m.exec({ 0xf3, 0x6e, 0x66, 0xb9, 0x02, 0x00, 0xf3, 0x66, 0x6d }), -1);
    ASSERT_EQ(p.writes.size(), 3u);
    EXPECT_EQ(p.writes[2] & 0xff, 3u);
    EXPECT_EQ(m.r(R_RSI), DATA + 3);
    EXPECT_EQ(m.r(R_RCX), 0u);
    EXPECT_EQ(m.rd(DATA + 0x100, 4), 0x50505050u);
    EXPECT_EQ(m.r(R_RDI), DATA + 0x104);
}

// ---------------------------------------------------------------- CPUID, RDPID, XCR0, FXSAVE

TEST(SysMisc, CpuidPerLpFields)
{
    Machine m(M64);
    m.c.id = 5;
    m.r(R_RAX) = 1;
    EXPECT_EQ(m.exec({ 0x0f, 0xa2 }), -1);
    EXPECT_EQ(m.r(R_RBX) >> 24, 5u);                           // initial APIC id
    EXPECT_EQ(m.r(R_RCX) & (1u << 27), 0u);                    // OSXSAVE off
    m.c.cr4 |= CR4_OSXSAVE;
    m.r(R_RAX) = 1;
    EXPECT_EQ(m.exec({ 0x0f, 0xa2 }), -1);
    EXPECT_EQ(m.r(R_RCX) & (1u << 27), 1u << 27);
    EXPECT_EQ(m.r(R_RAX), 0x50654u);
    m.r(R_RAX) = 0;
    m.r(R_RBX) = ~0ull;
    EXPECT_EQ(m.exec({ 0x0f, 0xa2 }), -1);
    EXPECT_EQ(m.r(R_RBX), 0x756e6547u);                        // "Genu", upper half cleared
}

TEST(SysMisc, RdpidAndCapstoneRdseedMisdecode)
{
    // F3 0F C7 /7 (register form) is RDPID; Capstone 4.0.2 decodes it as RDSEED and drops F3
    Machine m(M64);
    m.c.msr.tsc_aux = 0x77;
    EXPECT_EQ(m.exec({ 0xf3, 0x0f, 0xc7, 0xf8 }), -1);         // rdpid rax
    EXPECT_EQ(m.r(R_RAX), 0x77u);
    Machine n(M64);
    EXPECT_EQ(n.exec({ 0x0f, 0xc7, 0xf8 }), VEC_UD);           // rdseed eax: not in the model
    Machine p(M32);
    p.c.msr.tsc_aux = 0x12;
    EXPECT_EQ(p.exec({ 0xf3, 0x0f, 0xc7, 0xf9 }), -1);         // rdpid ecx (32-bit)
    EXPECT_EQ(p.r(R_RCX), 0x12u);
}

TEST(SysMisc, XsetbvXgetbv)
{
    const std::initializer_list<uint8_t> XSETBV = { 0x0f, 0x01, 0xd1 };
    Machine m(M64);
    m.r(R_RCX) = 0;
    m.r(R_RDX) = 0;
    m.r(R_RAX) = 3;
    EXPECT_EQ(m.exec(XSETBV), VEC_UD);                         // CR4.OSXSAVE = 0
    m.c.cr4 |= CR4_OSXSAVE;
    EXPECT_EQ(m.exec(XSETBV), -1);
    EXPECT_EQ(m.c.msr.xcr0, 3u);
    m.r(R_RAX) = 2;
    EXPECT_EQ(m.exec(XSETBV), VEC_GP);                         // x87 bit must stay set
    m.r(R_RAX) = 5;
    EXPECT_EQ(m.exec(XSETBV), VEC_GP);                         // AVX without SSE (unsupported)
    m.r(R_RAX) = 3;
    m.r(R_RCX) = 1;
    EXPECT_EQ(m.exec(XSETBV), VEC_GP);                         // only XCR0 exists
    m.r(R_RCX) = 0;
    m.r(R_RAX) = 0;
    EXPECT_EQ(m.exec({ 0x0f, 0x01, 0xd0 }), -1);               // xgetbv
    EXPECT_EQ(m.r(R_RAX), 3u);
    Machine u(M64);
    u.c.cr4 |= CR4_OSXSAVE;
    u.r(R_RAX) = 3;
    u.r(R_RCX) = 0;
    u.load(XSETBV);
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
}

TEST(SysMisc, FxsaveImageAndFxrstorChecks)
{
    Machine m(M64);
    memset(m.bus.ram + DATA, 0xcc, 512);
    m.r(R_RAX) = DATA;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x00 }), -1);               // fxsave [rax]
    EXPECT_EQ(m.rd(DATA, 2), 0x37fu);                          // FCW
    EXPECT_EQ(m.rd(DATA + 4, 1), 0u);                          // abridged FTW: all empty
    EXPECT_EQ(m.rd(DATA + 24, 4), 0x1f80u);                    // MXCSR
    EXPECT_EQ(m.rd(DATA + 28, 4), 0xffffu);                    // MXCSR_MASK from the model
    EXPECT_EQ(m.rd(DATA + 160 + 15 * 16), 0u);                 // XMM15 (64-bit mode)
    EXPECT_EQ(m.rd(DATA + 416), 0xccccccccccccccccull);        // 416-511 untouched
    m.r(R_RAX) = DATA + 8;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x00 }), VEC_GP);           // not 16-byte aligned
    m.c.cr0 |= CR0_TS;
    m.r(R_RAX) = DATA;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x00 }), VEC_NM);
    m.c.cr0 &= ~CR0_TS;
    m.wr(DATA + 24, 0x11f80, 4);                               // MXCSR reserved bit 16
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x08 }), VEC_GP);           // fxrstor [rax]
    m.wr(DATA + 24, 0x1f80, 4);
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x08 }), -1);
}

TEST(SysMisc, XsaveImageAndXrstorChecks)
{
    // SDM Vol. 1 13.7-13.8, Vol. 2 XSAVE/XRSTOR; the default model: XCR0 may hold x87|SSE.
    // EDX:EAX is the requested-feature mask, so the area's address is in RBX.
    Machine m(M64);
    m.r(R_RBX) = DATA;
    m.r(R_RAX) = 2;                                            // RFBM = XCR0 & 2: SSE only
    m.r(R_RDX) = 0;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x23 }), VEC_UD);           // xsave [rbx]; CR4.OSXSAVE = 0
    m.c.cr4 |= CR4_OSXSAVE;
    m.c.msr.xcr0 = 3;
    memset(m.bus.ram + DATA, 0xcc, 1024);
    m.wr(DATA + 512, 0xff, 8);                                 // XSTATE_BV before
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x23 }), -1);
    EXPECT_EQ(m.rd(DATA, 2), 0xccccu);                         // x87 not requested: untouched
    EXPECT_EQ(m.rd(DATA + 24, 4), 0x1f80u);                    // MXCSR (RFBM[1])
    EXPECT_EQ(m.rd(DATA + 28, 4), 0xffffu);                    // MXCSR_MASK
    EXPECT_EQ(m.rd(DATA + 160), 0u);                           // XMM0
    EXPECT_EQ(m.rd(DATA + 160 + 15 * 16 + 8), 0u);             // XMM15 high half (64-bit mode)
    EXPECT_EQ(m.rd(DATA + 416), 0xccccccccccccccccull);        // 416-511 untouched
    EXPECT_EQ(m.rd(DATA + 512), 0xfdu);                        // XSTATE_BV[1] = XINUSE = 0
    EXPECT_EQ(m.rd(DATA + 520), 0xccccccccccccccccull);        // XCOMP_BV not written
    m.r(R_RAX) = ~0u;                                          // RFBM = XCR0 = 3
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x23 }), -1);
    EXPECT_EQ(m.rd(DATA, 2), 0x37fu);                          // FCW
    EXPECT_EQ(m.rd(DATA + 4, 1), 0u);                          // abridged FTW: all empty
    EXPECT_EQ(m.rd(DATA + 512), 0xfcu);
    m.r(R_RBX) = DATA + 16;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x23 }), VEC_GP);           // not 64-byte aligned
    m.r(R_RBX) = DATA;
    m.c.cr0 |= CR0_TS;
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x23 }), VEC_NM);
    m.c.cr0 &= ~CR0_TS;
    // XRSTOR [rbx] (0F AE 2B): XSTATE_BV 0xfc has bits outside XCR0
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), VEC_GP);
    m.wr(DATA + 512, 3, 8);
    memset(m.bus.ram + DATA + 520, 0, 16);
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), -1);
    m.wr(DATA + 520, 1ull << 63, 8);                           // compacted form: no XSAVEC
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), VEC_GP);
    m.wr(DATA + 520, 0, 8);
    m.wr(DATA + 528, 1, 8);                                    // header bytes 16-23 not zero
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), VEC_GP);
    m.wr(DATA + 528, 0, 8);
    m.wr(DATA + 24, 0x11f80, 4);                               // MXCSR reserved bit 16
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), VEC_GP);
    m.r(R_RAX) = 1;                                            // RFBM = x87 only: MXCSR not read
    EXPECT_EQ(m.exec({ 0x0f, 0xae, 0x2b }), -1);
    m.r(R_RAX) = ~0u;
    m.wr(DATA + 24, 0x1f80, 4);
    EXPECT_EQ(m.exec({ 0x48, 0x0f, 0xae, 0x2b }), -1);         // xrstor64 [rbx]
}

// ---------------------------------------------------------------- flags, CLI/STI, HLT

TEST(SysInt, PopfPrivilegeRules)
{
    // at CPL 3 with IOPL 0: POPF cannot change IF or IOPL (no fault), RF is cleared
    Machine m(M64);
    m.to_user();
    m.c.rflags |= RF_IF;
    m.wr(USTACK - 8, RF_IOPL | RF_CF | RF_AC | RF_RF);        // IF clear, IOPL 3
    m.r(R_RSP) = USTACK - 8;
    m.load({ 0x9d, 0xcc });                                    // popfq ; int3
    m.gate64(3, HND + 3, K_CS64, 0xe, 3);
    ASSERT_EQ(m.run_from(CODE), 3);
    uint64_t f = m.stk(2);
    EXPECT_EQ(f & RF_IF, RF_IF);
    EXPECT_EQ(f & RF_IOPL, 0u);
    EXPECT_EQ(f & (RF_CF | RF_AC), RF_CF | RF_AC);
    EXPECT_EQ(f & RF_RF, 0u);
    // at CPL 0 everything but VM/VIF/VIP changes
    Machine k(M64);
    k.wr(STACK - 8, RF_IOPL | RF_VM | RF_ID);
    k.r(R_RSP) = STACK - 8;
    EXPECT_EQ(k.exec({ 0x9d }), -1);
    EXPECT_EQ(k.flags() & (RF_IOPL | RF_VM | RF_ID | RF_IF), RF_IOPL | RF_ID);
    EXPECT_EQ(k.r(R_RSP), STACK);
}

TEST(SysInt, PushfClearsVmAndRf)
{
    Machine m(M32);
    m.c.rflags |= RF_RF | RF_AC;
    EXPECT_EQ(m.exec({ 0x9c }), -1);                           // pushfd
    EXPECT_EQ(m.stk(0, 4), RF_FIXED1 | RF_AC);
    Machine w(M32);
    EXPECT_EQ(w.exec({ 0x66, 0x9c }), -1);                     // pushf (16-bit)
    EXPECT_EQ(w.r(R_RSP), STACK - 2);
}

TEST(SysInt, CliStiIoplAndShadow)
{
    Machine m(M64);
    m.load({ 0xfa });                                          // cli at CPL 3, IOPL 0
    m.to_user();
    EXPECT_EQ(m.run(), VEC_GP);
    Machine k(M64);
    k.to_user();
    k.c.rflags |= RF_IOPL;                                     // IOPL 3: allowed
    k.load({ 0xfb, 0x90, 0xcc });                              // sti ; nop ; int3
    k.gate64(3, HND + 3, K_CS64, 0xe, 3);
    k.c.rip = CODE;
    cpu_run(&k.c, 1);
    EXPECT_TRUE(k.flags() & RF_IF);
    EXPECT_EQ(k.c.intr_shadow, 1);
    Machine r(M16);
    EXPECT_EQ(r.exec({ 0xfb, 0xfa }), -1);                     // real mode: always allowed
    EXPECT_FALSE(r.flags() & RF_IF);
}

TEST(SysInt, HltStopsAndIsPrivileged)
{
    Machine m(M64);
    m.load({ 0x90 });                                          // nop ; hlt (the terminator)
    m.c.rip = CODE;
    cpu_run(&m.c, 100);
    EXPECT_EQ(m.c.stop, STOP_HLT);
    EXPECT_TRUE(m.c.halted);
    EXPECT_EQ(m.c.rip, CODE + 2);                              // after the HLT
}

TEST(SysMisc, StacClac)
{
    Machine m(M64);
    EXPECT_EQ(m.exec({ 0x0f, 0x01, 0xcb }), -1);               // stac
    EXPECT_TRUE(m.flags() & RF_AC);
    EXPECT_EQ(m.exec({ 0x0f, 0x01, 0xca }), -1);               // clac
    EXPECT_FALSE(m.flags() & RF_AC);
    Machine u(M64);
    u.load({ 0x0f, 0x01, 0xcb });
    u.to_user();
    EXPECT_EQ(u.run(), VEC_UD);
}

TEST(SysMisc, InvpcidTypes)
{
    Machine m(M64);
    m.wr(DATA, 0);
    m.wr(DATA + 8, 0x1000);
    m.r(R_RBX) = DATA;
    m.r(R_RAX) = 4;                                            // invalid type
    EXPECT_EQ(m.exec({ 0x66, 0x0f, 0x38, 0x82, 0x03 }), VEC_GP);
    m.r(R_RAX) = 2;
    EXPECT_EQ(m.exec({ 0x66, 0x0f, 0x38, 0x82, 0x03 }), -1);
    m.wr(DATA, 5);                                             // PCID 5 with CR4.PCIDE = 0
    m.r(R_RAX) = 1;
    EXPECT_EQ(m.exec({ 0x66, 0x0f, 0x38, 0x82, 0x03 }), VEC_GP);
}

}  // namespace
