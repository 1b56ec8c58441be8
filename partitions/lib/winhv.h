/* winhv.h — WinHv: the guest side of the hypercall interface, used by the root and child
 * partition kernels (docs/HYPERVISOR.md "WinHv"; TLFS 3 "Hypercall Interface").
 *
 * Set-up (TLFS 3.13): the guest OS ID MSR (0x40000000) gets a non-zero value (WINHV_GUEST_OS_ID,
 * TLFS 2.6: open source, hvsim's OS type), then the hypercall MSR (0x40000001) gets the GPA of a
 * page of the kernel with the enable bit; the hypervisor overlays that page with its calling
 * code, and every call goes through it (RCX input value, RDX input GPA, R8 output GPA, RAX
 * result; TLFS 3.7).
 *
 * Memory form: the input is copied into the calling VP's input page and the output read from its
 * output page (both 4 KiB-aligned, so "8-byte aligned, not crossing a page" always holds). The
 * kernels identity-map their memory, so a page's virtual address is its GPA.
 *
 * Rep calls: the list is sent in batches that fit the input page; within a batch, a partial
 * completion with HV_STATUS_SUCCESS is re-issued from the reps completed (rep start index), and
 * HV_STATUS_INSUFFICIENT_MEMORY calls the deposit callback for the partition that needs memory
 * and retries (at most WINHV_DEPOSIT_RETRIES times per call).
 *
 * Per-VP pages: every VP that calls has its own input/output page pair, so VPs call at the same
 * time without locks. Slot 0 belongs to the VP that ran winhv_init (the boot VP: VP 0). Any
 * other VP first calls winhv_init_vp(stack_lo, stack_hi) once at its start: it reads
 * HV_X64_MSR_VP_INDEX (TLFS 2.4; once, never again) and fills slot [VP index] with that VP's
 * stack range; a call finds its slot by the stack pointer (a VP runs on its own stack, interrupt
 * handlers included: the kernels have no IST/stack switch at CPL 0), so no MSR read, lock or
 * per-CPU register is needed. Slots are published with a release store of `ready`, read with an
 * acquire load; a VP writes only its own slot. VP indexes 1..WINHV_MAX_VPS-1 have slots: a VP
 * with a larger index gets -1 from winhv_init_vp and must not call (the kernels start at most
 * WINHV_MAX_VPS VPs, the partition configuration's limit of 16).
 *
 * Invariants: winhv_init succeeded before any call (else they return WINHV_STATUS_NOT_READY, as
 * for an input or output larger than a page); a VP other than the boot VP calls only after its
 * winhv_init_vp succeeded (else it would share slot 0); a call is never made from an interrupt
 * handler that interrupted a call on the same VP (one pair of pages per VP); the
 * functions never read or write outside the buffers they are given.
 */
#ifndef WINHV_H
#define WINHV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"

/* TLFS 2.6 guest OS identity, open-source form: bit 63 open source, 62:56 OS type (0x7F: hvsim's
 * kernels, outside the types the TLFS assigns), 55:48 OS id (1 root, 2 child), 47:16 version
 * (issue 7 -> 7.0), 15:0 build. */
#define WINHV_GUEST_OS_ID(os) \
    ((1ull << 63) | (0x7Full << 56) | ((uint64_t)(os) << 48) | (0x00070000ull << 16))
#define WINHV_OS_ROOT  1
#define WINHV_OS_CHILD 2

/* A status WinHv returns itself: no call was made (winhv_init has not succeeded). Not a TLFS
 * code (the TLFS leaves 0xFFFF unassigned). */
#define WINHV_STATUS_NOT_READY 0xFFFFu
#define WINHV_DEPOSIT_RETRIES  16

/* What CPUID says about the hypervisor (TLFS 2.4). */
struct winhv_cpuid {
    bool present;                   /* CPUID.1:ECX[31] */
    bool microsoft_hv;              /* 0x40000000 EBX..EDX = "Microsoft Hv" */
    bool hv1;                       /* 0x40000001 EAX = "Hv#1" */
    uint32_t max_leaf;
    uint64_t privileges;            /* 0x40000003 EAX | EBX << 32 */
};
void winhv_detect(struct winhv_cpuid *c);
/* The TLFS interface is usable: present, signature, Hv#1, the hypercall MSRs allowed. */
bool winhv_usable(const struct winhv_cpuid *c);

/* Set the guest OS ID and enable the hypercall page. 0, or -1 if the MSR did not take (the
 * hypervisor refused: the enable bit reads back 0). */
int winhv_init(uint32_t os);

/* The per-VP pages (see above). WINHV_MAX_VPS slots: 16, the most VPs a child partition may be
 * configured with and the most the root starts. */
#define WINHV_MAX_VPS 16
/* Called once by a VP other than the boot VP, on its own stack [stack_lo, stack_hi), after
 * the boot VP's winhv_init succeeded (the hypercall page is partition-wide, TLFS 3.13): reads
 * its VP index and takes that slot. Returns the VP index, or -1 (winhv_init has not run, index
 * 0 or >= WINHV_MAX_VPS, the slot already taken, or an empty range). */
int winhv_init_vp(const void *stack_lo, const void *stack_hi);
/* The VP index of the caller's slot (0 for the boot VP and for any stack not registered). */
uint32_t winhv_self_vp(void);

/* HvCallSendSyntheticClusterIpi, fast form (TLFS "Virtual interrupts", 0x000B): `vector`
 * (0x10..0xFF) to each VP of the caller's partition whose bit is set in `vp_mask`. */
uint16_t winhv_send_ipi(uint32_t vector, uint64_t vp_mask);

/* Called on HV_STATUS_INSUFFICIENT_MEMORY: deposit pages into `partition_id` (the root's own id
 * for CreatePartition). Returns 0 if it deposited something, -1 if it could not. */
typedef int (*winhv_deposit_fn)(uint64_t partition_id, void *ctx);
void winhv_set_deposit(winhv_deposit_fn fn, void *ctx);

/* Raw calls. Results are TLFS result values (status in 15:0, reps completed in 43:32). */
uint64_t winhv_call(uint16_t code, const void *in, size_t in_size, void *out, size_t out_size);
uint64_t winhv_call_fast(uint16_t code, uint64_t in0, uint64_t in1);
/* A rep call: header (hdr_size bytes) + count elements of elem_size bytes in; out_elem_size
 * bytes per element out (0: none). deposit_id: the partition to deposit into on
 * INSUFFICIENT_MEMORY (0: never deposit). Returns the status; *done = elements completed. */
uint16_t winhv_call_rep(uint16_t code, const void *hdr, size_t hdr_size, const void *elems,
                        size_t elem_size, void *out_elems, size_t out_elem_size, uint32_t count,
                        uint64_t deposit_id, uint32_t *done);

static inline uint16_t winhv_status(uint64_t result) { return (uint16_t)(result & 0xFFFF); }

/* Typed wrappers: each returns the TLFS status (HV_STATUS_*). */
uint16_t winhv_get_partition_id(uint64_t *id);
uint16_t winhv_create_partition(uint64_t flags, const char *name, uint64_t *id);
uint16_t winhv_initialize_partition(uint64_t id);
uint16_t winhv_finalize_partition(uint64_t id);
uint16_t winhv_delete_partition(uint64_t id);
uint16_t winhv_deposit_memory(uint64_t id, const uint64_t *pfns, uint32_t count);
uint16_t winhv_map_gpa_pages(uint64_t target, uint64_t gpa_page, uint32_t flags,
                             const uint64_t *src_pfns, uint32_t count);
uint16_t winhv_unmap_gpa_pages(uint64_t target, uint64_t gpa_page, uint32_t count);
uint16_t winhv_create_vp(uint64_t id, uint32_t vp_index);
uint16_t winhv_get_vp_registers(uint64_t id, uint32_t vp_index, const uint32_t *names,
                                union hv_register_value *values, uint32_t count);
uint16_t winhv_set_vp_registers(uint64_t id, uint32_t vp_index,
                                const struct hv_register_assoc *regs, uint32_t count);
uint16_t winhv_start_vp(uint64_t id, uint32_t vp_index, const struct hv_initial_vp_context *ctx);
uint16_t winhv_post_message(uint32_t connection_id, uint32_t type, const void *payload,
                            uint32_t size);
uint16_t winhv_signal_event(uint32_t connection_id, uint16_t flag);
/* A message port in `port_partition` whose messages go to (target_vp, target_sint), and a
 * connection `connection_id` of `conn_partition` to it (TLFS 11.10; HV_PORT_TYPE_MESSAGE). */
uint16_t winhv_create_port(uint64_t port_partition, uint32_t port_id, uint64_t conn_partition,
                           uint32_t target_sint, uint32_t target_vp);
uint16_t winhv_connect_port(uint64_t conn_partition, uint32_t connection_id,
                            uint64_t port_partition, uint32_t port_id);

/* The name of a status for messages ("INSUFFICIENT_MEMORY"), or "?" */
const char *winhv_status_name(uint16_t status);

#endif
