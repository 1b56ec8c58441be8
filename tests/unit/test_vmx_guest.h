// test_vmx_guest.h — a processor in VMX non-root operation for the intercept tests: the VMX test
// machine (test_vmx_harness.h) in 64-bit mode, VMXON and a current VMCS, and a guest that runs
// `guest` code with the same address space, descriptor tables and stack as the host (a flat
// 64-bit guest, as a hypervisor sets up a first guest), entered by VMLAUNCH as software would.
//
// Memory map (beyond test_vmx_harness.h): 0x18000 guest code (followed by VMCALL, which exits
// with reason 18 if nothing before it did), 0x7800 guest stack top, 0x40000 / 0x41000 I/O bitmaps
// A / B, 0x42000 MSR bitmap, 0x43000 virtual-APIC page (all zero unless a test sets bits).
// Host code at CODE is `VMLAUNCH; HLT`, HOST_RIP is that HLT: launch() returns -1 when the host
// got back (VM exit, or VMfail: see exited()), or the vector whose handler HLT a faulting guest
// (or host) reached.
#ifndef HVSIM_TEST_VMX_GUEST_H
#define HVSIM_TEST_VMX_GUEST_H

#include "cpu/vmx_intercept.h"
#include "tests/unit/test_vmx_harness.h"

namespace vmxguest {

using vmxtest::VmxMachine;

constexpr uint64_t GCODE = 0x18000, GSTACK = 0x7800;
constexpr uint64_t IOA = 0x40000, IOB = 0x41000, MSRBM = 0x42000, VAPIC = 0x43000;

// VM-entry / VM-exit controls this harness needs (SDM 24.7.1, 24.8.1).
constexpr uint32_t EXIT_HOST_64 = 1u << 9, EXIT_SAVE_EFER = 1u << 20, EXIT_LOAD_EFER = 1u << 21;
constexpr uint32_t ENTRY_IA32E = 1u << 9, ENTRY_LOAD_EFER = 1u << 15;

struct GuestMachine : VmxMachine {
    uint32_t proc = 0, proc2 = 0;    // requested processor-based controls (beyond the default1)

    GuestMachine() : VmxMachine(systest::M64) { enter_with_vmcs(); }

    uint64_t &f(enum vmcs_field k) { return c.vmx.vmcs[k]; }

    // The allowed-0 settings (bits that must be 1) of a TRUE capability MSR (A.3-A.5).
    uint32_t must1(uint32_t msr)
    {
        uint64_t v = 0;
        EXPECT_TRUE(vmx_msr_read(&c, msr, &v));
        return (uint32_t)v;
    }

    static void seg_fields(uint64_t *v, int sel, int lim, int ar, int base, const struct segment &s)
    {
        v[sel] = s.sel;
        v[lim] = s.limit;
        v[ar] = s.ar;
        v[base] = s.base;
    }

    // The VMCS: guest state = the current (host) state with the guest's RIP and stack; host state
    // = the current state with HOST_RIP at the HLT after VMLAUNCH; controls = the default1 bits
    // plus the requested ones.
    void setup_vmcs()
    {
        uint64_t *v = c.vmx.vmcs;
        v[VMCS_PIN_CONTROLS] = must1(MSR_VMX_TRUE_PINBASED_CTLS);
        v[VMCS_PROC_CONTROLS] = must1(MSR_VMX_TRUE_PROCBASED_CTLS) | proc |
                                (proc2 ? VMX_PROC_SECONDARY : 0);
        v[VMCS_PROC_CONTROLS2] = proc2;
        v[VMCS_EXIT_CONTROLS] = must1(MSR_VMX_TRUE_EXIT_CTLS) | EXIT_HOST_64 | EXIT_SAVE_EFER |
                                EXIT_LOAD_EFER;
        v[VMCS_ENTRY_CONTROLS] = must1(MSR_VMX_TRUE_ENTRY_CTLS) | ENTRY_IA32E | ENTRY_LOAD_EFER;
        v[VMCS_IO_BITMAP_A] = IOA;
        v[VMCS_IO_BITMAP_B] = IOB;
        v[VMCS_MSR_BITMAP] = MSRBM;
        v[VMCS_VIRTUAL_APIC_ADDR] = VAPIC;
        v[VMCS_VMCS_LINK_PTR] = ~0ull;
        // guest state (24.4)
        v[VMCS_GUEST_CR0] = c.cr0;
        v[VMCS_GUEST_CR3] = c.cr3;
        v[VMCS_GUEST_CR4] = c.cr4;
        v[VMCS_GUEST_DR7] = 0x400;
        v[VMCS_GUEST_RSP] = GSTACK;
        v[VMCS_GUEST_RIP] = GCODE;
        v[VMCS_GUEST_RFLAGS] = 2;
        v[VMCS_GUEST_EFER] = c.msr.efer;
        const int segs[6][4] = {
            { VMCS_GUEST_ES_SEL, VMCS_GUEST_ES_LIMIT, VMCS_GUEST_ES_AR, VMCS_GUEST_ES_BASE },
            { VMCS_GUEST_CS_SEL, VMCS_GUEST_CS_LIMIT, VMCS_GUEST_CS_AR, VMCS_GUEST_CS_BASE },
            { VMCS_GUEST_SS_SEL, VMCS_GUEST_SS_LIMIT, VMCS_GUEST_SS_AR, VMCS_GUEST_SS_BASE },
            { VMCS_GUEST_DS_SEL, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_DS_AR, VMCS_GUEST_DS_BASE },
            { VMCS_GUEST_FS_SEL, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_FS_AR, VMCS_GUEST_FS_BASE },
            { VMCS_GUEST_GS_SEL, VMCS_GUEST_GS_LIMIT, VMCS_GUEST_GS_AR, VMCS_GUEST_GS_BASE },
        };
        for (int s = 0; s < 6; s++)
            seg_fields(v, segs[s][0], segs[s][1], segs[s][2], segs[s][3], c.seg[s]);
        seg_fields(v, VMCS_GUEST_LDTR_SEL, VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_LDTR_AR,
                   VMCS_GUEST_LDTR_BASE, c.ldtr);
        v[VMCS_GUEST_LDTR_AR] |= AR_UNUSABLE;
        seg_fields(v, VMCS_GUEST_TR_SEL, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_TR_AR,
                   VMCS_GUEST_TR_BASE, c.tr);
        v[VMCS_GUEST_GDTR_BASE] = c.gdtr.base;
        v[VMCS_GUEST_GDTR_LIMIT] = c.gdtr.limit;
        v[VMCS_GUEST_IDTR_BASE] = c.idtr.base;
        v[VMCS_GUEST_IDTR_LIMIT] = c.idtr.limit;
        // host state (24.5)
        v[VMCS_HOST_CR0] = c.cr0;
        v[VMCS_HOST_CR3] = c.cr3;
        v[VMCS_HOST_CR4] = c.cr4;
        v[VMCS_HOST_CS_SEL] = systest::K_CS64;
        v[VMCS_HOST_SS_SEL] = v[VMCS_HOST_DS_SEL] = v[VMCS_HOST_ES_SEL] = systest::K_DS;
        v[VMCS_HOST_FS_SEL] = v[VMCS_HOST_GS_SEL] = 0;
        v[VMCS_HOST_TR_SEL] = systest::TSS_SEL;
        v[VMCS_HOST_TR_BASE] = c.tr.base;
        v[VMCS_HOST_GDTR_BASE] = c.gdtr.base;
        v[VMCS_HOST_IDTR_BASE] = c.idtr.base;
        v[VMCS_HOST_EFER] = c.msr.efer;
        v[VMCS_HOST_RSP] = systest::STACK;
        v[VMCS_HOST_RIP] = systest::CODE + 3;      // the HLT after VMLAUNCH
    }

    // Enter the guest with `guest` code (VMCALL appended) and run until the host's HLT or a
    // handler HLT. setup_vmcs() runs first; `tweak` may change fields after it.
    template <typename F>
    int launch(const std::vector<uint8_t> &guest, F tweak)
    {
        load({ 0x0f, 0x01, 0xc2 });                 // vmlaunch (then HLT at CODE + 3)
        std::vector<uint8_t> g = guest;
        g.insert(g.end(), { 0x0f, 0x01, 0xc1 });    // vmcall
        memcpy(bus.ram + GCODE, g.data(), g.size());
        dcache_code_write(&dc, GCODE, g.size());
        setup_vmcs();
        tweak(*this);
        return run();
    }
    int launch(const std::vector<uint8_t> &guest)
    {
        return launch(guest, [](GuestMachine &) {});
    }

    // True if the host is back in root operation after a VM exit (not a VMfail: RFLAGS is the
    // host's 2 after an exit, CF or ZF after VMfail).
    bool exited() { return !c.vmx.nonroot && (flags() & RF_ARITH) == 0; }
    uint32_t reason() { return (uint32_t)f(VMCS_EXIT_REASON); }
    uint64_t qual() { return f(VMCS_EXIT_QUALIFICATION); }
    uint64_t len() { return f(VMCS_EXIT_INSN_LEN); }
    uint64_t info() { return f(VMCS_EXIT_INSN_INFO); }
    uint64_t gla() { return f(VMCS_GUEST_LINEAR_ADDR); }
    uint64_t grip() { return f(VMCS_GUEST_RIP); }
};

}  // namespace vmxguest

#endif
