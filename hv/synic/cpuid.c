/* cpuid.c — the hypervisor CPUID leaves 0x40000000-0x400000FF (TLFS 2.4 "Hypervisor
 * Discovery", 2.4.2-2.4.9; ../shared/design/HYPERV-REFERENCE.md "CPUID").
 *
 * Invariants: every value is a function of the calling VP's partition (its privilege mask) and of
 * constants, never of host state, so a partition always sees the same leaves; leaves above the
 * maximum we report read as zero.
 */
#include "hv/abi/tlfs.h"
#include "hv/hv_svc.h"
#include "hv/part/part.h"

#define HV_VERSION_BUILD 1            /* 0x40000002 EAX: build number */
#define HV_VERSION_MAJOR_MINOR 0x00010000u   /* EBX: major 1, minor 0 */

int synic_cpuid(struct hv_vp *vp, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    (void)subleaf;
    if (leaf < 0x40000000u || leaf > 0x400000FFu)
        return 0;
    out[0] = out[1] = out[2] = out[3] = 0;
    uint64_t priv = vp->part->privileges;
    switch (leaf) {
    case HYPERV_CPUID_VENDOR_AND_MAX_FUNCTIONS:     /* TLFS 2.4.1 */
        out[0] = HYPERV_CPUID_MAX_LEAF;
        out[1] = HYPERV_CPUID_SIGNATURE_EBX;
        out[2] = HYPERV_CPUID_SIGNATURE_ECX;
        out[3] = HYPERV_CPUID_SIGNATURE_EDX;
        break;
    case HYPERV_CPUID_INTERFACE:                    /* 2.4.2: "Hv#1" */
        out[0] = HYPERV_CPUID_INTERFACE_HV1;
        break;
    case HYPERV_CPUID_VERSION:                      /* 2.4.3 */
        out[0] = HV_VERSION_BUILD;
        out[1] = HV_VERSION_MAJOR_MINOR;
        break;
    case HYPERV_CPUID_FEATURES:                     /* 2.4.4: the privilege mask; EDX features */
        out[0] = (uint32_t)priv;
        out[1] = (uint32_t)(priv >> 32);
        out[3] = HV_STIMER_DIRECT_MODE_AVAILABLE |  /* synthetic timers in direct mode */
                 HV_FEATURE_FREQUENCY_MSRS_AVAILABLE;   /* TSC / APIC frequency MSRs */
        break;
    case HYPERV_CPUID_ENLIGHTMENT_INFO:             /* 2.4.5 */
        out[0] = HV_DEPRECATING_AEOI_RECOMMENDED;
        if (priv & HV_MSR_APIC_ACCESS_AVAILABLE)    /* the EOI/ICR/TPR MSRs: one WRMSR exit,
                                                     * no MMIO decoding (hv/vapic) */
            out[0] |= HV_X64_APIC_ACCESS_RECOMMENDED;
        out[1] = 0xFFFFFFFFu;       /* spinlock retries before notifying: never */
        break;
    case HYPERV_CPUID_IMPLEMENT_LIMITS:             /* 2.4.6 */
        out[0] = HV_MAX_VPS;        /* virtual processors per partition */
        out[1] = HV_MAX_LPS;        /* logical processors */
        break;
    case HYPERV_CPUID_HARDWARE_FEATURES:            /* 2.4.7: MSR bitmaps, SLAT (EPT) in use */
        out[0] = HV_X64_HW_MSR_BITMAPS | HV_X64_HW_SLAT;
        break;
    default:
        break;
    }
    return 1;
}
