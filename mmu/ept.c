/* ept.c — extended page tables (SDM Vol. 3 29.3). See ept.h for the invariants. */
#include "mmu/ept.h"

#include "cpu/model.h"

/* SDM Vol. 3 27.2.1.1 "VM-Execution Control Fields", the EPTP checks. */
bool ept_eptp_valid(const struct cpu_model *m, uint64_t eptp)
{
    uint64_t cap = m->vmx.ept_vpid_cap;
    unsigned mt = EPTP_MEMTYPE(eptp);
    if (!((mt == 0 && (cap & EPTCAP_UC)) || (mt == 6 && (cap & EPTCAP_WB))))
        return false;
    if (EPTP_WALK_LEN(eptp) != 3 || !(cap & EPTCAP_WALK4))
        return false;
    if ((eptp & EPTP_AD) && !(cap & EPTCAP_AD))
        return false;
    if (eptp & EPTP_RSVD_LOW)
        return false;
    return (eptp >> m->max_phys_bits) == 0;
}
