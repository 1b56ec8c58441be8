// test_sys_harness.h — a small machine for the system-side tests (exceptions, segmentation,
// system instructions): RAM, decode cache, one CPU (cputest::CpuMachine, cpu_harness.h) in
// 64-bit (identity-paged, user-accessible), 32-bit protected or real mode, with a GDT of kernel and user segments, a TSS with RSP0/IST
// stacks and an I/O bitmap, and an IDT whose every vector points at its own HLT byte.
//
// Memory map (physical = linear):
//   0x1000 GDT (32 entries)   0x2000 IDT (256 x 16 bytes)   0x3000 TSS (+0x68: I/O bitmap)
//   0x6000 + v: HLT for vector v    0x8000 default stack top   0x9000 RSP0 / ESP0 stack top
//   0xa000 IST1 stack top    0xb000 user stack top    0x10000 code    0x20000 data
//   0x100000 page tables (64-bit: 2 MiB pages over 0-8 MiB, P RW US)
#ifndef HVSIM_TEST_SYS_HARNESS_H
#define HVSIM_TEST_SYS_HARNESS_H

#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <vector>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/exception.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "sim/bus.h"
#include "tests/unit/cpu_harness.h"

namespace systest {

enum Mode { M64, M32, M16 };

constexpr uint64_t RAM = 16ull << 20;
constexpr uint64_t GDT = 0x1000, IDT = 0x2000, TSS = 0x3000, HND = 0x6000;
constexpr uint64_t STACK = 0x8000, RSP0 = 0x9000, IST1 = 0xa000, USTACK = 0xb000;
constexpr uint64_t CODE = 0x10000, DATA = 0x20000, PT = 0x100000;
constexpr uint32_t TSS_LIMIT = 0x68 + 8192;   // full I/O bitmap plus the trailing byte

// GDT selectors
constexpr uint16_t K_CS64 = 0x08, K_DS = 0x10, K_CS32 = 0x18, U_DS = 0x23, U_CS64 = 0x2b,
                   U_CS32 = 0x33, K_CS16 = 0x38, K_DS16 = 0x40, TSS_SEL = 0x48;

// Access bytes and flag nibbles of descriptors (SDM Vol. 3 3.4.5).
constexpr uint8_t A_CODE0 = 0x9a, A_DATA0 = 0x92, A_CODE3 = 0xfa, A_DATA3 = 0xf2;
constexpr uint8_t F_G32 = 0xc, F_G64 = 0xa;

inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    return (limit & 0xffffull) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
           (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 |
           (uint64_t)(base >> 24) << 56;
}

struct Machine : cputest::CpuMachine {
    Mode mode;

    explicit Machine(Mode m = M64) : CpuMachine(RAM, nullptr, true), mode(m)
    {
        memset(bus.ram + HND, 0xf4, 256);
        build_gdt();
        switch (m) {
        case M64: setup64(); break;
        case M32: setup32(); break;
        case M16: setup16(); break;
        }
    }

    // RAM write that also invalidates decoded code at pa (tests may patch code with it).
    void wr(uint64_t pa, uint64_t v, unsigned sz = 8)
    {
        memcpy(bus.ram + pa, &v, sz);
        dcache_code_write(&dc, pa, sz);
    }
    void gdt(unsigned sel, uint64_t d) { wr(GDT + (sel & ~7u), d); }

    void build_gdt()
    {
        gdt(K_CS64, seg_desc(0, 0xfffff, A_CODE0, F_G64));
        gdt(K_DS, seg_desc(0, 0xfffff, A_DATA0, F_G32));
        gdt(K_CS32, seg_desc(0, 0xfffff, A_CODE0, F_G32));
        gdt(U_DS, seg_desc(0, 0xfffff, A_DATA3, F_G32));
        gdt(U_CS64, seg_desc(0, 0xfffff, A_CODE3, F_G64));
        gdt(U_CS32, seg_desc(0, 0xfffff, A_CODE3, F_G32));
        gdt(K_CS16, seg_desc(0, 0xffff, A_CODE0, 0));
        gdt(K_DS16, seg_desc(0, 0xffff, A_DATA0, 0));
        gdt(TSS_SEL, seg_desc(TSS, TSS_LIMIT, 0x89, 0));   // available 32/64-bit TSS
        wr(GDT + TSS_SEL + 8, 0);                           // upper half in IA-32e mode
        wr(TSS + 0x66, 0x68, 2);                            // I/O bitmap base
        memset(bus.ram + TSS + 0x68, 0xff, 8193);           // all ports denied
    }

    void load_tr()
    {
        c.tr.sel = TSS_SEL;
        c.tr.base = TSS;
        c.tr.limit = TSS_LIMIT;
        c.tr.ar = 0x8b;
        wr(GDT + TSS_SEL + 5, 0x8b, 1);                     // busy, as LTR leaves it
    }

    void gate64(unsigned v, uint64_t h, uint16_t sel = K_CS64, unsigned type = 0xe,
                unsigned dpl = 0, unsigned ist = 0)
    {
        uint64_t lo = (h & 0xffff) | (uint64_t)sel << 16 | (uint64_t)ist << 32 |
                      (uint64_t)(0x80 | dpl << 5 | type) << 40 | (h >> 16 & 0xffff) << 48;
        wr(IDT + v * 16, lo);
        wr(IDT + v * 16 + 8, h >> 32);
    }
    void gate32(unsigned v, uint64_t h, uint16_t sel = K_CS32, unsigned type = 0xe,
                unsigned dpl = 0)
    {
        wr(IDT + v * 8, (h & 0xffff) | (uint64_t)sel << 16 |
                            (uint64_t)(0x80 | dpl << 5 | type) << 40 | (h >> 16 & 0xffff) << 48);
    }

    void setup64()
    {
        uint64_t pml4 = PT, pdpt = PT + 0x1000, pd = PT + 0x2000;
        memset(bus.ram + PT, 0, 0x3000);
        wr(pml4, pdpt | 7);
        wr(pdpt, pd | 7);
        for (unsigned k = 0; k < 4; k++)
            wr(pd + 8 * k, (k << 21) | 0x87);               // P RW US PS
        cpu_setup_flat64(&c, pml4);
        c.gdtr = { GDT, 32 * 8 - 1 };
        load_tr();
        wr(TSS + 4, RSP0);                                  // RSP0
        wr(TSS + 0x24, IST1);                               // IST1
        for (unsigned v = 0; v < 256; v++)
            gate64(v, HND + v);
        c.idtr = { IDT, 256 * 16 - 1 };
        c.gpr[R_RSP] = STACK;
    }

    void setup32()
    {
        cpu_setup_flat32(&c);
        c.gdtr = { GDT, 32 * 8 - 1 };
        c.seg[SEG_CS].sel = K_CS32;
        load_tr();
        wr(TSS + 4, RSP0, 4);                               // ESP0
        wr(TSS + 8, K_DS, 4);                               // SS0
        for (unsigned v = 0; v < 256; v++)
            gate32(v, HND + v);
        c.idtr = { IDT, 256 * 8 - 1 };
        c.gpr[R_RSP] = STACK;
    }

    void setup16()
    {
        cpu_power_up_reset(&c);
        c.seg[SEG_CS].sel = CODE >> 4;                      // code runs at IP 0 of CS 1000H
        c.seg[SEG_CS].base = CODE;
        for (unsigned v = 0; v < 256; v++)                  // IVT offset:segment
            wr(v * 4, (HND + v) & 0xffff, 4);
        // HND is 0x6000: reachable with CS = 0
        c.idtr = { 0, 0x3ff };
        c.gpr[R_RSP] = STACK;
    }

    // Enter CPL 3 with the current mode's user code segment and user stack.
    void to_user()
    {
        bool m64 = mode == M64;
        c.seg[SEG_CS] = { (uint16_t)(m64 ? U_CS64 : U_CS32), m64 ? 0xa0fbu : 0xc0fbu,
                          0xffffffffu, 0 };
        c.seg[SEG_SS] = { U_DS, 0xc0f3u, 0xffffffffu, 0 };
        c.seg[SEG_DS] = c.seg[SEG_ES] = c.seg[SEG_SS];
        c.gpr[R_RSP] = USTACK;
        cpu_update_mode(&c);
    }

    void load(std::initializer_list<uint8_t> code) { load(std::vector<uint8_t>(code)); }
    void load(const std::vector<uint8_t> &code, uint64_t at = CODE) { load_at(code, at); }

    // Run from CODE until a HLT. Returns the vector whose handler was reached, -1 if the code ran
    // to its end, -2 otherwise (stop other than HLT, e.g. a triple fault).
    int run(uint64_t max_insns = 100000)
    {
        return run_from(mode == M16 ? CODE - c.seg[SEG_CS].base : CODE, max_insns);
    }
    // Run from `rip` (an offset in the current CS) until a HLT; the result as for run().
    int run_from(uint64_t rip, uint64_t max_insns = 100000)
    {
        run_at(rip, max_insns);
        if (c.stop != STOP_HLT)
            return -2;
        return stop_vector(c.seg[SEG_CS].base + c.rip - 1, HND, 256, -3);   // RIP is after HLT
    }
    int exec(std::initializer_list<uint8_t> code)
    {
        load(code);
        return run();
    }

    // Slot k (0 = top) of the stack at RSP, `w` bytes wide.
    uint64_t stk(unsigned k, unsigned w = 8) { return rd(c.seg[SEG_SS].base + c.gpr[R_RSP] + k * w, w); }
};

}  // namespace systest

#endif
