// test_apic_harness.h — N processors with local APICs on one APIC bus, for the local APIC, APIC
// bus and INIT/SIPI tests. Processor 0 is the BSP of a systest::Machine (test_sys_harness.h:
// GDT, IDT whose vector v ends at the HLT byte HND + v, 64-bit, 32-bit or real mode; in 64-bit
// mode the APIC page FEE00000h is identity-mapped too); processors
// 1..N-1 share its bus and decode cache and, as application processors, start in wait-for-SIPI.
//
// Invariants: the APICs are added to the bus in processor order with APIC id = index; time is
// the processors' cycle counters (tests set c->ctr.cycles) and the event queue `q`.
#ifndef HVSIM_TEST_APIC_HARNESS_H
#define HVSIM_TEST_APIC_HARNESS_H

#include <memory>
#include <vector>

#include "apic/apic_bus.h"
#include "apic/lapic.h"
#include "sim/evq.h"
#include "tests/unit/test_sys_harness.h"

namespace apictest {

struct Rig {
    systest::Machine m;
    struct evq q;
    struct apic_bus ab;
    std::vector<std::unique_ptr<struct cpu>> cpus;      // index 0 unused (m.c is the BSP)
    std::vector<std::unique_ptr<struct lapic>> apics;

    explicit Rig(int n, systest::Mode mode = systest::M64) : m(mode)
    {
        evq_init(&q);
        apic_bus_init(&ab, &m.bus, &m.dc);
        if (mode == systest::M64) {         // map the APIC page: 2 MiB page FEE00000h, PCD
            uint64_t pdpt = systest::PT + 0x1000, pd3 = systest::PT + 0x3000;
            memset(m.bus.ram + pd3, 0, 0x1000);
            m.wr(pdpt + 3 * 8, pd3 | 3);
            m.wr(pd3 + 0x1f7 * 8, 0xfee00000ull | 0x93);
        }
        cpus.resize(n);
        for (int k = 0; k < n; k++) {
            struct cpu *c = &m.c;
            if (k) {
                cpus[k].reset(new struct cpu());
                c = cpus[k].get();
                EXPECT_EQ(cpu_init(c, k, &m.bus, &m.dc, nullptr), 0);
            }
            apics.emplace_back(new struct lapic());
            lapic_init(apics[k].get(), c, &q, &ab, (uint32_t)k);
            EXPECT_EQ(apic_bus_add(&ab, apics[k].get()), 0);
            lapic_attach(apics[k].get(), nullptr);
        }
    }
    ~Rig()
    {
        for (auto &c : cpus)
            if (c)
                cpu_destroy(c.get());
    }

    struct cpu *C(int k) { return k ? cpus[k].get() : &m.c; }
    struct lapic *L(int k) { return apics[k].get(); }

    // Leave wait-for-SIPI without running anything (routing tests want every APIC receiving).
    void wake(int k)
    {
        C(k)->wait_sipi = false;
        C(k)->halted = false;
    }
    void wake_all()
    {
        for (size_t k = 0; k < apics.size(); k++)
            wake((int)k);
    }
    // Software-enable APIC k with spurious vector 0xFF.
    void enable(int k) { lapic_mmio_write(L(k), LAPIC_SVR, 0x1ff, 4); }
    void enable_all()
    {
        for (size_t k = 0; k < apics.size(); k++)
            enable((int)k);
    }
    uint32_t rd(int k, unsigned reg) { return (uint32_t)lapic_mmio_read(L(k), reg, 4); }
    void wr(int k, unsigned reg, uint32_t v) { lapic_mmio_write(L(k), reg, v, 4); }
    bool irr(int k, unsigned v) { return (L(k)->irr[v >> 5] >> (v & 31)) & 1; }
    bool isr(int k, unsigned v) { return (L(k)->isr[v >> 5] >> (v & 31)) & 1; }
};

}  // namespace apictest

#endif
