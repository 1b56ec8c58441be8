// test_vmx_event.cc — events in VMX non-root operation (SDM Vol. 3 chapter 25, 27.5, 27.7): the
// exception bitmap and the #PF error-code mask/match (25.2, 24.6.3) with the exit interruption
// information (24.9.2) and qualification (27.2.1); IDT-vectoring information for an exit during
// delivery (24.9.3, 27.2.4); triple fault (reason 2); external-interrupt exiting with and without
// "acknowledge interrupt on exit"; NMI exiting; interrupt- and NMI-window exiting; the
// VMX-preemption timer (rate IA32_VMX_MISC[4:0] = 5 in the default model: one tick per 32 TSC
// cycles) and its saved value; event injection (hardware exception with error code, software
// interrupt with instruction length, NMI); INIT and SIPI in non-root operation. Values are built
// from the interruption-information format, not copied from runs.
#include "tests/unit/test_vmx_harness.h"

#include "cpu/model.h"
#include "sim/sched.h"

using namespace vmxtest;

namespace {

constexpr uint32_t VALID = VMX_INTR_VALID, ERR = VMX_INTR_HAS_ERROR;
constexpr uint32_t info(unsigned type, unsigned vec) { return VALID | type << 8 | vec; }

const std::vector<uint8_t> UD2 = { 0x0f, 0x0b };

TEST(VmxEvent, ExceptionBitmapExits)
{
    VmxGuestMachine m;
    m.guest(UD2);
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_UD;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_TRUE(m.exited());
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_EXCEPTION_NMI);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_UD));
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE);                 // the faulting instruction
    EXPECT_EQ(m.vf(VMCS_GUEST_RFLAGS), 2u | RF_RF);              // RF as a fault pushes it
    EXPECT_EQ(m.vf(VMCS_IDT_VECTORING_INFO), 0u);
    // without the bit the guest takes #UD through its own IDT
    VmxGuestMachine n;
    n.guest(UD2);
    EXPECT_EQ(n.launch(), VEC_UD);
    EXPECT_TRUE(n.c.vmx.nonroot);
}

TEST(VmxEvent, GeneralProtectionWithErrorCode)
{
    VmxGuestMachine m;
    m.r(R_RAX) = 0x1b;                      // mov ds, ax with selector 1BH (index 3: a code seg)
    m.guest({ 0x8e, 0xd8 });
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_GP) | ERR);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_ERROR), 0x18u);                // selector error code, RPL off
}

// #PF: qualification = the linear address; CR2-style error code; mask/match decide (24.6.3).
TEST(VmxEvent, PageFaultMaskMatch)
{
    const uint64_t UNMAPPED = 0x40000000;   // PDPT entry 1 is not present
    auto run = [&](uint32_t bitmap, uint32_t mask, uint32_t match, VmxGuestMachine &m) {
        m.r(R_RBX) = UNMAPPED;
        m.guest({ 0x8b, 0x03 });            // mov eax, [rbx]: read, not present: error code 0
        m.vf(VMCS_EXCEPTION_BITMAP) = bitmap;
        m.vf(VMCS_PF_ERROR_MASK) = mask;
        m.vf(VMCS_PF_ERROR_MATCH) = match;
        return m.launch();
    };
    {
        VmxGuestMachine m;                  // bit 14 = 1, 0 & 0 == 0: exit
        ASSERT_EQ(run(1u << 14, 0, 0, m), SUCCEED);
        EXPECT_EQ(m.reason(), 0u);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_PF) | ERR);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_ERROR), 0u);
        EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), UNMAPPED);
    }
    {
        VmxGuestMachine m;                  // bit 14 = 1, mismatch (0 & 1 != 1): no exit
        EXPECT_EQ(run(1u << 14, 1, 1, m), VEC_PF);
        EXPECT_TRUE(m.c.vmx.nonroot);
    }
    {
        VmxGuestMachine m;                  // bit 14 = 0, mismatch: exit
        ASSERT_EQ(run(0, 1, 1, m), SUCCEED);
        EXPECT_EQ(m.reason(), 0u);
        EXPECT_EQ(VMX_INTR_VECTOR(m.vf(VMCS_EXIT_INTR_INFO)), (uint32_t)VEC_PF);
    }
}

// INT3 is a software exception: type 6, with the instruction length (27.2.4).
TEST(VmxEvent, SoftwareExceptionLength)
{
    VmxGuestMachine m;
    m.guest({ 0x90, 0xcc });
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_BP;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_SW_EXCEPTION, VEC_BP));
    EXPECT_EQ(m.vf(VMCS_EXIT_INSN_LEN), 1u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);
    EXPECT_EQ(m.vf(VMCS_GUEST_RFLAGS) & RF_RF, 0u);               // a trap: RF not set
}

// An exception during delivery of another: exit for the second, IDT-vectoring = the first.
TEST(VmxEvent, IdtVectoringInformation)
{
    VmxGuestMachine m;
    m.guest(UD2);
    m.vf(VMCS_GUEST_IDTR_LIMIT) = 6 * 16 + 15 - 16;   // vector 6's gate is beyond the limit
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_GP) | ERR);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_ERROR), 6u * 8 + 2 + 1);       // IDT, vector 6, EXT
    EXPECT_EQ(m.vf(VMCS_IDT_VECTORING_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_UD));
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE);
}

// Software interrupt whose delivery exits: IDT-vectoring type 4 with the INT's length.
TEST(VmxEvent, IdtVectoringSoftwareInterrupt)
{
    VmxGuestMachine m;
    m.guest({ 0xcd, 0x40 });                                      // int 40h
    m.vf(VMCS_GUEST_IDTR_LIMIT) = 0x40 * 16 - 1;
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_IDT_VECTORING_INFO), info(VMX_INTR_SW_INT, 0x40));
    EXPECT_EQ(m.vf(VMCS_EXIT_INSN_LEN), 2u);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_ERROR), 0x40u * 8 + 2);         // IDT, not external
}

TEST(VmxEvent, TripleFaultExits)
{
    VmxGuestMachine m;
    m.guest(UD2);
    m.vf(VMCS_GUEST_IDTR_LIMIT) = 0;                              // every delivery faults
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_TRIPLE_FAULT);
    EXPECT_EQ(m.vf(VMCS_IDT_VECTORING_INFO), 0u);
    EXPECT_EQ(m.c.stop, STOP_HLT);                                // the host goes on
}

// A fake interrupt controller: one pending vector until acknowledged.
struct FakePic {
    bool pending = true;
    int acks = 0;
    static bool pend(void *o) { return static_cast<FakePic *>(o)->pending; }
    static uint8_t ack(void *o)
    {
        auto *p = static_cast<FakePic *>(o);
        p->pending = false;
        p->acks++;
        return 0x41;
    }
    void attach(struct cpu &c) { c.irq = { pend, ack, this }; }
};

TEST(VmxEvent, ExternalInterruptExiting)
{
    for (bool ack : { true, false }) {
        VmxGuestMachine m;
        FakePic pic;
        pic.attach(m.c);
        m.guest({ 0x90, 0x90 });
        m.vf(VMCS_PIN_CONTROLS) |= 1u;                            // external-interrupt exiting
        if (ack)
            m.vf(VMCS_EXIT_CONTROLS) |= 1u << 15;
        ASSERT_EQ(m.launch(), SUCCEED);                           // IF = 0 does not block it
        EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_EXTERNAL_INTERRUPT);
        EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), ack ? info(VMX_INTR_EXTERNAL, 0x41) : 0u);
        EXPECT_EQ(pic.acks, ack ? 1 : 0);
        m.c.irq = { nullptr, nullptr, nullptr };
    }
}

// Without exiting, the interrupt goes to the guest's IDT: IDT-vectoring bookkeeping is clean.
TEST(VmxEvent, ExternalInterruptToGuest)
{
    VmxGuestMachine m;
    FakePic pic;
    pic.attach(m.c);
    m.guest({ 0x90 });
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
    EXPECT_EQ(m.launch(), 0x41);                                  // the guest's handler
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_EQ(m.c.vmx.vect_info, 0u);
    m.c.irq = { nullptr, nullptr, nullptr };
}

TEST(VmxEvent, NmiExiting)
{
    VmxGuestMachine m;
    m.guest({ 0xf4 });                                            // the guest halts
    m.vf(VMCS_PIN_CONTROLS) |= 1u << 3;
    ASSERT_EQ(m.launch(), OTHER);
    m.c.nmi_pending = true;                                       // an NMI arrives: it exits,
    cpu_run(&m.c, 10);                                            // also from HLT
    ASSERT_FALSE(m.c.vmx.nonroot);
    EXPECT_EQ(m.reason(), 0u);
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 1u);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_NMI, 2));
    EXPECT_FALSE(m.c.nmi_pending);
    EXPECT_TRUE(m.c.nmi_blocked);                                 // blocked after an NMI exit
}

TEST(VmxEvent, InterruptAndNmiWindows)
{
    VmxGuestMachine m;
    m.guest({ 0x90, 0xfb, 0x90, 0x90 });                          // nop; sti; nop; nop
    m.vf(VMCS_PROC_CONTROLS) |= 1u << 2;                          // interrupt-window exiting
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_INTERRUPT_WINDOW);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 3);              // after the STI shadow
    VmxGuestMachine n;
    n.guest({ 0x90 });
    n.vf(VMCS_PIN_CONTROLS) |= (1u << 3) | (1u << 5);             // NMI exiting, virtual NMIs
    n.vf(VMCS_PROC_CONTROLS) |= 1u << 22;                         // NMI-window exiting
    n.vf(VMCS_GUEST_INTERRUPTIBILITY) = 8;                        // virtual-NMI blocking
    n.wr(systest::HND + 2, 0x90cf48, 3);                          // NMI handler: iretq
    n.vf(VMCS_ENTRY_INTR_INFO) = 0;
    ASSERT_EQ(n.launch(), OTHER);                                 // blocked: guest runs, halts
    EXPECT_TRUE(n.c.vmx.nonroot);
    VmxGuestMachine o;
    o.guest({ 0x90 });
    o.vf(VMCS_PIN_CONTROLS) |= (1u << 3) | (1u << 5);
    o.vf(VMCS_PROC_CONTROLS) |= 1u << 22;
    ASSERT_EQ(o.launch(), SUCCEED);                               // not blocked: exits at once
    EXPECT_EQ(o.reason(), (uint32_t)VMX_EXIT_NMI_WINDOW);
    EXPECT_EQ(o.vf(VMCS_GUEST_RIP), GUEST_CODE);
}

// 25.5.1: counts down once per 2^5 TSC cycles; 0 exits before the first instruction.
TEST(VmxEvent, PreemptionTimer)
{
    VmxGuestMachine m;
    m.guest({ 0xeb, 0xfe });                                      // jmp $
    m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
    m.vf(VMCS_EXIT_CONTROLS) |= 1u << 22;                         // save the timer value
    m.vf(VMCS_PREEMPTION_TIMER) = 100;
    uint64_t start = m.c.ctr.cycles;
    ASSERT_EQ(m.launch(VMLAUNCH, 10000000), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
    EXPECT_EQ(m.vf(VMCS_PREEMPTION_TIMER), 0u);
    uint64_t guest_cycles = m.c.vmx.exit_cycle - start;           // up to the exit
    EXPECT_GE(guest_cycles, 99u * 32);                           // 100 ticks, first one partial
    EXPECT_LE(guest_cycles, 101u * 32 + 1000);                    // + VMLAUNCH and entry cost
    VmxGuestMachine z;
    z.guest({ 0x90 });
    z.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
    z.vf(VMCS_PREEMPTION_TIMER) = 0;
    ASSERT_EQ(z.launch(), SUCCEED);
    EXPECT_EQ(z.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
    EXPECT_EQ(z.vf(VMCS_GUEST_RIP), GUEST_CODE);
}

// Exactness (25.5.1): the exit comes at the first instruction boundary at or past the expiry,
// also when the expiry falls inside a decoded block: the instruction before the exit ended
// before the deadline, the exit is at or after it. Each INC costs cost.alu (1) cycle.
TEST(VmxEvent, PreemptionTimerExitsAtTheExactInstruction)
{
    for (uint32_t v : { 2u, 3u, 5u }) {
        VmxGuestMachine m;
        std::vector<uint8_t> code;
        for (int k = 0; k < 400; k++)
            code.insert(code.end(), { 0x48, 0xff, 0xc0 });     // inc rax (x 400)
        code.insert(code.end(), { 0xeb, 0xfe });               // jmp $
        m.guest(code);
        m.r(R_RAX) = 0;
        m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
        m.vf(VMCS_PREEMPTION_TIMER) = v;
        ASSERT_EQ(m.launch(VMLAUNCH, 100000), SUCCEED);
        ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
        uint64_t deadline = m.c.vmx.preempt_deadline, at = m.c.vmx.exit_cycle;
        EXPECT_GE(at, deadline) << v;
        EXPECT_LT(at - 1, deadline) << v;       // one INC earlier the timer had not expired
        EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 3 * m.r(R_RAX)) << v;
        EXPECT_GT(m.r(R_RAX), 0u) << v;
        EXPECT_LT(m.r(R_RAX), 400u) << v;
    }
}

// The timer also counts in HLT activity, and the saved value is what is left.
TEST(VmxEvent, PreemptionTimerSavedValue)
{
    VmxGuestMachine m;
    m.guest({ 0x0f, 0x01, 0xc1 });
    m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
    m.vf(VMCS_EXIT_CONTROLS) |= 1u << 22;
    m.vf(VMCS_PREEMPTION_TIMER) = 1000000;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_VMCALL);
    uint64_t left = m.vf(VMCS_PREEMPTION_TIMER);
    EXPECT_LT(left, 1000000u);
    EXPECT_GE(left, 1000000u - 2);           // only the entry's few cycles passed
}

// The scheduler wakes a halted guest (HLT, IF = 0) when its preemption timer expires: the idle
// skip stops at the expiry cycle, not at a round end (sim/sched.c).
TEST(VmxEvent, PreemptionTimerWakesHaltedGuestUnderScheduler)
{
    VmxGuestMachine m;
    m.guest({ 0xf4 });
    m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
    m.vf(VMCS_PREEMPTION_TIMER) = 100000;                         // 3.2 M cycles = 1.33 ms
    ASSERT_EQ(m.launch(), OTHER);
    ASSERT_TRUE(m.c.vmx.nonroot && m.c.halted);
    uint64_t deadline = m.c.vmx.preempt_deadline;
    evq q{};
    sched s{};
    evq_init(&q);
    sched_init(&s, &q, m.c.model->tsc_hz);
    ASSERT_EQ(sched_add(&s, &m.c), 0);
    EXPECT_EQ(sched_run(&s, 1000), SCHED_IDLE_FOREVER);          // host HLT with IF = 0 last
    EXPECT_FALSE(m.c.vmx.nonroot);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
    EXPECT_EQ(m.c.vmx.exit_cycle, deadline);                      // exactly at the expiry
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 1u);
    EXPECT_GT(m.c.ctr.halt_cycles, 3000000u);
}

// 25.5.2: with the monitor trap flag every guest instruction is followed by an MTF exit (37);
// a type-7 injection ("other event") makes the exit pending before the first instruction.
TEST(VmxEvent, MonitorTrapFlag)
{
    VmxGuestMachine m;
    m.guest({ 0x90, 0x48, 0xff, 0xc0, 0x90 });                    // nop; inc rax; nop
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_MTF;
    m.r(R_RAX) = 0;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_MONITOR_TRAP_FLAG);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);              // after exactly one insn
    ASSERT_EQ(m.launch(VMRESUME), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 4);
    EXPECT_EQ(m.r(R_RAX), 1u);
    VmxGuestMachine o;
    o.guest({ 0x90 });
    o.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_MTF;
    o.vf(VMCS_ENTRY_INTR_INFO) = VMX_INTR_VALID | 7u << 8;        // pending MTF exit
    ASSERT_EQ(o.launch(), SUCCEED);
    EXPECT_EQ(o.reason(), (uint32_t)VMX_EXIT_MONITOR_TRAP_FLAG);
    EXPECT_EQ(o.vf(VMCS_GUEST_RIP), GUEST_CODE);
}

// 27.5: injection of a hardware exception with error code, a software interrupt, an NMI.
TEST(VmxEvent, InjectHardwareException)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.vf(VMCS_ENTRY_INTR_INFO) = info(VMX_INTR_HW_EXCEPTION, VEC_GP) | ERR;
    m.vf(VMCS_ENTRY_EXCEPTION_ERROR) = 0x28;
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;                   // not consulted (27.5.1)
    EXPECT_EQ(m.launch(), VEC_GP);
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_EQ(m.rd(GUEST_STACK - 48), 0x28u);                     // error code on the stack
    EXPECT_EQ(m.rd(GUEST_STACK - 40), GUEST_CODE);                // RIP of the guest
}

TEST(VmxEvent, InjectSoftwareInterruptAndNmi)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.vf(VMCS_ENTRY_INTR_INFO) = info(VMX_INTR_SW_INT, 0x80);
    m.vf(VMCS_ENTRY_INSN_LEN) = 2;
    EXPECT_EQ(m.launch(), 0x80);
    EXPECT_EQ(m.rd(GUEST_STACK - 40), GUEST_CODE + 2);
    VmxGuestMachine n;
    n.guest({ 0x90 });
    n.vf(VMCS_ENTRY_INTR_INFO) = info(VMX_INTR_NMI, 2);
    EXPECT_EQ(n.launch(), VEC_NMI);
    EXPECT_TRUE(n.c.nmi_blocked);
}

// Wait-for-SIPI activity: interrupts do not wake it; a SIPI exits with the vector (25.2).
TEST(VmxEvent, WaitForSipiAndSipiExit)
{
    VmxGuestMachine m;
    FakePic pic;
    pic.attach(m.c);
    m.guest({ 0x90 });
    m.vf(VMCS_GUEST_ACTIVITY_STATE) = 3;
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
    EXPECT_EQ(m.launch(), OTHER);
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_TRUE(m.c.halted);
    EXPECT_EQ(pic.acks, 0);
    EXPECT_TRUE(cpu_sipi(&m.c, 0x9a));
    cpu_run(&m.c, 10);
    ASSERT_FALSE(m.c.vmx.nonroot);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_SIPI);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), 0x9au);
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 3u);
    m.c.irq = { nullptr, nullptr, nullptr };
}


// ---------------------------------------------------------------- NMI unblocking due to IRET
// 25.3: IRET removes NMI blocking (NMI exiting 0) or virtual-NMI blocking (virtual NMIs 1), and
// nothing with NMI exiting 1 and virtual NMIs 0; 28.1: a fault in the IRET that exits finds the
// blocking already cleared; 28.2.2: then bit 12 of the exit interruption information says the
// IRET had unblocked NMIs.
constexpr uint32_t PIN_NMI_EXIT = 1u << 3, PIN_VNMI = 1u << 5, BLOCK_NMI = 8;
const std::vector<uint8_t> IRETQ = { 0x48, 0xcf };

// A guest IRETQ whose frame has a null CS (#GP(0)), with the exception bitmap catching #GP.
static void iret_faults(VmxGuestMachine &m, uint32_t pin, uint32_t interruptibility)
{
    m.guest(IRETQ);
    m.wr(GUEST_STACK, GUEST_CODE + 2);
    m.wr(GUEST_STACK + 8, 0);                                     // CS = null: #GP(0)
    m.wr(GUEST_STACK + 16, 2);
    m.vf(VMCS_PIN_CONTROLS) |= pin;
    m.vf(VMCS_GUEST_INTERRUPTIBILITY) = interruptibility;
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_GP;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_TRUE(m.exited());
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_EXCEPTION_NMI);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE);                  // the IRET did not complete
}

TEST(VmxEvent, IretFaultReportsNmiUnblocking)
{
    const uint32_t GP = info(VMX_INTR_HW_EXCEPTION, VEC_GP) | ERR;
    {   // virtual NMIs, virtual-NMI blocking before the IRET
        VmxGuestMachine m;
        iret_faults(m, PIN_NMI_EXIT | PIN_VNMI, BLOCK_NMI);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), GP | VMX_INTR_NMI_UNBLOCK);
        EXPECT_EQ(m.vf(VMCS_GUEST_INTERRUPTIBILITY), 0u);       // cleared before the exit
    }
    {   // NMI exiting 0: blocking by NMI
        VmxGuestMachine m;
        iret_faults(m, 0, BLOCK_NMI);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), GP | VMX_INTR_NMI_UNBLOCK);
        EXPECT_EQ(m.vf(VMCS_GUEST_INTERRUPTIBILITY), 0u);
    }
    {   // NMI exiting 1, virtual NMIs 0: IRET does not affect NMI blocking
        VmxGuestMachine m;
        iret_faults(m, PIN_NMI_EXIT, BLOCK_NMI);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), GP);
        EXPECT_EQ(m.vf(VMCS_GUEST_INTERRUPTIBILITY), BLOCK_NMI);
    }
    {   // no blocking before the IRET: nothing to report
        VmxGuestMachine m;
        iret_faults(m, PIN_NMI_EXIT | PIN_VNMI, 0);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), GP);
    }
}

// An IRET that completes unblocks for good: a later fault's exit has bit 12 clear.
TEST(VmxEvent, CompletedIretThenFaultHasNoUnblockBit)
{
    VmxGuestMachine m;
    m.guest({ 0x48, 0xcf, 0x0f, 0x0b });                          // iretq; ud2
    m.wr(GUEST_STACK, GUEST_CODE + 2);
    m.wr(GUEST_STACK + 8, systest::K_CS64);
    m.wr(GUEST_STACK + 16, 2);
    m.wr(GUEST_STACK + 24, GUEST_STACK + 40);
    m.wr(GUEST_STACK + 32, systest::K_DS);
    m.vf(VMCS_PIN_CONTROLS) |= PIN_NMI_EXIT | PIN_VNMI;
    m.vf(VMCS_GUEST_INTERRUPTIBILITY) = BLOCK_NMI;
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_UD;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_UD));
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 2);
    EXPECT_EQ(m.vf(VMCS_GUEST_INTERRUPTIBILITY), 0u);
}

// SDM Vol. 3 6.7.1: IRET unblocks NMIs even when it faults (root operation, no VMX).
TEST(VmxEvent, IretFaultUnblocksNmisOutsideVmx)
{
    systest::Machine m;
    m.c.nmi_blocked = true;
    m.r(R_RSP) = systest::STACK - 0x100;
    m.wr(systest::STACK - 0x100, systest::CODE);
    m.wr(systest::STACK - 0xf8, 0);                               // null CS: #GP(0)
    m.wr(systest::STACK - 0xf0, 2);
    m.load(IRETQ);
    EXPECT_EQ(m.run(), VEC_GP);
    EXPECT_FALSE(m.c.nmi_blocked);
}

// ---------------------------------------------------------------- pending debug exceptions
constexpr uint64_t BS = 1u << 14;

// A single-stepped instruction with the monitor trap flag: the MTF exit has priority over the
// single-step trap (25.5.2), which is saved as pending (28.3.4: BS); the next VM entry delivers
// it before any instruction (27.7.3), here into a #DB exit with qualification BS.
TEST(VmxEvent, MtfOvertakesSingleStepTrap)
{
    VmxGuestMachine m;
    m.guest({ 0x90, 0x90 });
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_TF;
    m.vf(VMCS_PROC_CONTROLS) |= VMX_PROC_MTF;
    ASSERT_EQ(m.launch(), SUCCEED);
    ASSERT_EQ(m.reason(), (uint32_t)VMX_EXIT_MONITOR_TRAP_FLAG);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);
    EXPECT_EQ(m.vf(VMCS_GUEST_PENDING_DBG), BS);
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
    ASSERT_EQ(m.launch(VMRESUME), SUCCEED);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_EXCEPTION_NMI);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_DB));
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), BS);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);              // no instruction ran
    EXPECT_EQ(m.vf(VMCS_GUEST_PENDING_DBG), 0u);                  // delivered
}

// Without MTF the single-step trap is an ordinary #DB: its exit saves no pending exception.
TEST(VmxEvent, SingleStepTrapExit)
{
    VmxGuestMachine m;
    m.guest({ 0x90, 0x90 });
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_TF;
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_HW_EXCEPTION, VEC_DB));
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), BS);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + 1);
    EXPECT_EQ(m.vf(VMCS_GUEST_PENDING_DBG), 0u);
}

// 27.7.3: a pending BS loaded by VM entry is a #DB trap through the guest IDT before the first
// instruction: DR6.BS set, the frame's RIP is the guest RIP (nothing executed).
TEST(VmxEvent, PendingDebugExceptionDeliveredAfterEntry)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.c.dr[6] = 0xffff0ff0;
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_TF;
    m.vf(VMCS_GUEST_PENDING_DBG) = BS;
    EXPECT_EQ(m.launch(), VEC_DB);
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_EQ(m.c.dr[6], 0xffff0ff0u | BS);
    EXPECT_EQ(m.rd(GUEST_STACK - 40), GUEST_CODE);
    EXPECT_EQ(m.rd(GUEST_STACK - 24) & RF_TF, (uint64_t)RF_TF);  // pushed RFLAGS still has TF
}

// In HLT activity the pending #DB wakes the guest (the exit saves activity "active").
TEST(VmxEvent, PendingDebugExceptionWakesHlt)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.vf(VMCS_GUEST_ACTIVITY_STATE) = 1;
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_TF;
    m.vf(VMCS_GUEST_PENDING_DBG) = BS;                            // BS = TF in HLT (27.3.1.5)
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
    ASSERT_EQ(m.launch(), SUCCEED);
    EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), BS);
    EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 0u);
    EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE);
}

// MOV SS blocking holds the pending #DB until after the next instruction (27.7.3).
TEST(VmxEvent, PendingDebugExceptionHeldByMovSs)
{
    for (uint32_t intr : { 0u, 2u }) {
        VmxGuestMachine m;
        m.guest({ 0x90, 0x90 });
        m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_TF;
        m.vf(VMCS_GUEST_INTERRUPTIBILITY) = intr;
        m.vf(VMCS_GUEST_PENDING_DBG) = BS;
        m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
        ASSERT_EQ(m.launch(), SUCCEED) << intr;
        EXPECT_EQ(m.vf(VMCS_EXIT_QUALIFICATION), BS) << intr;
        EXPECT_EQ(m.vf(VMCS_GUEST_RIP), GUEST_CODE + (intr ? 1 : 0)) << intr;
    }
}

// 27.7.3: a VM entry injecting an external interrupt, NMI or hardware exception has no pending
// debug exceptions after it; an invalid set (neither BS nor bit 12) is not delivered either.
TEST(VmxEvent, PendingDebugExceptionLostOrInvalid)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
    m.vf(VMCS_GUEST_PENDING_DBG) = BS;                            // TF = 0: not checked (active)
    m.vf(VMCS_ENTRY_INTR_INFO) = info(VMX_INTR_EXTERNAL, 0x41);
    m.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
    EXPECT_EQ(m.launch(), 0x41);                                  // the handler, no #DB exit
    EXPECT_TRUE(m.c.vmx.nonroot);
    VmxGuestMachine n;
    n.guest({ 0x90 });
    n.vf(VMCS_GUEST_PENDING_DBG) = 1;                             // B0 alone: not valid
    n.vf(VMCS_EXCEPTION_BITMAP) = 1u << VEC_DB;
    EXPECT_EQ(n.launch(), OTHER);                                 // runs to its HLT
    EXPECT_TRUE(n.c.vmx.nonroot);
}

// ---------------------------------------------------------------- activity states
// 27.7.2 / 25.2: shutdown activity is left only by NMI (exit with NMI exiting, else delivered),
// INIT (exit 3), the VMX-preemption timer and NMI-window exits; external interrupts and the
// interrupt window do nothing.
TEST(VmxEvent, ShutdownIgnoresInterrupts)
{
    for (uint32_t pin : { 0u, 1u }) {                             // external-interrupt exiting
        VmxGuestMachine m;
        FakePic pic;
        pic.attach(m.c);
        m.guest({ 0x90 });
        m.vf(VMCS_GUEST_ACTIVITY_STATE) = 2;
        m.vf(VMCS_GUEST_RFLAGS) = 2 | RF_IF;
        m.vf(VMCS_PIN_CONTROLS) |= pin;
        m.vf(VMCS_PROC_CONTROLS) |= 1u << 2;                      // interrupt-window exiting
        EXPECT_EQ(m.launch(), OTHER) << pin;
        EXPECT_TRUE(m.c.vmx.nonroot && m.c.halted) << pin;
        EXPECT_EQ(pic.acks, 0) << pin;
        cpu_run(&m.c, 10);
        EXPECT_TRUE(m.c.vmx.nonroot && m.c.halted) << pin;
        m.c.irq = { nullptr, nullptr, nullptr };
    }
}

TEST(VmxEvent, ShutdownLeftByNmiInitAndTimer)
{
    {   // NMI exiting: exit 0, activity shutdown saved
        VmxGuestMachine m;
        m.guest({ 0x90 });
        m.vf(VMCS_GUEST_ACTIVITY_STATE) = 2;
        m.vf(VMCS_PIN_CONTROLS) |= PIN_NMI_EXIT;
        ASSERT_EQ(m.launch(), OTHER);
        m.c.nmi_pending = true;
        cpu_run(&m.c, 10);
        ASSERT_FALSE(m.c.vmx.nonroot);
        EXPECT_EQ(m.reason(), 0u);
        EXPECT_EQ(m.vf(VMCS_EXIT_INTR_INFO), info(VMX_INTR_NMI, 2));
        EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 2u);
    }
    {   // without NMI exiting the guest takes the NMI and leaves shutdown
        VmxGuestMachine m;
        m.guest({ 0x90 });
        m.vf(VMCS_GUEST_ACTIVITY_STATE) = 2;
        ASSERT_EQ(m.launch(), OTHER);
        m.c.nmi_pending = true;
        cpu_run(&m.c, 10);
        EXPECT_TRUE(m.c.vmx.nonroot);
        EXPECT_EQ(m.c.vmx.activity, 0u);
        EXPECT_EQ(m.c.rip, systest::HND + VEC_NMI + 1);          // halted in the NMI handler
    }
    {   // INIT: exit 3
        VmxGuestMachine m;
        m.guest({ 0x90 });
        m.vf(VMCS_GUEST_ACTIVITY_STATE) = 2;
        ASSERT_EQ(m.launch(), OTHER);
        cpu_init_signal(&m.c);
        cpu_run(&m.c, 10);
        ASSERT_FALSE(m.c.vmx.nonroot);
        EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_INIT);
        EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 2u);
    }
    {   // the preemption timer (value 0: at once)
        VmxGuestMachine m;
        m.guest({ 0x90 });
        m.vf(VMCS_GUEST_ACTIVITY_STATE) = 2;
        m.vf(VMCS_PIN_CONTROLS) |= VMX_PIN_PREEMPT_TIMER;
        m.vf(VMCS_PREEMPTION_TIMER) = 0;
        ASSERT_EQ(m.launch(), SUCCEED);
        EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_PREEMPTION_TIMER);
        EXPECT_EQ(m.vf(VMCS_GUEST_ACTIVITY_STATE), 2u);
    }
}

// 25.2: wait-for-SIPI blocks INIT (it stays pending), NMIs and the preemption timer.
TEST(VmxEvent, WaitForSipiBlocksInitNmiAndTimer)
{
    VmxGuestMachine m;
    m.guest({ 0x90 });
    m.vf(VMCS_GUEST_ACTIVITY_STATE) = 3;
    m.vf(VMCS_PIN_CONTROLS) |= PIN_NMI_EXIT | VMX_PIN_PREEMPT_TIMER;
    m.vf(VMCS_PREEMPTION_TIMER) = 0;
    EXPECT_EQ(m.launch(), OTHER);
    m.c.nmi_pending = true;
    cpu_init_signal(&m.c);
    cpu_run(&m.c, 10);
    EXPECT_TRUE(m.c.vmx.nonroot);
    EXPECT_TRUE(m.c.vmx.init_pending);
    EXPECT_TRUE(cpu_sipi(&m.c, 0x12));
    cpu_run(&m.c, 10);
    ASSERT_FALSE(m.c.vmx.nonroot);
    EXPECT_EQ(m.reason(), (uint32_t)VMX_EXIT_SIPI);
}

}  // namespace
