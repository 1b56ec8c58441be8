// test_exception.cc — event delivery (cpu/exception.c) by running machine code: the pushed frames
// in real, protected and IA-32e mode, error codes with the IDT/EXT bits, RSP0 and IST stack
// switches, RF in the pushed RFLAGS of faults, #DF escalation (SDM Vol. 3 Table 6-5) and the
// triple-fault stop. Expected values come from SDM Vol. 3 6.12-6.15 and Vol. 2 INT n.
#include "tests/unit/test_sys_harness.h"

#include <string>

using namespace systest;

namespace {

constexpr uint8_t UD2[] = { 0x0f, 0x0b };

TEST(Exception, Int3Frame64)
{
    Machine m(M64);
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.exec({ 0x90, 0xcc }), 3);                       // nop ; int3
    EXPECT_EQ(m.r(R_RSP), STACK - 40);
    EXPECT_EQ(m.stk(0), CODE + 2);                              // RIP after INT3 (trap)
    EXPECT_EQ(m.stk(1), K_CS64);
    EXPECT_EQ(m.stk(2) & RF_RF, 0u);                            // traps do not set RF
    EXPECT_EQ(m.stk(3), STACK);
    EXPECT_EQ(m.stk(4), K_DS);
    EXPECT_EQ(m.c.ctr.exceptions, 1u);
}

TEST(Exception, GpErrorCodeAndRf64)
{
    Machine m(M64);
    // mov ax, 0x1234 (index beyond the GDT limit) ; mov ds, ax
    ASSERT_EQ(m.exec({ 0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8 }), VEC_GP);
    EXPECT_EQ(m.r(R_RSP), STACK - 48);
    EXPECT_EQ(m.stk(0), 0x1234u);                               // selector error code, EXT=0
    EXPECT_EQ(m.stk(1), CODE + 4);                              // RIP of the faulting MOV
    EXPECT_EQ(m.stk(3) & RF_RF, RF_RF);                         // faults push RF = 1
    EXPECT_EQ(m.c.seg[SEG_DS].sel, K_DS);                       // nothing committed
}

TEST(Exception, StackIsAlignedTo16In64BitMode)
{
    Machine m(M64);
    m.r(R_RSP) = STACK - 8;
    ASSERT_EQ(m.exec({ 0xcc }), 3);
    EXPECT_EQ(m.r(R_RSP), STACK - 16 - 40);
    EXPECT_EQ(m.stk(3), STACK - 8);                             // the original RSP is pushed
}

TEST(Exception, UserToKernelThroughRsp0AndIretBack64)
{
    Machine m(M64);
    m.gate64(0x80, 0x30000, K_CS64, 0xe, 3);                    // int 0x80 allowed from CPL 3
    m.gate64(0x81, HND + 0x81, K_CS64, 0xe, 3);
    m.load({ 0xb8, 5, 0, 0, 0, 0x48, 0xcf }, 0x30000);         // handler: mov eax,5 ; iretq
    m.load({ 0xcd, 0x80, 0xbb, 7, 0, 0, 0, 0xcd, 0x81 });       // int 0x80 ; mov ebx,7 ; int 0x81
    m.to_user();
    m.c.rflags |= RF_IF;
    ASSERT_EQ(m.run(), 0x81);
    EXPECT_EQ(m.r(R_RAX), 5u);
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.c.cpl, 0);
    // the frame of the second INT: pushed from CPL 3 onto RSP0
    EXPECT_EQ(m.r(R_RSP), RSP0 - 40);
    EXPECT_EQ(m.stk(0), CODE + 9);
    EXPECT_EQ(m.stk(1), U_CS64);
    EXPECT_EQ(m.stk(2) & RF_IF, RF_IF);
    EXPECT_EQ(m.stk(3), USTACK);
    EXPECT_EQ(m.stk(4), U_DS);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, 0u);                         // null SS with RPL = 0
    EXPECT_EQ(m.flags() & RF_IF, 0u);                           // interrupt gate clears IF
    EXPECT_EQ(m.c.ctr.interrupts, 2u);
}

TEST(Exception, IstStack64)
{
    Machine m(M64);
    m.gate64(6, HND + 6, K_CS64, 0xe, 0, 1);                    // #UD on IST1
    ASSERT_EQ(m.exec({ UD2[0], UD2[1] }), VEC_UD);
    EXPECT_EQ(m.r(R_RSP), IST1 - 40);
    EXPECT_EQ(m.stk(0), CODE);
    EXPECT_EQ(m.stk(3), STACK);
}

TEST(Exception, SoftwareIntChecksGateDpl)
{
    Machine m(M64);
    m.load({ 0xcd, 0x80 });                                     // gate DPL 0 from CPL 3
    m.to_user();
    ASSERT_EQ(m.run(), VEC_GP);
    EXPECT_EQ(m.stk(0), 0x80u * 8 + 2);                         // IDT bit, EXT = 0
    EXPECT_EQ(m.stk(1), CODE);                                  // RIP of the INT
    EXPECT_EQ(m.stk(2), U_CS64);
}

TEST(Exception, NotPresentGateGivesNpWithIdtAndExtBits)
{
    Machine m(M64);
    m.wr(IDT + 6 * 16 + 5, 0x0e, 1);                            // #UD gate: P = 0
    ASSERT_EQ(m.exec({ UD2[0], UD2[1] }), VEC_NP);
    EXPECT_EQ(m.stk(0), 6u * 8 + 2 + 1);                        // vector 6, IDT, EXT
    Machine s(M64);
    s.wr(IDT + 0x80 * 16 + 5, 0x0e, 1);
    ASSERT_EQ(s.exec({ 0xcd, 0x80 }), VEC_NP);
    EXPECT_EQ(s.stk(0), 0x80u * 8 + 2);                         // software INT: EXT = 0
}

TEST(Exception, IdtLimit)
{
    Machine m(M64);
    m.c.idtr.limit = 0x80 * 16 - 1;                             // vector 0x80 just outside
    ASSERT_EQ(m.exec({ 0xcd, 0x80 }), VEC_GP);
    EXPECT_EQ(m.stk(0), 0x80u * 8 + 2);
}

TEST(Exception, GpDuringUdDeliveryIsDeliveredSerially)
{
    Machine m(M64);
    m.gate64(6, HND + 6, 0x100);                                // selector beyond the GDT
    ASSERT_EQ(m.exec({ UD2[0], UD2[1] }), VEC_GP);              // benign + contributory: #GP
    EXPECT_EQ(m.stk(0), 0x100u | 1);                            // EXT: during an event
    EXPECT_EQ(m.stk(1), CODE);
}

TEST(Exception, GpDuringPageFaultDeliveryIsDoubleFault)
{
    Machine m(M64);
    m.gate64(14, HND + 14, 0x100);
    // mov rax, [0x4000000]: not mapped -> #PF -> #GP while delivering it -> #DF
    ASSERT_EQ(m.exec({ 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x04 }), VEC_DF);
    EXPECT_EQ(m.stk(0), 0u);                                    // #DF error code is 0
    EXPECT_EQ(m.c.cr2, 0x4000000u);
    EXPECT_EQ(m.c.delivering, -1);
}

TEST(Exception, ContributoryDuringContributoryIsDoubleFault)
{
    Machine m(M64);
    m.gate64(13, HND + 13, 0x100);                              // #GP handler unusable
    ASSERT_EQ(m.exec({ 0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8 }), VEC_DF);
}

TEST(Exception, FaultDuringDoubleFaultIsTripleFault)
{
    Machine m(M64);
    m.gate64(14, HND + 14, 0x100);
    m.gate64(8, HND + 8, 0x100);
    EXPECT_EQ(m.exec({ 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x00, 0x04 }), -2);
    EXPECT_EQ(m.c.stop, STOP_TRIPLE_FAULT);
    EXPECT_NE(std::string(m.c.stop_msg).find("triple fault"), std::string::npos) << m.c.stop_msg;
    EXPECT_EQ(m.c.rip, CODE);                                   // state of the faulting insn
    EXPECT_EQ(m.c.delivering, -1);
}

TEST(Exception, TripleFaultWithEmptyIdt)
{
    Machine m(M64);
    m.c.idtr.limit = 0;
    EXPECT_EQ(m.exec({ UD2[0], UD2[1] }), -2);                  // #UD -> #GP -> #DF -> shutdown
    EXPECT_EQ(m.c.stop, STOP_TRIPLE_FAULT);
}

TEST(Exception, NonCanonicalHandlerRipIsGp)
{
    Machine m(M64);
    m.gate64(3, 0x0000800000000000ull);
    ASSERT_EQ(m.exec({ 0xcc }), VEC_GP);
    EXPECT_EQ(m.stk(0), 0u);                                    // #GP(0): INT3 is software
}

TEST(Exception, Frame32SamePrivilege)
{
    Machine m(M32);
    ASSERT_EQ(m.exec({ 0x66, 0xb8, 0x34, 0x12, 0x8e, 0xd8 }), VEC_GP);
    EXPECT_EQ(m.r(R_RSP), STACK - 16);
    EXPECT_EQ(m.stk(0, 4), 0x1234u);
    EXPECT_EQ(m.stk(1, 4), CODE + 4);
    EXPECT_EQ(m.stk(2, 4), K_CS32);
    EXPECT_EQ(m.stk(3, 4) & (RF_RF | RF_FIXED1), RF_RF | RF_FIXED1);
}

TEST(Exception, Frame32UserToKernelThroughTss)
{
    Machine m(M32);
    m.gate32(0x80, 0x30000, K_CS32, 0xf, 3);                    // trap gate: IF stays
    m.gate32(0x81, HND + 0x81, K_CS32, 0xe, 3);
    m.load({ 0xb8, 5, 0, 0, 0, 0xcf }, 0x30000);               // mov eax,5 ; iretd
    m.load({ 0xcd, 0x80, 0xbb, 7, 0, 0, 0, 0xcd, 0x81 });
    m.to_user();
    ASSERT_EQ(m.run(), 0x81);
    EXPECT_EQ(m.r(R_RAX), 5u);
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.r(R_RSP), RSP0 - 20);
    EXPECT_EQ(m.stk(0, 4), CODE + 9);
    EXPECT_EQ(m.stk(1, 4), U_CS32);
    EXPECT_EQ(m.stk(3, 4), USTACK);
    EXPECT_EQ(m.stk(4, 4), U_DS);
    EXPECT_EQ(m.c.seg[SEG_SS].sel, K_DS);                       // SS0 from the TSS
    EXPECT_EQ(m.c.seg[SEG_CS].sel, K_CS32);
}

TEST(Exception, Tss32StackSegmentIsChecked)
{
    Machine m(M32);
    m.gate32(0x80, HND + 0x80, K_CS32, 0xe, 3);
    m.wr(TSS + 8, U_DS, 4);                                     // SS0 with DPL 3: #TS(SS0)
    m.load({ 0xcd, 0x80 });
    m.to_user();
    // #TS(20H) for the INT; delivering #TS needs the same stack switch: #TS(21H, EXT) -> #DF ->
    // #TS again -> shutdown. The report names the last exception and its error code.
    ASSERT_EQ(m.run(), -2);
    EXPECT_EQ(m.c.stop, STOP_TRIPLE_FAULT);
    EXPECT_NE(std::string(m.c.stop_msg).find("#TS (error code 0x21)"), std::string::npos)
        << m.c.stop_msg;
    EXPECT_EQ(m.c.cpl, 3);
}

TEST(Exception, RealModeFrameAndIvt)
{
    Machine m(M16);
    m.c.rflags |= RF_IF;
    ASSERT_EQ(m.exec({ 0xcd, 0x21 }), 0x21);                    // int 0x21
    EXPECT_EQ(m.r(R_RSP), STACK - 6);
    EXPECT_EQ(m.stk(0, 2), 2u);                                 // IP after INT
    EXPECT_EQ(m.stk(1, 2), CODE >> 4);                          // CS
    EXPECT_EQ(m.stk(2, 2) & RF_IF, RF_IF);
    EXPECT_EQ(m.c.seg[SEG_CS].sel, 0u);
    EXPECT_EQ(m.flags() & RF_IF, 0u);
}

TEST(Exception, RealModeIretReturns)
{
    Machine m(M16);
    m.wr(0x21 * 4, 0x0000u | (0x3000u << 16), 4);              // 3000:0000
    m.load({ 0xcf }, 0x30000);                                  // iret
    m.c.rflags |= RF_IF;
    ASSERT_EQ(m.exec({ 0xcd, 0x21, 0xbb, 7, 0 }), -1);          // int 0x21 ; mov bx,7
    EXPECT_EQ(m.r(R_RBX), 7u);
    EXPECT_EQ(m.r(R_RSP), STACK);
    EXPECT_EQ(m.flags() & RF_IF, RF_IF);
}

TEST(Exception, ExternalInterruptAndNmiBlocking)
{
    Machine m(M64);
    m.load({ 0x90 });
    m.c.rip = CODE;
    m.c.insn_start = CODE;
    cpu_deliver_interrupt(&m.c, 0x40, INTR_EXTERNAL);
    EXPECT_EQ(m.c.rip, HND + 0x40);
    EXPECT_EQ(m.stk(0), CODE);
    cpu_deliver_interrupt(&m.c, VEC_NMI, INTR_NMI);
    EXPECT_TRUE(m.c.nmi_blocked);
    EXPECT_EQ(m.c.ctr.interrupts, 2u);
    EXPECT_GE(m.c.ctr.cycles, 2u * m.c.model->exception);
}

TEST(Exception, ExternalInterruptIgnoresGateDpl)
{
    Machine m(M64);
    m.load({ 0x90 });
    m.to_user();
    m.c.rip = CODE;
    cpu_deliver_interrupt(&m.c, 0x40, INTR_EXTERNAL);           // gate DPL 0, from CPL 3: fine
    EXPECT_EQ(m.c.rip, HND + 0x40);
    EXPECT_EQ(m.c.cpl, 0);
    EXPECT_EQ(m.r(R_RSP), RSP0 - 40);
}

TEST(Exception, Int1IsNotCheckedAgainstGateDpl)
{
    Machine m(M64);
    m.load({ 0xf1 });                                           // int1 (ICEBP), gate DPL 0
    m.to_user();
    ASSERT_EQ(m.run(), VEC_DB);
    EXPECT_EQ(m.stk(0), CODE + 1);
}

TEST(Exception, IntoOnlyWithOverflow)
{
    Machine m(M32);
    m.c.rflags |= RF_OF;
    m.c.lf.op = LF_NONE;
    ASSERT_EQ(m.exec({ 0xce }), VEC_OF);
    EXPECT_EQ(m.stk(0, 4), CODE + 1);
    Machine n(M32);
    EXPECT_EQ(n.exec({ 0xce }), -1);
}

}  // namespace
