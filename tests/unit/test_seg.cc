// test_seg.cc — segmentation and descriptor loads (cpu/seg.c, cpu/sys_far.c, cpu/sys_desc.c):
// MOV Sreg checks with their #GP/#NP/#SS selector error codes, limits and expand-down segments,
// real-mode and "unreal" caches, far JMP/CALL/RET incl. call gates, IRET to another mode,
// LTR busy bit, LGDT/SGDT, LAR/LSL/VERR/VERW (SDM Vol. 3 chapter 5, Vol. 2 pages).
#include "tests/unit/test_sys_harness.h"

#include <string>

using namespace systest;

namespace {

// mov ax, SEL ; mov ds, ax
std::vector<uint8_t> mov_ds(uint16_t sel)
{
    return { 0x66, 0xb8, (uint8_t)sel, (uint8_t)(sel >> 8), 0x8e, 0xd8 };
}
std::vector<uint8_t> mov_ss(uint16_t sel)
{
    return { 0x66, 0xb8, (uint8_t)sel, (uint8_t)(sel >> 8), 0x8e, 0xd0 };
}
std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t> &b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

TEST(Seg, MovDsLoadsDescriptorAndSetsAccessed)
{
    Machine m(M32);
    m.gdt(0x58, seg_desc(0x1000, 0xffff, 0x92, 0x4));        // not accessed yet
    m.load(mov_ds(0x58));
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.c.seg[SEG_DS].sel, 0x58);
    EXPECT_EQ(m.c.seg[SEG_DS].base, 0x1000u);
    EXPECT_EQ(m.c.seg[SEG_DS].limit, 0xffffu);
    EXPECT_EQ(m.c.seg[SEG_DS].ar, 0x4093u);
    EXPECT_EQ(m.rd(GDT + 0x58 + 5, 1), 0x93u);                 // accessed bit written back
}

TEST(Seg, MovDsPrivilegeAndPresence)
{
    {
        Machine m(M32);
        m.load(mov_ds(K_DS));                                  // DPL 0 data from CPL 3
        m.to_user();
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), K_DS);
    }
    {
        Machine m(M32);
        m.gdt(0x58, seg_desc(0, 0xfffff, 0x12, 0xc));         // P = 0
        m.load(mov_ds(0x58));
        ASSERT_EQ(m.run(), VEC_NP);
        EXPECT_EQ(m.stk(0, 4), 0x58u);
    }
    {
        Machine m(M32);
        m.gdt(0x58, seg_desc(0, 0xfffff, 0x98, 0xc));         // execute-only code
        m.load(mov_ds(0x5b));
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0x58u);                         // RPL cleared in the error code
    }
    {
        Machine m(M32);
        m.load(mov_ds(0x4 | 0x8));                             // TI = 1 without an LDT
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0xcu);
    }
}

TEST(Seg, NullDsFaultsOnUseOutside64BitMode)
{
    Machine m(M32);
    // mov ax,0 ; mov ds,ax ; mov eax,[0x1000]
    m.load(cat(mov_ds(0), { 0xa1, 0x00, 0x10, 0x00, 0x00 }));
    ASSERT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(0, 4), 0u);
    EXPECT_EQ(m.stk(1, 4), CODE + 6);
    EXPECT_TRUE(m.c.seg[SEG_DS].ar & AR_UNUSABLE);
}

TEST(Seg, NullSelectorIn64BitModeClearsFsBase)
{
    Machine m(M64);
    m.c.seg[SEG_FS].base = 0x1234000;
    // mov ax,0 ; mov fs,ax ; mov eax,[0x20000] (DS null is fine in 64-bit mode)
    m.load(cat(cat(mov_ds(0), { 0x8e, 0xe0 }), { 0x8b, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00 }));
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.c.seg[SEG_FS].base, 0u);                       // Intel: base cleared
}

TEST(Seg, MovSsChecks)
{
    {
        Machine m(M32);
        m.load(mov_ss(K_DS | 3));                              // RPL != CPL
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), K_DS);
    }
    {
        Machine m(M32);
        m.gdt(0x58, seg_desc(0, 0xfffff, 0x12, 0xc));         // not present: #SS(sel)
        m.load(mov_ss(0x58));
        ASSERT_EQ(m.run(), VEC_SS);
        EXPECT_EQ(m.stk(0, 4), 0x58u);
    }
    {
        Machine m(M32);
        m.load(mov_ss(0));                                     // null SS: #GP(0)
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0u);
    }
    {
        Machine m(M64);
        m.load(mov_ss(0));                                     // 64-bit mode, CPL 0: allowed
        ASSERT_EQ(m.run(), -1);
        EXPECT_EQ(m.c.seg[SEG_SS].sel, 0u);
    }
}

TEST(Seg, MovSsSetsInterruptShadow)
{
    Machine m(M32);
    m.load(mov_ss(K_DS));
    m.c.rip = CODE;
    cpu_run(&m.c, 2);                                          // mov ax ; mov ss
    EXPECT_EQ(m.c.intr_shadow, 2);
}

TEST(Seg, LimitAndExpandDown)
{
    {
        Machine m(M32);
        m.gdt(0x58, seg_desc(0, 0xfff, 0x92, 0x4));           // 4 KiB data
        m.load(cat(mov_ds(0x58), { 0xa1, 0xfd, 0x0f, 0x00, 0x00 }));   // mov eax,[0xffd]
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0u);
    }
    {
        Machine m(M32);
        m.gdt(0x58, seg_desc(0, 0xfff, 0x96, 0x4));           // expand-down, limit 0xfff
        // mov eax,[0x1000] is valid; mov eax,[0xffe] is not
        m.load(cat(mov_ds(0x58), { 0xa1, 0x00, 0x10, 0x00, 0x00, 0xa1, 0xfe, 0x0f, 0x00, 0x00 }));
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(1, 4), CODE + 11);
    }
    {
        Machine m(M32);
        m.c.seg[SEG_SS].limit = 0x7fff;
        m.r(R_RBP) = 0x7000;
        m.load({ 0x8b, 0x85, 0x00, 0x10, 0x00, 0x00 });        // mov eax,[ebp+0x1000]: SS
        ASSERT_EQ(m.run(), VEC_SS);
        EXPECT_EQ(m.stk(0, 4), 0u);
    }
    {
        Machine m(M32);
        m.load({ 0xa3, 0x00, 0x00, 0x01, 0x00 });              // mov [0x10000],eax: into code?
        m.c.seg[SEG_DS].ar = 0xc09b;                           // DS = readable code: no write
        ASSERT_EQ(m.run(), VEC_GP);
    }
}

TEST(Seg, RealModeAndUnrealCache)
{
    Machine m(M16);
    // mov ax,0x2000 ; mov ds,ax ; mov eax,[0x10]
    m.wr(0x20010, 0xdeadbeef, 4);
    ASSERT_EQ(m.exec({ 0xb8, 0x00, 0x20, 0x8e, 0xd8, 0x66, 0xa1, 0x10, 0x00 }), -1);
    EXPECT_EQ(m.c.seg[SEG_DS].base, 0x20000u);
    EXPECT_EQ((uint32_t)m.r(R_RAX), 0xdeadbeefu);
    // a 4 GiB limit cached from protected mode survives a real-mode load ("unreal" mode)
    Machine u(M16);
    u.c.seg[SEG_DS].limit = 0xffffffffu;
    u.wr(0x20000 + 0x100000, 0x1234, 4);
    // mov ax,0x2000 ; mov ds,ax ; mov eax,[dword 0x100000] (67 prefix)
    ASSERT_EQ(u.exec({ 0xb8, 0x00, 0x20, 0x8e, 0xd8, 0x67, 0x66, 0xa1, 0x00, 0x00, 0x10, 0x00 }),
              -1);
    EXPECT_EQ((uint32_t)u.r(R_RAX), 0x1234u);
    Machine g(M16);                                            // the same with a 64 KiB limit
    ASSERT_EQ(g.exec({ 0xb8, 0x00, 0x20, 0x8e, 0xd8, 0x67, 0x66, 0xa1, 0x00, 0x00, 0x10, 0x00 }),
              VEC_GP);
}

TEST(Seg, FarJmpDirect32)
{
    Machine m(M32);
    m.load({ 0xf4 }, 0x10020);
    // jmp 0x18:0x10020 (target is a HLT)
    m.load({ 0xea, 0x20, 0x00, 0x01, 0x00, 0x18, 0x00 });
    m.c.rip = CODE;
    cpu_run(&m.c, 10);
    EXPECT_EQ(m.c.stop, STOP_HLT);
    EXPECT_EQ(m.c.rip, 0x10021u);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, K_CS32);
}

TEST(Seg, FarJmpChecks)
{
    {
        Machine m(M32);                                        // to a data segment
        m.load({ 0xea, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00 });
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), K_DS);
    }
    {
        Machine m(M32);                                        // beyond the limit: #GP(0)
        m.gdt(0x58, seg_desc(0, 0xfff, 0x9a, 0x4));
        m.load({ 0xea, 0x00, 0x20, 0x00, 0x00, 0x58, 0x00 });
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0u);
    }
    {
        Machine m(M32);                                        // DPL 3 code from CPL 0
        m.load({ 0xea, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00 });
        ASSERT_EQ(m.run(), VEC_GP);
        EXPECT_EQ(m.stk(0, 4), 0x30u);
    }
}

TEST(Seg, CallGate32ToRing0WithParameterAndRetfBack)
{
    Machine m(M32);
    // call gate at 0x58: DPL 3, 32-bit, 1 parameter, target K_CS32:0x30000
    m.gdt(0x58, (0x30000ull & 0xffff) | (uint64_t)K_CS32 << 16 | 1ull << 32 | 0xecull << 40 |
                    (0x30000ull >> 16) << 48);
    // handler: mov eax,[esp+8] (the parameter) ; mov dword [TSS+4],0x8800 (move ESP0 so the
    // INT3 below does not overwrite this frame) ; retf 4
    m.load({ 0x8b, 0x44, 0x24, 0x08, 0xc7, 0x05, 0x04, 0x30, 0x00, 0x00, 0x00, 0x88, 0x00, 0x00,
             0xca, 0x04, 0x00 }, 0x30000);
    // push 0x1234 ; call 0x5b:0 ; mov ebx,7 ; int3 (gate 3 DPL 3 below)
    m.load({ 0x68, 0x34, 0x12, 0x00, 0x00, 0x9a, 0, 0, 0, 0, 0x5b, 0x00, 0xbb, 7, 0, 0, 0, 0xcc });
    m.gate32(3, HND + 3, K_CS32, 0xe, 3);
    m.to_user();
    ASSERT_EQ(m.run(), 3);
    EXPECT_EQ(m.r(R_RAX), 0x1234u);
    EXPECT_EQ(m.r(R_RBX), 7u);
    // INT3 frame on RSP0: the user ESP after RETF 4 popped the parameter is the original stack
    EXPECT_EQ(m.stk(3, 4), USTACK);
    EXPECT_EQ(m.stk(1, 4), U_CS32);
    // the call-gate frame below ESP0: EIP, CS, param, ESP, SS
    EXPECT_EQ(m.rd(RSP0 - 4, 4), U_DS);
    EXPECT_EQ(m.rd(RSP0 - 8, 4), USTACK - 4);
    EXPECT_EQ(m.rd(RSP0 - 12, 4), 0x1234u);
    EXPECT_EQ(m.rd(RSP0 - 16, 4), U_CS32);
    EXPECT_EQ(m.rd(RSP0 - 20, 4), CODE + 12);
}

TEST(Seg, CallGate64AndRetfq)
{
    Machine m(M64);
    uint64_t h = 0x30000;
    m.gdt(0x58, (h & 0xffff) | (uint64_t)K_CS64 << 16 | 0xecull << 40 | (h >> 16 & 0xffff) << 48);
    m.wr(GDT + 0x60, h >> 32);
    // mov rax,rsp ; mov qword [TSS+4],0x8800 (RSP0 for the INT3 below) ; retfq
    m.load({ 0x48, 0x89, 0xe0, 0x48, 0xc7, 0x04, 0x25, 0x04, 0x30, 0x00, 0x00, 0x00, 0x88, 0x00,
             0x00, 0x48, 0xcb }, 0x30000);
    m.wr(DATA, 0, 4);                                          // far pointer: offset (ignored)
    m.wr(DATA + 4, 0x5b, 2);                                   // selector of the gate
    // call far [0x20000] ; mov ebx,7 ; int3
    m.load({ 0xff, 0x1c, 0x25, 0x00, 0x00, 0x02, 0x00, 0xbb, 7, 0, 0, 0, 0xcc });
    m.gate64(3, HND + 3, K_CS64, 0xe, 3);
    m.to_user();
    ASSERT_EQ(m.run(), 3);
    EXPECT_EQ(m.r(R_RAX), RSP0 - 32);                          // SS, RSP, CS, RIP pushed
    EXPECT_EQ(m.rd(RSP0 - 8), U_DS);
    EXPECT_EQ(m.rd(RSP0 - 16), USTACK);
    EXPECT_EQ(m.rd(RSP0 - 24), U_CS64);
    EXPECT_EQ(m.rd(RSP0 - 32), CODE + 7);
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.stk(1), U_CS64);                               // back at CPL 3 for the INT3
    EXPECT_EQ(m.stk(3), USTACK);
}

TEST(Seg, IretqToCompatibilityModeAndFarJmpBack)
{
    Machine m(M64);
    // frame for IRETQ: RIP=0x30000, CS=U_CS32, RFLAGS=0x202, RSP=USTACK, SS=U_DS
    m.wr(DATA + 0, 0x30000);
    m.wr(DATA + 8, U_CS32);
    m.wr(DATA + 16, 0x202);
    m.wr(DATA + 24, USTACK);
    m.wr(DATA + 32, U_DS);
    m.load({ 0x48, 0xc7, 0xc4, 0x00, 0x00, 0x02, 0x00, 0x48, 0xcf });   // mov rsp,0x20000 ; iretq
    m.load({ 0xcc }, 0x30000);                                 // int3 in compatibility mode
    m.gate64(3, HND + 3, K_CS64, 0xe, 3);
    m.c.rip = CODE;
    cpu_run(&m.c, 2);
    EXPECT_EQ(m.c.mode, MODE_COMPAT);
    EXPECT_EQ(m.c.cpl, 3);
    EXPECT_EQ(m.c.code_size, 4);
    EXPECT_EQ(m.c.rip, 0x30000u);
    EXPECT_EQ(m.flags() & RF_IF, RF_IF);
    ASSERT_EQ(m.run_from(0x30000), 3);
    EXPECT_EQ(m.c.mode, MODE_LONG64);
    EXPECT_EQ(m.stk(1), U_CS32);                               // 64-bit frame from compat mode
    EXPECT_EQ(m.stk(3), USTACK);
}

TEST(Seg, IretToOuterLevelNullsDataSegments)
{
    Machine m(M32);
    m.wr(DATA + 0, 0x30000, 4);                                // EIP
    m.wr(DATA + 4, U_CS32, 4);
    m.wr(DATA + 8, 0x2, 4);                                    // EFLAGS
    m.wr(DATA + 12, USTACK, 4);
    m.wr(DATA + 16, U_DS, 4);
    m.load({ 0x90 }, 0x30000);
    m.load({ 0xbc, 0x00, 0x00, 0x02, 0x00, 0xcf });            // mov esp,0x20000 ; iretd
    m.c.rip = CODE;
    cpu_run(&m.c, 2);
    EXPECT_EQ(m.c.cpl, 3);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, U_DS);
    EXPECT_EQ(m.r(R_RSP), USTACK);
    EXPECT_TRUE(m.c.seg[SEG_DS].ar & AR_UNUSABLE);             // DPL 0 data: nulled
    EXPECT_EQ(m.c.seg[SEG_DS].sel, 0u);
}

TEST(Seg, IretCannotRaiseIoplAtCpl3)
{
    Machine m(M64);
    m.to_user();
    m.wr(DATA + 0, CODE + 12);
    m.wr(DATA + 8, U_CS64);
    m.wr(DATA + 16, 0x3202);                                   // IOPL 3, IF
    m.wr(DATA + 24, USTACK);
    m.wr(DATA + 32, U_DS);
    // mov rsp,0x20000 ; iretq ; int3
    m.load({ 0x48, 0xc7, 0xc4, 0x00, 0x00, 0x02, 0x00, 0x48, 0xcf, 0x90, 0x90, 0x90, 0xcc });
    m.gate64(3, HND + 3, K_CS64, 0xe, 3);
    ASSERT_EQ(m.run(), 3);
    EXPECT_EQ(m.stk(2) & (RF_IOPL | RF_IF), 0u);               // CPL 3 > IOPL 0: neither changes
}

TEST(Seg, LtrSetsBusyAndRejectsBusy)
{
    Machine m(M64);
    m.gdt(TSS_SEL, seg_desc(TSS, TSS_LIMIT, 0x89, 0));        // available again
    // mov ax,0x48 ; ltr ax ; ltr ax
    m.load({ 0x66, 0xb8, 0x48, 0x00, 0x0f, 0x00, 0xd8, 0x0f, 0x00, 0xd8 });
    ASSERT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(0), TSS_SEL);
    EXPECT_EQ(m.stk(1), CODE + 7);
    EXPECT_EQ(m.rd(GDT + TSS_SEL + 5, 1), 0x8bu);              // busy
    EXPECT_EQ(m.c.tr.base, TSS);
    EXPECT_EQ(m.c.tr.limit, TSS_LIMIT);
}

TEST(Seg, LgdtSgdt64)
{
    Machine m(M64);
    m.wr(DATA, 0x7ff, 2);
    m.wr(DATA + 2, 0x123456789000ull);
    // lgdt [0x20000] ; sgdt [0x20010]
    m.load({ 0x0f, 0x01, 0x14, 0x25, 0x00, 0x00, 0x02, 0x00, 0x0f, 0x01, 0x04, 0x25, 0x10, 0x00,
             0x02, 0x00 });
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.c.gdtr.base, 0x123456789000ull);
    EXPECT_EQ(m.c.gdtr.limit, 0x7ffu);
    EXPECT_EQ(m.rd(DATA + 0x10, 2), 0x7ffu);
    EXPECT_EQ(m.rd(DATA + 0x12), 0x123456789000ull);
    Machine u(M64);                                            // LGDT at CPL 3: #GP(0)
    u.load({ 0x0f, 0x01, 0x14, 0x25, 0x00, 0x00, 0x02, 0x00 });
    u.to_user();
    EXPECT_EQ(u.run(), VEC_GP);
}

TEST(Seg, LarLslVerrVerw)
{
    Machine m(M32);
    // mov ax,0x23 ; lar ebx,ax... encoded: lar ebx,eax = 0f 02 d8 ; lsl ecx,eax = 0f 03 c8
    // verr ax = 0f 00 e0 ; verw ax = 0f 00 e8
    m.load({ 0x66, 0xb8, 0x23, 0x00, 0x0f, 0x02, 0xd8, 0x0f, 0x03, 0xc8 });
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.r(R_RBX), 0x00c0f200u);                        // G D P DPL3 S type 2
    EXPECT_EQ(m.r(R_RCX), 0xffffffffu);
    EXPECT_TRUE(m.flags() & RF_ZF);

    Machine u(M32);                                            // DPL 0 data seen from CPL 3
    u.load({ 0x66, 0xb8, 0x10, 0x00, 0x0f, 0x02, 0xd8 });
    u.to_user();
    u.r(R_RBX) = 0x55;
    u.gate32(13, HND + 13);
    EXPECT_EQ(u.run(), VEC_GP);                                // the final HLT at CPL 3
    EXPECT_EQ(u.r(R_RBX), 0x55u);                              // unchanged
    EXPECT_FALSE(u.flags() & RF_ZF);

    Machine v(M32);
    v.gdt(0x58, seg_desc(0, 0xfffff, 0x9a, 0xc));              // readable code
    // mov ax,0x58 ; verr ax ; setz bl ; verw ax ; setz cl
    v.load({ 0x66, 0xb8, 0x58, 0x00, 0x0f, 0x00, 0xe0, 0x0f, 0x94, 0xc3, 0x0f, 0x00, 0xe8, 0x0f,
             0x94, 0xc1 });
    ASSERT_EQ(v.run(), -1);
    EXPECT_EQ(v.r(R_RBX) & 0xff, 1u);
    EXPECT_EQ(v.r(R_RCX) & 0xff, 0u);
}

TEST(Seg, LldtAndLdtSelectors)
{
    Machine m(M32);
    m.wr(0x4008, seg_desc(0x5000, 0xffff, 0x92, 0x4));        // LDT entry 1: data at 0x5000
    m.gdt(0x58, seg_desc(0x4000, 0xf, 0x82, 0));              // LDT descriptor
    // mov ax,0x58 ; lldt ax ; mov ax,0x0c ; mov ds,ax
    m.load(cat({ 0x66, 0xb8, 0x58, 0x00, 0x0f, 0x00, 0xd0 }, mov_ds(0x0c)));
    ASSERT_EQ(m.run(), -1);
    EXPECT_EQ(m.c.ldtr.sel, 0x58);
    EXPECT_EQ(m.c.ldtr.base, 0x4000u);
    EXPECT_EQ(m.c.seg[SEG_DS].base, 0x5000u);
    Machine n(M32);                                            // LLDT of a data descriptor
    n.load({ 0x66, 0xb8, 0x10, 0x00, 0x0f, 0x00, 0xd0 });
    ASSERT_EQ(n.run(), VEC_GP);
    EXPECT_EQ(n.stk(0, 4), K_DS);
    Machine r(M16);                                            // #UD in real mode
    EXPECT_EQ(r.exec({ 0x0f, 0x00, 0xd0 }), VEC_UD);
}

TEST(Seg, TaskGateStopsAsUnsupported)
{
    Machine m(M32);
    m.gate32(0x80, 0, TSS_SEL, 0x5, 0);                        // task gate
    EXPECT_EQ(m.exec({ 0x90, 0xcd, 0x80 }), -2);
    EXPECT_EQ(m.c.stop, STOP_SHUTDOWN_UNSUPPORTED);
    EXPECT_NE(std::string(m.c.stop_msg).find("task gate"), std::string::npos) << m.c.stop_msg;
    EXPECT_EQ(m.c.rip, CODE + 1);                              // at the INT, not retired
    EXPECT_EQ(m.c.ctr.insns, 1u);
}

TEST(Seg, RealModeFarJmpAndCall)
{
    Machine m(M16);
    // call 0x0000:0x6005 (a HLT) -- pushes CS and IP
    ASSERT_EQ(m.exec({ 0x9a, 0x05, 0x60, 0x00, 0x00 }), 5);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, 0u);
    EXPECT_EQ(m.c.seg[SEG_CS].base, 0u);
    EXPECT_EQ(m.stk(0, 2), 5u);                                // return IP
    EXPECT_EQ(m.stk(1, 2), CODE >> 4);                         // return CS
}

}  // namespace
