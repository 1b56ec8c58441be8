// test_sched.cc — the scheduler: cycle/picosecond conversion at the model frequency, a device
// timer waking a halted processor through its interrupt (idle skip: halted time costs no
// instructions), the "halted forever" stop, round-robin interleaving of two processors with
// bounded skew, a processor's stop ending the run, and identical results for identical runs.
#include <gtest/gtest.h>

#include <vector>

#include "cpu/model.h"
#include "sim/sched.h"
#include "tests/unit/cpu_harness.h"

namespace {

constexpr uint64_t HZ = 2400000000ull;

TEST(Sched, CycleConversion) {
    EXPECT_EQ(sched_cycles_to_ps(2400, HZ), PS_PER_US);
    EXPECT_EQ(sched_ps_to_cycles(PS_PER_US, HZ), 2400u);
    EXPECT_EQ(sched_cycles_to_ps(1, HZ), 416u);        // 416.67 ps, rounded down
    EXPECT_EQ(sched_ps_to_cycles(1, HZ), 1u);          // rounded up: the first cycle at or after
    EXPECT_EQ(sched_ps_to_cycles(PS_PER_S * 3600, HZ), HZ * 3600);   // an hour, no overflow
}

// A timer device: fires every `period` picoseconds, `left` times, raising the CPU's interrupt.
struct Timer {
    evq *q;
    event e;
    uint64_t period;
    int left;
    bool line;
    int acks;
};

void timer_fire(void *o, uint64_t now) {
    Timer *t = static_cast<Timer *>(o);
    t->line = true;
    if (--t->left > 0)
        evq_schedule(t->q, &t->e, now + t->period);
}

class SchedMachine : public ::testing::Test, public cputest::CpuMachine {
protected:
    evq q{};
    sched s{};
    Timer t{};
    SchedMachine() : CpuMachine(1 << 20, nullptr, true) {}
    void SetUp() override {
        evq_init(&q);
        sched_init(&s, &q, c.model->tsc_hz);
        ASSERT_EQ(sched_add(&s, &c), 0);
        ASSERT_EQ(cpu_setup_gdt(&c, 0x6000), 0);
        cpu_setup_flat32(&c);
        c.gpr[R_RSP] = 0x9000;
        c.idtr = {0x5000, 0x7ff};
        uint32_t h = 0x2000;                           // vector 0x20 -> 0x2000
        uint64_t d = (h & 0xffff) | (0x28ull << 16) | (0x8e00ull << 32) | ((uint64_t)(h >> 16) << 48);
        wr(0x5000 + 8 * 0x20, d);
        // handler: inc dword [0x3000] ; iret
        load_at({0xff, 0x05, 0x00, 0x30, 0x00, 0x00, 0xcf}, 0x2000);
        // main: sti ; hlt ; jmp -3 (back to hlt)
        load_at({0xfb, 0xf4, 0xeb, 0xfd}, 0x1000);
        c.rip = 0x1000;
        t.q = &q;
        event_init(&t.e, timer_fire, &t, "timer");
        c.irq.opaque = &t;
        c.irq.pending = [](void *o) { return static_cast<Timer *>(o)->line; };
        c.irq.ack = [](void *o) {
            Timer *tt = static_cast<Timer *>(o);
            tt->line = false;
            tt->acks++;
            return (uint8_t)0x20;
        };
    }
};

TEST_F(SchedMachine, TimerWakesHaltedCpuAndIdleIsSkipped) {
    t.period = 100 * PS_PER_US;
    t.left = 10;
    evq_schedule(&q, &t.e, t.period);
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);   // after the 10th tick
    EXPECT_EQ(rd(0x3000, 4), 10u);
    EXPECT_EQ(t.acks, 10);
    // The last tick is at 1 ms; the processor takes it in the next round and halts again, and
    // the machine stops at the end of that round.
    EXPECT_EQ(q.now, PS_PER_MS + s.quantum_ps);
    // Each tick: handler inc + iret, then jmp + hlt = 4 instructions; plus sti and hlt at start.
    EXPECT_EQ(c.ctr.insns, 2u + 10u * 4u);
    EXPECT_GE(c.ctr.cycles, sched_ps_to_cycles(PS_PER_MS, s.hz));
    EXPECT_GT(c.ctr.halt_cycles, c.ctr.cycles * 9 / 10);   // almost all of it halted
}

// STI; HLT with an interrupt already pending: STI's shadow covers the HLT, after which the
// interrupt is taken at once (SDM Vol. 3 6.8.3) -- not at the end of the scheduler round (10 us =
// 24,000 cycles at 2.4 GHz), which is where a halted processor would otherwise idle to.
TEST_F(SchedMachine, HltWithInterruptPendingWakesAtOnce) {
    t.line = true;                                 // pending before STI
    EXPECT_EQ(sched_run(&s, 4), SCHED_INSN_LIMIT); // sti, hlt, then the handler's inc, iret
    EXPECT_EQ(t.acks, 1);
    EXPECT_EQ(rd(0x3000, 4), 1u);
    EXPECT_LT(c.ctr.cycles, 2400u);                // well under a microsecond of virtual time
    EXPECT_EQ(c.ctr.halt_cycles, 0u);
}

TEST_F(SchedMachine, HaltWithInterruptsOffStopsAtOnce) {
    load_at({0xf4}, 0x1000);                           // hlt with IF = 0
    t.period = PS_PER_US;
    t.left = 1000;
    evq_schedule(&q, &t.e, t.period);
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);
    EXPECT_EQ(c.ctr.insns, 1u);
    EXPECT_EQ(t.acks, 0);
}

TEST_F(SchedMachine, InstructionLimitAndCpuStop) {
    load_at({0xeb, 0xfe}, 0x1000);                     // jmp $
    EXPECT_EQ(sched_run(&s, 5000), SCHED_INSN_LIMIT);
    EXPECT_EQ(c.ctr.insns, 5000u);
    load_at({0x0f, 0x0b}, 0x1000);                     // ud2 with no #UD handler: triple fault
    c.rip = 0x1000;
    c.idtr = {0, 0};
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_CPU_STOP);
    EXPECT_EQ(s.stopped, &c);
    EXPECT_EQ(c.stop, STOP_TRIPLE_FAULT);
}

// Exact device timing inside a round (sched.h): a port device sees the accessing processor's
// time (bus sync hook -> sched_sync), not the round start; the event it schedules 1 us later ends
// the round there (evq `earlier` hook), so the processor stops within one basic block of it and
// the event fires at exactly its time, long before the 10 us round would have ended.
struct Delayed {
    evq *q;
    cpu *c;
    event e;
    uint64_t seen_ps = UINT64_MAX, seen_cpu_ps = 0, fired_ps = 0, fired_cycles = 0;
};

TEST_F(SchedMachine, DeviceSeesAccessTimeAndEarlyEventEndsTheRound) {
    static Delayed d;
    d = Delayed{};
    d.q = &q;
    d.c = &c;
    event_init(&d.e, [](void *o, uint64_t now) {
        Delayed *dd = static_cast<Delayed *>(o);
        dd->fired_ps = now;
        dd->fired_cycles = dd->c->ctr.cycles;
    }, &d, "delayed");
    static const bus_ops ops = {
        [](void *, uint64_t, unsigned) -> uint64_t { return 0; },
        [](void *o, uint64_t, uint64_t, unsigned) {
            Delayed *dd = static_cast<Delayed *>(o);
            dd->seen_ps = dd->q->now;
            dd->seen_cpu_ps = sched_cycles_to_ps(cpu_cycles_now(dd->c), dd->c->model->tsc_hz);
            evq_schedule(dd->q, &dd->e, dd->q->now + PS_PER_US);
        },
    };
    ASSERT_EQ(bus_map_pio(&bus, 0xe0, 1, &ops, &d, "delayed"), 0);
    bus.sync = sched_sync;
    bus.sync_opaque = &s;
    // mov ecx, 3000 ; l1: dec ecx ; jnz l1 ; out 0xe0, al ; mov ecx, 100000 ; l2: dec ecx ;
    // jnz l2 ; hlt
    load_at({0xb9, 0xb8, 0x0b, 0x00, 0x00, 0x49, 0x75, 0xfd, 0xe6, 0xe0,
             0xb9, 0xa0, 0x86, 0x01, 0x00, 0x49, 0x75, 0xfd, 0xf4}, 0x1000);
    c.rip = 0x1000;
    EXPECT_EQ(sched_run(&s, UINT64_MAX), SCHED_IDLE_FOREVER);   // HLT with IF = 0 at the end
    EXPECT_EQ(c.rip, 0x1013u);
    // the device saw the time of the OUT (6001 instructions in), not the round start (0)
    EXPECT_GT(d.seen_ps, 0u);
    EXPECT_LT(d.seen_ps, 10 * PS_PER_US);
    EXPECT_EQ(d.seen_ps, d.seen_cpu_ps);
    // the event fired at its time, with the processor stopped at most one block (the 2-insn
    // loop: a few cycles) past it
    EXPECT_EQ(d.fired_ps, d.seen_ps + PS_PER_US);
    uint64_t due = sched_ps_to_cycles(d.fired_ps, c.model->tsc_hz);
    EXPECT_GE(d.fired_cycles, due);
    EXPECT_LT(d.fired_cycles, due + 16);
}

TEST(SchedTwoCpus, RoundRobinWithBoundedSkewAndDeterminism) {
    std::vector<uint64_t> first;
    for (int run = 0; run < 2; run++) {
        cputest::CpuMachine m(1 << 20, nullptr, true);
        cpu c1;
        ASSERT_EQ(cpu_init(&c1, 1, &m.bus, &m.dc, nullptr), 0);
        evq q;
        evq_init(&q);
        sched s;
        sched_init(&s, &q, m.c.model->tsc_hz);
        sched_add(&s, &m.c);
        sched_add(&s, &c1);
        // LP0: add eax, 1 in a loop; LP1: imul (3-cycle class) in a loop: different speeds.
        m.load_at({0x83, 0xc0, 0x01, 0xeb, 0xfb}, 0x1000);
        m.load_at({0x0f, 0xaf, 0xc0, 0xeb, 0xfb}, 0x2000);
        cpu_setup_flat32(&m.c);
        cpu_setup_flat32(&c1);
        m.c.rip = 0x1000;
        c1.rip = 0x2000;
        c1.gpr[R_RAX] = 3;
        EXPECT_EQ(sched_run(&s, 1000000), SCHED_INSN_LIMIT);
        EXPECT_EQ(m.c.ctr.insns + c1.ctr.insns, 1000000u);
        EXPECT_GT(m.c.ctr.insns, 0u);
        EXPECT_GT(c1.ctr.insns, 0u);
        // local times differ by at most one round (plus one instruction)
        uint64_t t0 = sched_cycles_to_ps(m.c.ctr.cycles, s.hz);
        uint64_t t1 = sched_cycles_to_ps(c1.ctr.cycles, s.hz);
        uint64_t skew = t0 > t1 ? t0 - t1 : t1 - t0;
        EXPECT_LE(skew, s.quantum_ps + PS_PER_US);
        std::vector<uint64_t> r = {m.c.ctr.insns, c1.ctr.insns, m.c.ctr.cycles, c1.ctr.cycles,
                                   m.c.gpr[R_RAX], c1.gpr[R_RAX]};
        if (run == 0)
            first = r;
        else
            EXPECT_EQ(r, first);
        cpu_destroy(&c1);
    }
}

}  // namespace
