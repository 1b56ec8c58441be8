/* hc_intercept.c — HvCallInstallIntercept (0x004D; TLFS "Intercepts"; input layout and type
 * values of Linux include/hyperv/hvgdk_mini.h hv_input_install_intercept) and the query the
 * CPUID exit makes (docs/HYPERVISOR.md "Hypercalls", "Intercepts").
 *
 * Rules (beyond the dispatcher's checks: CreatePartitions privilege, so the root only):
 *   - the partition must be a child of the caller (hc_child, never itself: the root's own exits
 *     have no one to go to) → else INVALID_PARTITION_ID; any live state;
 *   - access mask bits beyond READ | WRITE | EXECUTE → INVALID_PARAMETER;
 *   - X64_CPUID (2): the mask must be exactly EXECUTE; the parameter is the leaf (EAX), bits
 *     63:32 zero; the hypervisor's leaves 40000000H-400000FFH are refused (INVALID_PARAMETER:
 *     the TLFS interface is not the root's to answer); an already installed leaf is a success
 *     that changes nothing; a new leaf when HV_CPUID_INTERCEPT_MAX are installed → NO_RESOURCES
 *     (a fixed per-partition table: depositing memory would not help, so not
 *     INSUFFICIENT_MEMORY, which would make the root deposit and retry for ever);
 *   - X64_IO_PORT (0): the mask non-empty within READ | WRITE, the port in bits 15:0, 63:16
 *     zero; a success that changes nothing: every port access of a child is already an
 *     intercept to its parent (hv/vmx/exit.c: the child's I/O bitmaps are all ones);
 *   - X64_MSR (1): the mask non-empty within READ | WRITE, parameter 0; a success that changes
 *     nothing: every MSR access the hypervisor does not handle itself is already an intercept
 *     (hv/vmx/exit_insn.c msr_intercept), which is what this type means;
 *   - EXCEPTION (3): the mask exactly EXECUTE, the parameter a vector in bits 15:0 (63:16
 *     zero) among the architectural exceptions a guest can continue from: 0, 1, 3-7, 10-14,
 *     16, 17, 19-21 (SDM Vol. 3 6.15, table 6-1) — NMI (2: not an exception exit), #DF (8),
 *     #MC (18: the hypervisor's) and the reserved vectors are INVALID_PARAMETER; the vector's
 *     bit joins the partition's exception bitmap, which each of its VPs loads into its VMCS
 *     (SDM Vol. 3 25.2) with its context: at its start and at every resume from an intercept,
 *     so the root installs it before it starts the VP; installing twice is a success;
 *   - every other type → INVALID_PARAMETER.
 * Intercepts are never removed (the TLFS has no uninstall call); DeletePartition forgets them
 * (the partition slot is cleared).
 *
 * Invariants: the sets only grow (exception bits set, leaves appended), under the hypercall
 * lock; a leaf is stored before the count that covers it is released, so hv_cpuid_intercepted
 * (any LP, no lock) never sees a slot that is not written.
 */
#include "hv/hcall/hcall.h"
#include "krt/krt.h"

#define MASK_ALL (HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE | \
                  HV_INTERCEPT_ACCESS_MASK_EXECUTE)
#define MASK_RW (HV_INTERCEPT_ACCESS_MASK_READ | HV_INTERCEPT_ACCESS_MASK_WRITE)
/* vectors 0, 1, 3-7, 10-14, 16, 17, 19-21 (header) */
#define HV_EXC_INTERCEPTABLE 0x003B7CFBu

bool hv_cpuid_intercepted(const struct hv_partition *p, uint32_t leaf)
{
    uint32_t n = __atomic_load_n(&p->cpuid_icpt_n, __ATOMIC_ACQUIRE);
    if (n > HV_CPUID_INTERCEPT_MAX)
        n = HV_CPUID_INTERCEPT_MAX;
    for (uint32_t i = 0; i < n; i++)
        if (p->cpuid_icpt_leaf[i] == leaf)
            return true;
    return false;
}

static uint16_t install_cpuid(struct hv_partition *p, uint32_t access, uint64_t param)
{
    if (access != HV_INTERCEPT_ACCESS_MASK_EXECUTE || (param >> 32))
        return HV_STATUS_INVALID_PARAMETER;
    uint32_t leaf = (uint32_t)param;
    if (leaf >= 0x40000000u && leaf <= 0x400000FFu)
        return HV_STATUS_INVALID_PARAMETER;
    if (hv_cpuid_intercepted(p, leaf))
        return HV_STATUS_SUCCESS;
    uint32_t n = p->cpuid_icpt_n;
    if (n >= HV_CPUID_INTERCEPT_MAX)
        return HV_STATUS_NO_RESOURCES;
    p->cpuid_icpt_leaf[n] = leaf;
    __atomic_store_n(&p->cpuid_icpt_n, n + 1, __ATOMIC_RELEASE);
    return HV_STATUS_SUCCESS;
}

uint16_t hc_install_intercept(struct hc_ctx *x)
{
    struct hv_input_install_intercept in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, false, &p);
    if (st != HV_STATUS_SUCCESS)
        return st;
    if (in.access_type & ~MASK_ALL)
        return HV_STATUS_INVALID_PARAMETER;
    switch (in.intercept_type) {
    case HV_INTERCEPT_TYPE_X64_CPUID:
        return install_cpuid(p, in.access_type, in.intercept_parameter);
    case HV_INTERCEPT_TYPE_X64_IO_PORT:
        if (!in.access_type || (in.access_type & ~MASK_RW) || (in.intercept_parameter >> 16))
            return HV_STATUS_INVALID_PARAMETER;
        return HV_STATUS_SUCCESS;
    case HV_INTERCEPT_TYPE_X64_MSR:
        if (!in.access_type || (in.access_type & ~MASK_RW) || in.intercept_parameter)
            return HV_STATUS_INVALID_PARAMETER;
        return HV_STATUS_SUCCESS;
    case HV_INTERCEPT_TYPE_EXCEPTION:
        if (in.access_type != HV_INTERCEPT_ACCESS_MASK_EXECUTE || in.intercept_parameter >= 32 ||
            !((HV_EXC_INTERCEPTABLE >> in.intercept_parameter) & 1))
            return HV_STATUS_INVALID_PARAMETER;
        __atomic_or_fetch(&p->exc_icpt_bitmap, 1u << in.intercept_parameter, __ATOMIC_RELEASE);
        return HV_STATUS_SUCCESS;
    default:
        return HV_STATUS_INVALID_PARAMETER;
    }
}
