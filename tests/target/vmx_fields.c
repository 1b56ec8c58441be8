/* vmx_fields.c — VMCS fields from the inside: which fields exist, their widths through VMREAD and
 * VMWRITE (full and high access), read-only fields, unsupported encodings, IA32_VMX_VMCS_ENUM.
 *
 * Expected values (SDM Vol. 3): the encoding layout (24.11.2, Table 24-21: access type bit 0,
 * index 9:1, type 11:10, width 14:13); which fields exist (Appendix B: "exists only on processors
 * that support the 1-setting of ..."), decided here from the capability MSRs (Appendix A), never
 * from the simulator's table; VMREAD/VMWRITE (30.3): a field narrower than the operand is
 * zero-extended on read and truncated on write, the high access (bit 0 = 1) of a 64-bit field is
 * its bits 63:32, a natural-width field is 64 bits in 64-bit mode; an encoding that names no
 * field fails with error 12; VMWRITE to a read-only (VM-exit information) field succeeds if
 * IA32_VMX_MISC[29] = 1, else fails with error 13; IA32_VMX_VMCS_ENUM[9:1] is the highest index
 * of any existing field (A.9). Access-rights fields may drop their reserved bits 11:8 and 31:17
 * (24.4.1 note; kvm-unit-tests accepts both), so those are compared under the mask 1F0FFH.
 */
#include "lib/vmx_lib.h"

enum gate { G_ALWAYS, G_PIN, G_PROC, G_PROC2, G_EXIT, G_ENTRY, G_ENTRY_EXIT, G_CR3T, G_EPTPL };
struct field { uint16_t enc; uint8_t gate; uint32_t bit; uint32_t bit2; };

/* Appendix B, every field of the SDM up to the TSC multiplier and the tertiary controls. */
static const struct field fields[] = {
    { 0x0000, G_PROC2, 1u << 5, 0 },            /* VPID */
    { 0x0002, G_PIN, 1u << 7, 0 },              /* posted-interrupt notification vector */
    { 0x0004, G_PROC2, 1u << 18, 0 },           /* EPTP index */
    { 0x0800, G_ALWAYS, 0, 0 }, { 0x0802, G_ALWAYS, 0, 0 }, { 0x0804, G_ALWAYS, 0, 0 },
    { 0x0806, G_ALWAYS, 0, 0 }, { 0x0808, G_ALWAYS, 0, 0 }, { 0x080a, G_ALWAYS, 0, 0 },
    { 0x080c, G_ALWAYS, 0, 0 }, { 0x080e, G_ALWAYS, 0, 0 },
    { 0x0810, G_PROC2, 1u << 9, 0 },            /* guest interrupt status */
    { 0x0812, G_PROC2, 1u << 17, 0 },           /* PML index */
    { 0x0c00, G_ALWAYS, 0, 0 }, { 0x0c02, G_ALWAYS, 0, 0 }, { 0x0c04, G_ALWAYS, 0, 0 },
    { 0x0c06, G_ALWAYS, 0, 0 }, { 0x0c08, G_ALWAYS, 0, 0 }, { 0x0c0a, G_ALWAYS, 0, 0 },
    { 0x0c0c, G_ALWAYS, 0, 0 },
    { 0x2000, G_ALWAYS, 0, 0 }, { 0x2002, G_ALWAYS, 0, 0 }, { 0x2004, G_ALWAYS, 0, 0 },
    { 0x2006, G_ALWAYS, 0, 0 }, { 0x2008, G_ALWAYS, 0, 0 }, { 0x200a, G_ALWAYS, 0, 0 },
    { 0x200c, G_ALWAYS, 0, 0 },
    { 0x200e, G_PROC2, 1u << 17, 0 },           /* PML address */
    { 0x2010, G_ALWAYS, 0, 0 },                 /* TSC offset */
    { 0x2012, G_PROC, 1u << 21, 0 },            /* virtual-APIC address */
    { 0x2014, G_PROC2, 1u << 0, 0 },            /* APIC-access address */
    { 0x2016, G_PIN, 1u << 7, 0 },              /* posted-interrupt descriptor */
    { 0x2018, G_PROC2, 1u << 13, 0 },           /* VM-function controls */
    { 0x201a, G_PROC2, 1u << 1, 0 },            /* EPTP */
    { 0x201c, G_PROC2, 1u << 9, 0 }, { 0x201e, G_PROC2, 1u << 9, 0 },
    { 0x2020, G_PROC2, 1u << 9, 0 }, { 0x2022, G_PROC2, 1u << 9, 0 },   /* EOI-exit bitmaps */
    { 0x2024, G_EPTPL, 0, 0 },                  /* EPTP-list address */
    { 0x2026, G_PROC2, 1u << 14, 0 }, { 0x2028, G_PROC2, 1u << 14, 0 }, /* VMREAD/VMWRITE bitmaps */
    { 0x202a, G_PROC2, 1u << 18, 0 },           /* #VE information address */
    { 0x202c, G_PROC2, 1u << 20, 0 },           /* XSS-exiting bitmap */
    { 0x202e, G_PROC2, 1u << 15, 0 },           /* ENCLS-exiting bitmap */
    { 0x2032, G_PROC2, 1u << 25, 0 },           /* TSC multiplier */
    { 0x2034, G_PROC, 1u << 17, 0 },            /* tertiary processor-based controls */
    { 0x2400, G_PROC2, 1u << 1, 0 },            /* guest-physical address */
    { 0x2800, G_ALWAYS, 0, 0 }, { 0x2802, G_ALWAYS, 0, 0 },
    { 0x2804, G_ENTRY_EXIT, 1u << 14, 1u << 18 },   /* guest PAT */
    { 0x2806, G_ENTRY_EXIT, 1u << 15, 1u << 20 },   /* guest EFER */
    { 0x2808, G_ENTRY, 1u << 13, 0 },           /* guest PERF_GLOBAL_CTRL */
    { 0x280a, G_PROC2, 1u << 1, 0 }, { 0x280c, G_PROC2, 1u << 1, 0 },
    { 0x280e, G_PROC2, 1u << 1, 0 }, { 0x2810, G_PROC2, 1u << 1, 0 },   /* PDPTEs */
    { 0x2812, G_ENTRY_EXIT, 1u << 16, 1u << 23 },   /* guest BNDCFGS */
    { 0x2c00, G_EXIT, 1u << 19, 0 },            /* host PAT */
    { 0x2c02, G_EXIT, 1u << 21, 0 },            /* host EFER */
    { 0x2c04, G_EXIT, 1u << 12, 0 },            /* host PERF_GLOBAL_CTRL */
    { 0x4000, G_ALWAYS, 0, 0 }, { 0x4002, G_ALWAYS, 0, 0 }, { 0x4004, G_ALWAYS, 0, 0 },
    { 0x4006, G_ALWAYS, 0, 0 }, { 0x4008, G_ALWAYS, 0, 0 }, { 0x400a, G_ALWAYS, 0, 0 },
    { 0x400c, G_ALWAYS, 0, 0 }, { 0x400e, G_ALWAYS, 0, 0 }, { 0x4010, G_ALWAYS, 0, 0 },
    { 0x4012, G_ALWAYS, 0, 0 }, { 0x4014, G_ALWAYS, 0, 0 }, { 0x4016, G_ALWAYS, 0, 0 },
    { 0x4018, G_ALWAYS, 0, 0 }, { 0x401a, G_ALWAYS, 0, 0 },
    { 0x401c, G_PROC, 1u << 21, 0 },            /* TPR threshold */
    { 0x401e, G_PROC, 1u << 31, 0 },            /* secondary controls */
    { 0x4020, G_PROC2, 1u << 10, 0 }, { 0x4022, G_PROC2, 1u << 10, 0 },  /* PLE gap, window */
    { 0x4400, G_ALWAYS, 0, 0 }, { 0x4402, G_ALWAYS, 0, 0 }, { 0x4404, G_ALWAYS, 0, 0 },
    { 0x4406, G_ALWAYS, 0, 0 }, { 0x4408, G_ALWAYS, 0, 0 }, { 0x440a, G_ALWAYS, 0, 0 },
    { 0x440c, G_ALWAYS, 0, 0 }, { 0x440e, G_ALWAYS, 0, 0 },
    { 0x4800, G_ALWAYS, 0, 0 }, { 0x4802, G_ALWAYS, 0, 0 }, { 0x4804, G_ALWAYS, 0, 0 },
    { 0x4806, G_ALWAYS, 0, 0 }, { 0x4808, G_ALWAYS, 0, 0 }, { 0x480a, G_ALWAYS, 0, 0 },
    { 0x480c, G_ALWAYS, 0, 0 }, { 0x480e, G_ALWAYS, 0, 0 }, { 0x4810, G_ALWAYS, 0, 0 },
    { 0x4812, G_ALWAYS, 0, 0 }, { 0x4814, G_ALWAYS, 0, 0 }, { 0x4816, G_ALWAYS, 0, 0 },
    { 0x4818, G_ALWAYS, 0, 0 }, { 0x481a, G_ALWAYS, 0, 0 }, { 0x481c, G_ALWAYS, 0, 0 },
    { 0x481e, G_ALWAYS, 0, 0 }, { 0x4820, G_ALWAYS, 0, 0 }, { 0x4822, G_ALWAYS, 0, 0 },
    { 0x4824, G_ALWAYS, 0, 0 }, { 0x4826, G_ALWAYS, 0, 0 }, { 0x4828, G_ALWAYS, 0, 0 },
    { 0x482a, G_ALWAYS, 0, 0 },
    { 0x482e, G_PIN, 1u << 6, 0 },              /* VMX-preemption timer value */
    { 0x4c00, G_ALWAYS, 0, 0 },
    { 0x6000, G_ALWAYS, 0, 0 }, { 0x6002, G_ALWAYS, 0, 0 }, { 0x6004, G_ALWAYS, 0, 0 },
    { 0x6006, G_ALWAYS, 0, 0 },
    { 0x6008, G_CR3T, 0, 0 }, { 0x600a, G_CR3T, 1, 0 }, { 0x600c, G_CR3T, 2, 0 },
    { 0x600e, G_CR3T, 3, 0 },
    { 0x6400, G_ALWAYS, 0, 0 }, { 0x6402, G_ALWAYS, 0, 0 }, { 0x6404, G_ALWAYS, 0, 0 },
    { 0x6406, G_ALWAYS, 0, 0 }, { 0x6408, G_ALWAYS, 0, 0 }, { 0x640a, G_ALWAYS, 0, 0 },
    { 0x6800, G_ALWAYS, 0, 0 }, { 0x6802, G_ALWAYS, 0, 0 }, { 0x6804, G_ALWAYS, 0, 0 },
    { 0x6806, G_ALWAYS, 0, 0 }, { 0x6808, G_ALWAYS, 0, 0 }, { 0x680a, G_ALWAYS, 0, 0 },
    { 0x680c, G_ALWAYS, 0, 0 }, { 0x680e, G_ALWAYS, 0, 0 }, { 0x6810, G_ALWAYS, 0, 0 },
    { 0x6812, G_ALWAYS, 0, 0 }, { 0x6814, G_ALWAYS, 0, 0 }, { 0x6816, G_ALWAYS, 0, 0 },
    { 0x6818, G_ALWAYS, 0, 0 }, { 0x681a, G_ALWAYS, 0, 0 }, { 0x681c, G_ALWAYS, 0, 0 },
    { 0x681e, G_ALWAYS, 0, 0 }, { 0x6820, G_ALWAYS, 0, 0 }, { 0x6822, G_ALWAYS, 0, 0 },
    { 0x6824, G_ALWAYS, 0, 0 }, { 0x6826, G_ALWAYS, 0, 0 },
    { 0x6c00, G_ALWAYS, 0, 0 }, { 0x6c02, G_ALWAYS, 0, 0 }, { 0x6c04, G_ALWAYS, 0, 0 },
    { 0x6c06, G_ALWAYS, 0, 0 }, { 0x6c08, G_ALWAYS, 0, 0 }, { 0x6c0a, G_ALWAYS, 0, 0 },
    { 0x6c0c, G_ALWAYS, 0, 0 }, { 0x6c0e, G_ALWAYS, 0, 0 }, { 0x6c10, G_ALWAYS, 0, 0 },
    { 0x6c12, G_ALWAYS, 0, 0 }, { 0x6c14, G_ALWAYS, 0, 0 }, { 0x6c16, G_ALWAYS, 0, 0 },
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static uint64_t cap_pin, cap_proc, cap_proc2, cap_exit, cap_entry, misc;

static int allowed1(uint64_t cap, uint32_t bit) { return ((cap >> 32) & bit) != 0; }

static int field_exists(const struct field *f)
{
    switch (f->gate) {
    case G_ALWAYS: return 1;
    case G_PIN: return allowed1(cap_pin, f->bit);
    case G_PROC: return allowed1(cap_proc, f->bit);
    case G_PROC2: return allowed1(cap_proc2, f->bit);
    case G_EXIT: return allowed1(cap_exit, f->bit);
    case G_ENTRY: return allowed1(cap_entry, f->bit);
    case G_ENTRY_EXIT: return allowed1(cap_entry, f->bit) || allowed1(cap_exit, f->bit2);
    case G_CR3T: return ((misc >> 16) & 0x1ff) > f->bit;
    case G_EPTPL:
        return allowed1(cap_proc2, 1u << 13) && (rdmsr(MSR_VMX_VMFUNC) & 1);
    }
    return 0;
}

static uint64_t width_mask(uint16_t enc)
{
    switch ((enc >> 13) & 3) {
    case 0: return 0xffff;
    case 2: return 0xffffffffull;
    default: return ~0ull;          /* 64-bit, natural width in 64-bit mode */
    }
}

static int is_ar(uint16_t enc) { return enc >= 0x4814 && enc <= 0x4822; }

/* VMREAD into a register that holds `init` beforehand: the upper bits must be cleared. */
static int vmread_pre(uint64_t enc, uint64_t init, uint64_t *v)
{
    uint64_t fl, val = init;
    __asm__ volatile("vmread %2, %1; pushfq; popq %0" : "=r"(fl), "+r"(val) : "r"(enc) : "cc");
    *v = val;
    return vmx_result(fl);
}

static int vmread_mem(uint64_t enc, uint64_t *m)
{
    uint64_t fl;
    __asm__ volatile("vmread %2, %1; pushfq; popq %0" : "=r"(fl), "=m"(*m) : "r"(enc) : "cc");
    return vmx_result(fl);
}

static int vmwrite_mem(uint64_t enc, const uint64_t *m)
{
    uint64_t fl;
    __asm__ volatile("vmwrite %2, %1; pushfq; popq %0" : "=r"(fl) : "r"(enc), "m"(*m) : "cc");
    return vmx_result(fl);
}

int main(void)
{
    t_begin("vmx_fields");
    if (vmx_enable() != VMX_OK)
        return t_check(0, "VMXON", "failed"), t_finish();
    int tru = (int)((vmx_basic_msr >> 55) & 1);
    cap_pin = rdmsr(tru ? MSR_VMX_TRUE_PINBASED : MSR_VMX_PINBASED);
    cap_proc = rdmsr(tru ? MSR_VMX_TRUE_PROCBASED : MSR_VMX_PROCBASED);
    cap_proc2 = (rdmsr(MSR_VMX_PROCBASED) >> 63) ? rdmsr(MSR_VMX_PROCBASED2) : 0;
    cap_exit = rdmsr(tru ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
    cap_entry = rdmsr(tru ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
    misc = rdmsr(MSR_VMX_MISC);
    int ro_writable = (int)((misc >> 29) & 1);

    uint64_t v;
    t_eq("VMREAD without a current VMCS: VMfailInvalid", (uint64_t)vmread_r(0x4402, &v),
         VMX_FAIL_INVALID);
    memset(vmx_vmcs, 0, sizeof vmx_vmcs);
    *(uint32_t *)vmx_vmcs = (uint32_t)vmx_basic_msr & 0x7fffffffu;
    vmclear_r(va_pa(vmx_vmcs));
    t_eq("VMPTRLD", (uint64_t)vmptrld_r(va_pa(vmx_vmcs)), VMX_OK);

    /* every field: existence, all-ones round trip at the field's width */
    unsigned n_exist = 0, n_absent = 0, bad_exist = 0, bad_width = 0, bad_ro = 0;
    unsigned max_index = 0;
    for (unsigned k = 0; k < NFIELDS; k++) {
        const struct field *f = &fields[k];
        int ex = field_exists(f);
        int rr = vmread_r(f->enc, &v);
        if (!ex) {
            n_absent++;
            uint64_t e = 0;
            vmread_r(F_INSN_ERROR, &e);
            if (rr != VMX_FAIL_VALID || e != 12) {
                if (bad_exist++ < 8)
                    tprintf("# field %04x should not exist: VMREAD outcome %d error %llu\n",
                            f->enc, rr, (unsigned long long)e);
            }
            continue;
        }
        n_exist++;
        unsigned idx = (f->enc >> 1) & 0x1ff;
        if (idx > max_index)
            max_index = idx;
        if (rr != VMX_OK) {
            if (bad_exist++ < 8)
                tprintf("# field %04x should exist: VMREAD outcome %d\n", f->enc, rr);
            continue;
        }
        int ro = ((f->enc >> 10) & 3) == 1;
        int wr = vmwrite_r(f->enc, ~0ull);
        if (ro && !ro_writable) {
            uint64_t e = 0;
            vmread_r(F_INSN_ERROR, &e);
            if (wr != VMX_FAIL_VALID || e != 13)
                if (bad_ro++ < 8)
                    tprintf("# read-only field %04x: VMWRITE outcome %d error %llu\n", f->enc,
                            wr, (unsigned long long)e);
            continue;
        }
        if (wr != VMX_OK) {
            if (bad_ro++ < 8)
                tprintf("# field %04x: VMWRITE outcome %d\n", f->enc, wr);
            continue;
        }
        vmread_pre(f->enc, 0x5555555555555555ull, &v);
        uint64_t want = width_mask(f->enc);
        if (!(v == want || (is_ar(f->enc) && v == 0x1f0ff)))
            if (bad_width++ < 8)
                tprintf("# field %04x: read back 0x%llx after writing all ones, want 0x%llx\n",
                        f->enc, (unsigned long long)v, (unsigned long long)want);
    }
    t_check(bad_exist == 0, "every field exists exactly if Appendix B's capability allows it",
            "%u mismatches (see # lines)", bad_exist);
    t_check(bad_width == 0, "every field reads back all ones truncated to its width",
            "%u mismatches", bad_width);
    t_check(bad_ro == 0, ro_writable ? "VMWRITE to read-only fields succeeds (MISC[29] = 1)"
                                     : "VMWRITE to read-only fields fails with error 13",
            "%u mismatches", bad_ro);
    tprintf("# %u fields exist, %u do not\n", n_exist, n_absent);
    t_eq("IA32_VMX_VMCS_ENUM[9:1] = highest index of an existing field",
         (rdmsr(MSR_VMX_VMCS_ENUM) >> 1) & 0x1ff, max_index);

    /* widths in detail */
    vmwrite(F_G_CS_SEL, 0x123456789abcdef0ull);
    t_eq("16-bit field: VMWRITE keeps bits 15:0", vmread(F_G_CS_SEL), 0xdef0);
    vmwrite(F_EXC_BITMAP, 0x123456789abcdef0ull);
    t_eq("32-bit field: VMWRITE keeps bits 31:0", vmread(F_EXC_BITMAP), 0x9abcdef0);
    vmread_pre(F_EXC_BITMAP, ~0ull, &v);
    t_eq("32-bit field: VMREAD zero-extends into the 64-bit register", v, 0x9abcdef0);
    vmwrite(F_TSC_OFFSET, 0x123456789abcdef0ull);
    t_eq("64-bit field: full access", vmread(F_TSC_OFFSET), 0x123456789abcdef0ull);
    t_eq("64-bit field: high access reads bits 63:32", vmread(F_TSC_OFFSET | 1), 0x12345678);
    vmwrite(F_TSC_OFFSET | 1, 0xfedcba9876543210ull);
    t_eq("64-bit field: high-access VMWRITE sets bits 63:32 only",
         vmread(F_TSC_OFFSET), 0x765432109abcdef0ull);
    vmwrite(F_G_RIP, 0xfedcba9876543210ull);
    t_eq("natural-width field: 64 bits in 64-bit mode", vmread(F_G_RIP), 0xfedcba9876543210ull);
    uint64_t m = 0x1122334455667788ull;
    t_eq("VMWRITE from memory", (uint64_t)vmwrite_mem(F_G_RSP, &m), VMX_OK);
    m = 0;
    t_eq("VMREAD to memory", (uint64_t)vmread_mem(F_G_RSP, &m), VMX_OK);
    t_eq("VMREAD to memory: value", m, 0x1122334455667788ull);
    m = ~0ull;
    vmread_mem(F_G_CS_SEL, &m);
    t_eq("VMREAD of a 16-bit field to memory writes 64 bits (zero-extended)", m, 0xdef0);

    /* unsupported encodings: error 12 */
    vmx_expect_error("VMREAD of the high access of a 32-bit field (4001H): error 12",
                     vmread_r(0x4001, &v), 12);
    vmx_expect_error("VMREAD of the high access of a natural-width field (6801H): error 12",
                     vmread_r(0x6801, &v), 12);
    vmx_expect_error("VMREAD with encoding bit 15 set: error 12", vmread_r(0x8802, &v), 12);
    vmx_expect_error("VMREAD with bits 63:32 set (64-bit mode): error 12",
                     vmread_r(0x100000802ull, &v), 12);
    vmx_expect_error("VMWRITE of an unused index (0x0c0e): error 12",
                     vmwrite_r(0x0c0e, 0), 12);
    vmx_expect_error("VMWRITE of the high access of a 16-bit field (0x0801): error 12",
                     vmwrite_r(0x0801, 0), 12);
    /* read-only fields */
    if (ro_writable) {
        t_eq("VMWRITE to the exit reason succeeds with MISC[29]",
             (uint64_t)vmwrite_r(F_EXIT_REASON, 0x1234), VMX_OK);
        t_eq("... and VMREAD returns it", vmread(F_EXIT_REASON), 0x1234);
        t_eq("VMWRITE to the exit qualification succeeds with MISC[29]",
             (uint64_t)vmwrite_r(F_EXIT_QUAL, 0xabc), VMX_OK);
    } else {
        vmx_expect_error("VMWRITE to the exit reason: error 13", vmwrite_r(F_EXIT_REASON, 1),
                         13);
    }
    /* the VM-instruction error field itself is read-only data: after a successful VMWRITE it
     * keeps the last error (30.4: only VMfailValid writes it) */
    vmwrite_r(0x0c0e, 0);
    vmwrite(F_G_RSP, 1);
    t_eq("a successful VMWRITE leaves the VM-instruction error field", vmread(F_INSN_ERROR), 12);

    /* the cache and the region: VMCLEAR writes the fields back, VMPTRLD reads them again */
    vmwrite(F_G_RSP, 0x4242);
    t_eq("VMCLEAR of the current VMCS", (uint64_t)vmclear_r(va_pa(vmx_vmcs)), VMX_OK);
    t_eq("VMREAD after VMCLEAR of the current VMCS: VMfailInvalid",
         (uint64_t)vmread_r(F_G_RSP, &v), VMX_FAIL_INVALID);
    vmptrld_r(va_pa(vmx_vmcs));
    t_eq("fields survive VMCLEAR + VMPTRLD", vmread(F_G_RSP), 0x4242);
    vmxoff_r();
    return t_finish();
}
