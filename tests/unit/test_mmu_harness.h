// test_mmu_harness.h — a bare struct cpu with a bus (cputest::RamMachine, cpu_harness.h) and
// hand-built page tables, for the MMU and TLB unit tests. Page tables are written into RAM by
// hand following SDM Vol. 3 4.3-4.5.
#ifndef HVSIM_TEST_MMU_HARNESS_H
#define HVSIM_TEST_MMU_HARNESS_H

#include <gtest/gtest.h>

#include <csetjmp>
#include <cstring>

#include "cpu/cpu.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "sim/bus.h"
#include "tests/unit/cpu_harness.h"

namespace mmutest {

constexpr uint64_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
constexpr uint64_t XD = 1ull << 63;
constexpr uint64_t ADDR = 0x000ffffffffff000ull;

struct Fault {
    bool faulted;
    int vec;
    uint32_t ec;
    uint64_t cr2;
};

struct Mach : cputest::RamMachine {
    struct cpu c;
    uint64_t next_table = 0x100000;   // page tables are allocated from 1 MiB up

    explicit Mach(uint64_t ram = 32ull << 20, const struct cpu_model *model = nullptr)
        : RamMachine(ram)
    {
        memset(&c, 0, sizeof c);
        c.bus = &bus;
        c.model = model;
    }
    ~Mach() { mmu_destroy(&c); }
    uint64_t alloc()
    {
        uint64_t p = next_table;
        next_table += 0x1000;
        memset(bus.ram + p, 0, 4096);
        return p;
    }
    void init()
    {
        if (c.tlb)
            mmu_flush_all(&c, true);
        else
            ASSERT_EQ(mmu_init(&c), 0);
    }

    // --- paging-off, 32-bit protected mode
    void flat32()
    {
        c.cr0 = CR0_PE;
        c.cr4 = 0;
        c.msr.efer = 0;
        c.mode = MODE_PROT;
        init();
    }

    // --- 4-level paging (SDM 4.5)
    void long_mode(uint64_t cr4_extra = 0, uint64_t efer_extra = EFER_NXE, uint64_t pcid = 0)
    {
        c.cr3 = alloc() | pcid;
        c.cr0 = CR0_PE | CR0_PG | CR0_WP;
        c.cr4 = CR4_PAE | cr4_extra;
        c.msr.efer = EFER_LME | EFER_LMA | efer_extra;
        c.mode = MODE_LONG64;
        init();
    }
    // Map lin -> pa with a leaf at level `shift` (12, 21, 30); intermediate entries get `upper`.
    // Returns the physical address of the leaf entry.
    uint64_t map(uint64_t lin, uint64_t pa, uint64_t leaf, unsigned shift = 12,
                 uint64_t upper = P | RW | US)
    {
        uint64_t table = c.cr3 & ADDR;
        for (unsigned s = 39; s > shift; s -= 9) {
            uint64_t ea = table + ((lin >> s) & 511) * 8;
            uint64_t e = rd(ea);
            if (!(e & P)) {
                e = alloc() | upper;
                wr(ea, e);
            }
            table = e & ADDR;
        }
        uint64_t ea = table + ((lin >> shift) & 511) * 8;
        wr(ea, pa | leaf | (shift > 12 ? PS : 0));
        return ea;
    }
    // Physical address of the entry at level `shift` used to translate lin (4-level).
    uint64_t entry_at(uint64_t lin, unsigned shift) const
    {
        uint64_t table = c.cr3 & ADDR;
        for (unsigned s = 39;; s -= 9) {
            uint64_t ea = table + ((lin >> s) & 511) * 8;
            if (s == shift)
                return ea;
            table = rd(ea) & ADDR;
        }
    }

    // --- PAE paging (SDM 4.4): PDPT of 4 entries at cr3
    void pae_mode(uint64_t cr4_extra = 0, uint64_t efer_extra = 0)
    {
        uint64_t pdpt = alloc();
        c.cr3 = pdpt;
        c.cr0 = CR0_PE | CR0_PG | CR0_WP;
        c.cr4 = CR4_PAE | cr4_extra;
        c.msr.efer = efer_extra;
        c.mode = MODE_PROT;
        for (int k = 0; k < 4; k++)
            wr(pdpt + 8 * k, alloc() | P);
        init();
        ASSERT_EQ(mmu_load_pdptes(&c), 0);
    }
    uint64_t map_pae(uint64_t lin, uint64_t pa, uint64_t leaf, unsigned shift = 12,
                     uint64_t upper = P | RW | US)
    {
        uint64_t pd = rd((c.cr3 & 0xffffffe0) + ((lin >> 30) & 3) * 8) & ADDR;
        uint64_t ea = pd + ((lin >> 21) & 511) * 8;
        if (shift == 21) {
            wr(ea, pa | leaf | PS);
            return ea;
        }
        uint64_t e = rd(ea);
        if (!(e & P)) {
            e = alloc() | upper;
            wr(ea, e);
        }
        uint64_t pte = (e & ADDR) + ((lin >> 12) & 511) * 8;
        wr(pte, pa | leaf);
        return pte;
    }

    // --- 32-bit paging (SDM 4.3)
    void legacy_mode(uint64_t cr4_extra = 0)
    {
        c.cr3 = alloc();
        c.cr0 = CR0_PE | CR0_PG | CR0_WP;
        c.cr4 = cr4_extra;
        c.msr.efer = 0;
        c.mode = MODE_PROT;
        init();
    }
    uint64_t map32(uint64_t lin, uint64_t pa, uint64_t leaf, bool big = false,
                   uint64_t upper = P | RW | US)
    {
        uint64_t pde = (c.cr3 & 0xfffff000) + ((lin >> 22) & 1023) * 4;
        if (big) {
            wr(pde, pa | leaf | PS, 4);
            return pde;
        }
        uint64_t e = rd(pde, 4);
        if (!(e & P)) {
            e = alloc() | upper;
            wr(pde, e, 4);
        }
        uint64_t pte = (e & 0xfffff000) + ((lin >> 12) & 1023) * 4;
        wr(pte, pa | leaf, 4);
        return pte;
    }

    // --- accesses that may fault
    template <class F> Fault run(F &&f)
    {
        Fault r{};
        if (setjmp(c.fault_jmp) == 0) {
            f();
            r.faulted = false;
        } else {
            r.faulted = true;
            r.vec = c.fault_vector;
            r.ec = c.fault_error;
            r.cr2 = c.cr2;
        }
        return r;
    }
    Fault read(uint64_t lin, unsigned size = 8, unsigned acc = ACC_READ, uint64_t *out = nullptr)
    {
        return run([&] {
            uint64_t v = mmu_read(&c, lin, size, acc);
            if (out)
                *out = v;
        });
    }
    Fault write(uint64_t lin, uint64_t v, unsigned size = 8, unsigned acc = ACC_WRITE)
    {
        return run([&] { mmu_write(&c, lin, v, size, acc); });
    }
    Fault fetch(uint64_t lin, uint64_t *pa = nullptr)
    {
        return run([&] {
            uint64_t p = mmu_fetch_pa(&c, lin);
            if (pa)
                *pa = p;
        });
    }
    uint64_t rd_lin(uint64_t lin, unsigned size = 8)
    {
        uint64_t v = 0;
        Fault f = read(lin, size, ACC_READ, &v);
        EXPECT_FALSE(f.faulted) << "unexpected fault vec " << f.vec << " ec " << f.ec;
        return v;
    }
};

inline void expect_pf(const Fault &f, uint32_t ec, uint64_t cr2)
{
    EXPECT_TRUE(f.faulted);
    EXPECT_EQ(f.vec, VEC_PF);
    EXPECT_EQ(f.ec, ec);
    EXPECT_EQ(f.cr2, cr2);
}

}  // namespace mmutest

#endif
