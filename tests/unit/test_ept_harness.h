// test_ept_harness.h — hand-built EPT paging structures (SDM Vol. 3 29.3.2, Tables 29-1 to 29-6)
// in the RAM of the MMU test machine (test_mmu_harness.h), with the default CPU model (whose
// IA32_VMX_EPT_VPID_CAP offers execute-only pages, 2 MiB and 1 GiB pages and A/D flags), and a way
// to put the MMU in "VMX non-root operation" with chosen controls without a VM entry: the VMCS
// cache fields the MMU reads are written directly and mmu_vmx_switch is called, as VM entry does.
//
// Memory map: guest page tables (Mach::alloc) from 1 MiB, EPT structures from 8 MiB, data pages
// below 1 MiB and from 16 MiB.
#ifndef HVSIM_TEST_EPT_HARNESS_H
#define HVSIM_TEST_EPT_HARNESS_H

#include "cpu/vmx.h"
#include "mmu/ept.h"
#include "mmu/tlb.h"
#include "tests/unit/test_mmu_harness.h"

namespace epttest {

using namespace mmutest;

// EPT entry bits (Table 29-x): rights 2:0, memory type 5:3 (6 = WB), PS 7, A 8, D 9.
constexpr uint64_t ER = 1, EW = 2, EX = 4, ERWX = 7, WB = 6ull << 3, EPS = 0x80, EA = 0x100,
                   ED = 0x200;
constexpr uint64_t EPTP_WB4 = 6 | (3 << 3);     // WB, page-walk length 4

struct EptMach : Mach {
    uint64_t next_ept = 0x800000;
    uint64_t eptp = 0;

    explicit EptMach(const struct cpu_model *m = model_default()) : Mach(32ull << 20, m)
    {
        init();
        c.delivering = -1;          // no event delivery in progress (as cpu_init leaves it)
        eptp = ept_alloc() | EPTP_WB4;
    }
    uint64_t ept_alloc()
    {
        uint64_t p = next_ept;
        next_ept += 0x1000;
        memset(bus.ram + p, 0, 4096);
        return p;
    }
    // Map gpa -> hpa with a leaf at level `shift` (12, 21, 30) of the EPT rooted at `root`;
    // intermediate entries get `upper`. Returns the physical address of the leaf entry.
    uint64_t ept_map(uint64_t gpa, uint64_t hpa, uint64_t leaf, unsigned shift = 12,
                     uint64_t upper = ERWX, uint64_t root = 0)
    {
        uint64_t table = (root ? root : eptp) & ADDR;
        for (unsigned s = 39; s > shift; s -= 9) {
            uint64_t ea = table + ((gpa >> s) & 511) * 8;
            uint64_t e = rd(ea);
            if (!(e & 7)) {
                e = ept_alloc() | upper;
                wr(ea, e);
            }
            table = e & ADDR;
        }
        uint64_t ea = table + ((gpa >> shift) & 511) * 8;
        wr(ea, hpa | leaf | (shift > 12 ? EPS : 0));
        return ea;
    }
    // Identity-map [0, len) with 4 KiB RWX WB pages (guest tables and data need it).
    void ept_identity(uint64_t from, uint64_t len, uint64_t root = 0)
    {
        for (uint64_t a = from; a < from + len; a += 0x1000)
            ept_map(a, a, ERWX | WB, 12, ERWX, root);
    }
    // Physical address of the EPT entry at level `shift` for gpa.
    uint64_t ept_entry(uint64_t gpa, unsigned shift, uint64_t root = 0) const
    {
        uint64_t table = (root ? root : eptp) & ADDR;
        for (unsigned s = 39;; s -= 9) {
            uint64_t ea = table + ((gpa >> s) & 511) * 8;
            if (s == shift)
                return ea;
            table = rd(ea) & ADDR;
        }
    }
    // VMX non-root operation with these secondary controls (and VPID, EPTP, APIC-access page).
    void nonroot(uint32_t proc2, uint16_t vpid = 0, uint64_t ept_pointer = 0,
                 uint64_t apic_page = 0)
    {
        c.vmx.on = true;
        c.vmx.vmcs_ptr = 0x7000;
        c.vmx.vmcs[VMCS_PROC_CONTROLS] = VMX_PROC_SECONDARY;
        c.vmx.vmcs[VMCS_PROC_CONTROLS2] = proc2;
        c.vmx.vmcs[VMCS_VPID] = vpid;
        c.vmx.vmcs[VMCS_EPT_POINTER] = ept_pointer ? ept_pointer : eptp;
        c.vmx.vmcs[VMCS_APIC_ACCESS_ADDR] = apic_page;
        c.vmx.nonroot = true;
        mmu_vmx_switch(&c);
    }
    void root()
    {
        c.vmx.nonroot = false;
        mmu_vmx_switch(&c);
    }
    // The walker alone.
    enum ept_status walk(uint64_t gpa, unsigned acc, struct ept_out *o,
                         unsigned flags = EPTW_COUNT | EPTW_COMMIT, uint64_t pointer = 0)
    {
        return ept_walk(&c, pointer ? pointer : eptp, gpa, acc, flags, o);
    }
    // An access that ended in a VM exit (vmx_exit_raise records it and longjmps like a fault).
    static bool is_exit(const Fault &f) { return f.faulted && f.vec == FAULT_VMEXIT; }
    const struct vmx_exit_req &exit_req() const { return c.vmx.exit_req; }
};

// A copy of the default model with some IA32_VMX_EPT_VPID_CAP bits cleared.
inline struct cpu_model model_without(uint64_t cap_bits)
{
    struct cpu_model m = *model_default();
    m.vmx.ept_vpid_cap &= ~cap_bits;
    return m;
}

}  // namespace epttest

#endif
