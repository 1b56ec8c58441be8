/* hv_fakes.h — fakes of the hypervisor core's services (hv/hv_svc.h) for the host unit tests of
 * the hypercall layer (hv/hcall, hv/part, hv/synic): a malloc'ed, page-aligned "physical memory",
 * page pools, a 4-level EPT in that memory (SDM Vol. 3 29.3.2 entry format), vp_arch_init that
 * charges pages like hv/vmx does, and recorders for ept_flush, vp_kick and annotations.
 *
 * The fake machine after hvf_reset():
 *   HPA [0, HVF_RAM_END)            the root's RAM, identity-mapped RWX in the root's EPT
 *   HPA [HVF_POOL_BASE, +POOL_SIZE) the hypervisor's pool (hv_pool): never mapped in any EPT
 *   HPA [HVF_POOL_END, HVF_MEM_SIZE) not RAM ("device MMIO"), not mapped unless a test maps it
 *   partition 1 = the root (HV_ROOT_PRIVILEGES, state FINALIZED) with VP 0 (RUNNABLE, the
 *   caller of hvf_call) and VP 1 (NOT_STARTED); hv_nlps = 2.
 * Invariants: hv_hpa_ptr of an address outside the fake memory aborts the test binary (the
 * layer must never compute such an address).
 */
#ifndef TESTS_UNIT_HV_FAKES_H
#define TESTS_UNIT_HV_FAKES_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv_svc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HVF_MEM_SIZE (40ull << 20)
#define HVF_RAM_END (16ull << 20)
#define HVF_POOL_BASE (24ull << 20)
#define HVF_POOL_END (32ull << 20)

void hvf_reset(void);
struct hv_partition *hvf_root(void);
struct hv_vp *hvf_root_vp(void);
void *hvf_ptr(uint64_t hpa);

/* Issue a hypercall from vp: returns RAX; *advance (may be NULL) and *input get RIP/RCX. */
uint64_t hvf_call(struct hv_vp *vp, uint64_t *input, uint64_t in_gpa, uint64_t out_gpa,
                  bool *advance);
/* Repeat a rep call until it completes (continuations), counting exits. */
uint64_t hvf_call_all(struct hv_vp *vp, uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                      unsigned *exits);

/* The root's hypercall input and output pages (root GPA = HPA) and helpers that use them. */
#define HVF_IN_GPA 0x100000ull
#define HVF_OUT_GPA 0x101000ull
/* Root RAM handed out by hvf_take_pages for deposits and child memory: [8 MiB, 16 MiB). */
#define HVF_SPARE_BASE (8ull << 20)
void *hvf_out(void);
/* Copy `len` bytes of input to HVF_IN_GPA, issue the call from the root's VP 0 until it
 * completes (continuations included) and return RAX. */
uint64_t hvf_root_call(uint64_t input, const void *in, unsigned len);
/* n consecutive root pages nobody uses yet (their first GPA). */
uint64_t hvf_take_pages(unsigned n);
/* DepositMemory of n fresh root pages into partition id; returns RAX. */
uint64_t hvf_deposit(uint64_t id, unsigned n);
/* CreatePartition (+ deposit of `pages` pages and InitializePartition when pages > 0); the
 * new id, or 0 on failure. */
uint64_t hvf_make_child(const char *name, unsigned pages);

/* Pages on a pool's free list (walks the list). */
uint64_t hvf_pool_count(const struct hv_pool *p);

/* Recorders. */
extern unsigned hvf_flush_count;
extern const struct hv_ept *hvf_last_flush;
extern unsigned hvf_kick_count;
extern struct hv_vp *hvf_last_kick;
extern unsigned hvf_arch_init_count, hvf_arch_destroy_count;
#define HVF_ARCH_PAGES 5            /* pages vp_arch_init takes (VMCS, MSR bitmap, I/O A/B, XSAVE
                                     * area: as hv/vmx/vp.c) */
extern unsigned hvf_annot_count;
extern uint32_t hvf_annot_kind;
extern uint64_t hvf_annot_args[4];
extern unsigned hvf_log_count;
extern uint64_t hvf_tsc, hvf_tsc_hz;
/* CPUID.1:ECX[24] (TSC-deadline timer) for hv/vapic/vapic_timer.c; true after hvf_reset. */
extern bool hvf_tsc_deadline;
/* vp_raise_irq: vapic_accept (as hv/vmx/vp.c: the IRR bit, unless the VP's virtual APIC drops
 * it) and records it. */
extern unsigned hvf_irq_count;
extern uint8_t hvf_last_irq_vector;
/* vp_flush_tlb: calls, the VPs of the last call, the ranges of all calls (in order; nr == 0
 * calls add none: "everything"). */
extern unsigned hvf_tlb_count;
extern unsigned hvf_tlb_nvps;
extern struct hv_vp *hvf_tlb_vps[HV_MAX_VPS];
extern unsigned hvf_tlb_nr;
extern struct hv_gva_range hvf_tlb_ranges[64];

#ifdef __cplusplus
}
#endif

#endif
