/* diff_hv.cc — the hvsim side of the differential tests.
 *
 * One machine per runner: RAM (HV_RAM_SIZE), decode cache, one CPU. For every case the RAM
 * areas are rewritten, the decode cache is flushed and the CPU is reset and put in flat mode:
 *  - 64-bit: cpu_setup_flat64 with 4-level page tables built here, identity-mapping 0..2 MiB
 *    with 4 KiB pages (PML4 -> PDPT -> PD -> PT at PT_BASE);
 *  - 32-bit: cpu_setup_flat32 (protected mode, flat segments, no paging).
 * A GDT (code at 0x08, data at 0x10) and an IDT whose 32 gates lead to one HLT each (at
 * STUB_BASE + 4 * vector) turn an exception into a stop whose RIP names the vector.
 *
 * Invariant: nothing of a previous case survives into the next one except the page tables
 * (rewritten too, so accessed/dirty bits start clear).
 */
#include "tests/diff/diff_run.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/model.h"
#include "sim/bus.h"

namespace diff {

struct HvRunner::Impl {
    int mode = 8;
    struct bus bus;
    struct dcache dc;
    struct cpu cpu;
    struct cpu_model model;         /* the default model + BMI1, see HvRunner() */
    std::vector<uint8_t> sys;       /* GDT, IDT, stubs, page tables: [GDT_BASE, PT_BASE+16K) */
    std::vector<uint8_t> zeros;
    bool ok = false;
};

static void put64(std::vector<uint8_t> &v, uint64_t off, uint64_t x)
{
    memcpy(&v[off], &x, 8);
}

static void hv_code_write(void *opaque, uint64_t pa, uint64_t len)
{
    dcache_code_write((struct dcache *)opaque, pa, len);
}

HvRunner::HvRunner(int mode) : p_(new Impl)
{
    Impl &p = *p_;
    p.mode = mode;
    memset(&p.bus, 0, sizeof p.bus);
    memset(&p.dc, 0, sizeof p.dc);
    if (bus_init(&p.bus, HV_RAM_SIZE) || dcache_init(&p.dc, HV_RAM_SIZE))
        return;
    p.bus.code_write = hv_code_write;
    p.bus.code_write_opaque = &p.dc;
    /* The built-in model without change, except CPUID.7:EBX.BMI1: Unicorn's CPU has BMI1, and
     * without it hvsim executes F3 0F BC (TZCNT) as BSF, as the SDM says for such processors. */
    p.model = *model_default();
    for (int i = 0; i < p.model.n_cpuid; i++)
        if (p.model.cpuid[i].leaf == 7 && p.model.cpuid[i].subleaf == 0)
            p.model.cpuid[i].ebx |= 1u << 3;
    if (cpu_init(&p.cpu, 0, &p.bus, &p.dc, &p.model))
        return;
    p.ok = true;

    /* system structures, built once and copied in before every run */
    const uint64_t base = GDT_BASE, end = PT_BASE + 0x4000;
    p.sys.assign(end - base, 0);
    put64(p.sys, 0x08, mode == 8 ? 0x00af9b000000ffffull : 0x00cf9b000000ffffull);
    put64(p.sys, 0x10, 0x00cf93000000ffffull);
    for (int v = 0; v < 32; v++) {
        uint64_t h = STUB_BASE + 4 * (uint64_t)v;
        if (mode == 8) {            /* 64-bit interrupt gate, SDM Vol. 3 Figure 6-8 */
            uint64_t lo = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                          ((h >> 16 & 0xffff) << 48);
            put64(p.sys, IDT_BASE - base + 16 * (uint64_t)v, lo);
            put64(p.sys, IDT_BASE - base + 16 * (uint64_t)v + 8, h >> 32);
        } else {                    /* 32-bit interrupt gate, Figure 6-2 */
            uint64_t g = (h & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
                         ((h >> 16 & 0xffff) << 48);
            put64(p.sys, IDT_BASE - base + 8 * (uint64_t)v, g);
        }
    }
    for (uint64_t a = STUB_BASE; a < STUB_BASE + 4 * 32; a++)
        p.sys[a - base] = 0xf4;     /* HLT */
    if (mode == 8) {                /* identity map 0..2 MiB, 4 KiB pages, supervisor RW */
        const uint64_t pml4 = PT_BASE, pdpt = PT_BASE + 0x1000, pd = PT_BASE + 0x2000,
                       pt = PT_BASE + 0x3000;
        put64(p.sys, pml4 - base, pdpt | 3);
        put64(p.sys, pdpt - base, pd | 3);
        put64(p.sys, pd - base, pt | 3);
        for (uint64_t i = 0; i < 512; i++)
            put64(p.sys, pt - base + 8 * i, (i << 12) | 3);
    }
    p.zeros.assign(CODE_SIZE, 0);
}

HvRunner::~HvRunner()
{
    Impl &p = *p_;
    if (p.ok)
        cpu_destroy(&p.cpu);
    dcache_destroy(&p.dc);
    bus_destroy(&p.bus);
}

State HvRunner::run(const Case &c)
{
    Impl &p = *p_;
    State s;
    s.data.assign(DATA_SIZE, 0);
    s.stack.assign(STACK_SIZE, 0);
    if (!p.ok) {
        s.error = "hvsim: machine could not be created";
        return s;
    }
    struct bus *b = &p.bus;
    bus_copy_to(b, GDT_BASE, p.sys.data(), p.sys.size());
    bus_copy_to(b, CODE_BASE, p.zeros.data(), CODE_SIZE);
    bus_copy_to(b, CODE_BASE, c.code.data(), c.code.size());
    bus_copy_to(b, DATA_BASE, c.init.data.data(), DATA_SIZE);
    bus_copy_to(b, STACK_BASE, c.init.stack.data(), STACK_SIZE);
    dcache_flush(&p.dc);

    /* A fresh CPU (cpu_init resets it; cpu_power_up_reset itself is not called from here, see diff.am:
     * it is one of the symbols renamed to avoid a clash with Unicorn's). */
    struct cpu *cpu = &p.cpu;
    cpu_destroy(cpu);
    if (cpu_init(cpu, 0, &p.bus, &p.dc, &p.model)) {
        p.ok = false;
        s.error = "hvsim: cpu_init failed";
        return s;
    }
    if (p.mode == 8)
        cpu_setup_flat64(cpu, PT_BASE);
    else
        cpu_setup_flat32(cpu);
    cpu->gdtr.base = GDT_BASE;
    cpu->gdtr.limit = 0x17;
    cpu->idtr.base = IDT_BASE;
    cpu->idtr.limit = p.mode == 8 ? 32 * 16 - 1 : 32 * 8 - 1;
    for (int r = 0; r < 16; r++)
        cpu->gpr[r] = c.init.gpr[r];
    cpu->rip = c.init.rip;
    cpu_set_rflags(cpu, c.init.rflags);

    cpu_run(cpu, c.count);

    /* in a stub: after its HLT (rip = stub + 1), or on it if HLT itself faulted */
    if (cpu->rip >= STUB_BASE && cpu->rip <= STUB_BASE + 4 * 32)
        s.fault = (int)((cpu->rip - STUB_BASE + 2) / 4);
    if (cpu->stop == STOP_TRIPLE_FAULT)
        s.error = std::string("hvsim: triple fault: ") + cpu->stop_msg;
    else if (cpu->stop == STOP_SHUTDOWN_UNSUPPORTED)
        s.error = std::string("hvsim: unsupported: ") + cpu->stop_msg;
    else if (cpu->stop == STOP_REQUEST)
        s.error = "hvsim: unexpected stop request";

    const int n = p.mode == 8 ? 16 : 8;
    for (int r = 0; r < n; r++)
        s.gpr[r] = p.mode == 8 ? cpu->gpr[r] : (uint32_t)cpu->gpr[r];
    s.rip = p.mode == 8 ? cpu->rip : (uint32_t)cpu->rip;
    s.rflags = cpu_get_rflags(cpu);
    bus_copy_from(b, DATA_BASE, s.data.data(), DATA_SIZE);
    bus_copy_from(b, STACK_BASE, s.stack.data(), STACK_SIZE);
    return s;
}

} // namespace diff
