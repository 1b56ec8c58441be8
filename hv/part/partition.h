/* partition.h — the partition table and the lifecycle of partitions and VPs (hv/part;
 * docs/HYPERVISOR.md "Partitions and virtual processors"), used by the hypercall handlers
 * (hv/hcall) and the root's creation (hv/part/root.c).
 *
 * Invariants:
 *  - hv_partitions[k] is the partition with id k + 1; a slot is in use iff its state is not
 *    HV_PART_FREE. The root is id 1 (slot 0) and has no parent; every other partition's parent
 *    is the partition that created it.
 *  - A child's privileges never include CreatePartitions, CpuManagement or AccessMemoryPool
 *    (HV_CHILD_ALLOWED_PRIVILEGES): only the root manages partitions and memory.
 *  - A VP object lives in one page of its partition's pool; vp_arch_init's pages too.
 *  - Callers hold the hypercall lock (hv/hcall/dispatch.c) when they change the table.
 */
#ifndef HV_PART_PARTITION_H
#define HV_PART_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "hv/part/part.h"

extern struct hv_partition hv_partitions[HV_MAX_PARTITIONS];

/* Synthetic-MSR access every partition gets (CPUID 0x40000003 EAX). */
#define HV_PRIV_MSRS_ALL                                                                   \
    ((uint64_t)(HV_MSR_TIME_REF_COUNT_AVAILABLE | HV_MSR_SYNIC_AVAILABLE |                \
                HV_MSR_SYNTIMER_AVAILABLE | HV_MSR_HYPERCALL_AVAILABLE |                  \
                HV_MSR_VP_INDEX_AVAILABLE | HV_MSR_REFERENCE_TSC_AVAILABLE |              \
                HV_ACCESS_FREQUENCY_MSRS | HV_MSR_APIC_ACCESS_AVAILABLE))
/* The root (docs/HYPERVISOR.md): CreatePartitions, AccessPartitionId, AccessMemoryPool,
 * PostMessages, SignalEvents, CreatePort, ConnectPort, CpuManagement. */
#define HV_ROOT_PRIVILEGES                                                                 \
    (HV_PRIV_MSRS_ALL | HV_PRIV_CREATE_PARTITIONS | HV_PRIV_ACCESS_PARTITION_ID |          \
     HV_PRIV_ACCESS_MEMORY_POOL | HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS |          \
     HV_PRIV_CREATE_PORT | HV_PRIV_CONNECT_PORT | HV_PRIV_CPU_MANAGEMENT)
/* A new child: AccessPartitionId, PostMessages, SignalEvents, ConnectPort. */
#define HV_CHILD_DEFAULT_PRIVILEGES                                                        \
    (HV_PRIV_MSRS_ALL | HV_PRIV_ACCESS_PARTITION_ID | HV_PRIV_POST_MESSAGES |              \
     HV_PRIV_SIGNAL_EVENTS | HV_PRIV_CONNECT_PORT)
/* What SetPartitionProperty(PRIVILEGE_FLAGS) may grant a child. */
#define HV_CHILD_ALLOWED_PRIVILEGES (HV_CHILD_DEFAULT_PRIVILEGES | HV_PRIV_CREATE_PORT)

/* A child's guest-physical address space: GPAs below 2^39 (512 GiB; 4-level EPT). */
#define HV_CHILD_GPA_LIMIT (1ull << 39)

/* The live partition with this id (state CREATED..FINALIZED), or NULL. */
struct hv_partition *hv_part_get(uint64_t id);
/* A new child of `parent` in state CREATED with the default privileges, no pool pages, no EPT
 * yet (InitializePartition makes it). name: 24 bytes, NUL-padded; all zero: "p<id>". The
 * create annotation is emitted. NULL when the table is full. */
struct hv_partition *hv_part_create(struct hv_partition *parent, const char *name);
/* Stop and destroy every VP, destroy the EPT, give every pool page back to the root (mapped
 * again at GPA = HPA in the root's EPT), emit the delete annotation and free the slot. */
void hv_part_delete(struct hv_partition *p);
/* The VP limit (CreateVp's VP index must be below it): HV_MAX_VPS unless set while CREATED. */
uint32_t hv_part_vp_limit(const struct hv_partition *p);
void hv_part_set_vp_limit(struct hv_partition *p, uint32_t limit);
/* Give one page (its HPA) back to the root: map it at GPA = HPA, RWX. 0, or -1: no memory for
 * an EPT table (the page is then lost to the root until retried; it is logged). */
int hv_part_return_page_to_root(uint64_t hpa);

/* Whether the 4 KiB page at hpa is RAM (Multiboot2 memory map type 1, "available"): the only
 * memory the hypervisor itself reads or writes on a partition's behalf (hypercall blocks,
 * hypercall/TSC pages, deposited pages), never device MMIO a partition may have mapped. */
bool hv_part_is_ram(uint64_t hpa);

/* Host pages mapped into children (MapGpaPages), as up to HV_SHARED_EXTENTS page ranges per
 * partition, so that DepositMemory never turns a page a child can still reach into hypervisor
 * memory. Conservative: an unmap does not shrink the ranges; deleting the child clears them. */
#define HV_SHARED_EXTENTS 64
/* Note that p maps host page hpa: 0, or -1 when p's range list is full. */
int hv_part_note_shared(struct hv_partition *p, uint64_t hpa);
/* Whether some live partition other than the root maps (or mapped) host page hpa. */
bool hv_part_page_shared(uint64_t hpa);

/* The VPID of VP `index` of partition `id`: unique over the machine, never 0 (SDM Vol. 3 29.1),
 * at most HV_MAX_PARTITIONS * HV_MAX_VPS. */
static inline uint16_t hv_vp_vpid(uint64_t id, uint32_t index)
{
    return (uint16_t)((id - 1) * HV_MAX_VPS + index + 1);
}

/* Create VP `index` of p (p INITIALIZED, index below its limit and free): the VP object and its
 * VMX state come from p's pool; VP k runs on LP k mod hv_nlps. Returns an HV_STATUS. */
int hv_vp_create(struct hv_partition *p, uint32_t index, struct hv_vp **out);
/* Mark the VP stopped, free its VMX state and its page (to its partition's pool). */
void hv_vp_destroy(struct hv_vp *vp);

#endif
