/* hv_svc.h — the services of the hypervisor's core (hv/mm, hv/vmx, hv/arch) that the hypercall
 * and synthetic-feature layers (hv/hcall, hv/synic, hv/part) call, and the entry points of those
 * layers that the core's exit handlers call (docs/HYPERVISOR.md).
 *
 * This is the seam between the two halves: the core implements the first part in the hypervisor
 * image; the host unit tests of hv/hcall and hv/synic implement it with fakes over a malloc'ed
 * "physical memory", so the TLFS logic is tested on the host with exact status codes.
 *
 * Invariants:
 *  - Guest-supplied addresses are only ever dereferenced after ept_lookup on the caller's EPT
 *    with the right permission: a partition can never make the hypervisor touch memory its EPT
 *    does not grant it (hypervisor memory, other partitions' memory, deposited pages).
 *  - Nothing here blocks: a call that needs another LP (vp_kick) only signals it.
 */
#ifndef HV_SVC_H
#define HV_SVC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "hv/part/part.h"

/* ------------------------------------------------------------------ provided by the core */

/* Host-physical memory: the hypervisor maps all of it 1:1, so this is (void *)hpa on the target. */
void *hv_hpa_ptr(uint64_t hpa);

/* Page pools (hv/mm/pool.c). A page taken is zeroed; 0 when the pool is empty. */
uint64_t hv_pool_alloc(struct hv_pool *p);
void hv_pool_free(struct hv_pool *p, uint64_t hpa);
/* A page joins the pool (a deposit, or the boot pool at start-up). */
void hv_pool_add(struct hv_pool *p, uint64_t hpa);
extern struct hv_pool hv_pool;      /* the hypervisor's own pages (the root's objects too) */

/* EPT (hv/mm/ept.c; SDM Vol. 3 29.3). Permissions: */
#define EPT_R 1u
#define EPT_W 2u
#define EPT_X 4u
int ept_init(struct hv_ept *e, struct hv_pool *pool);          /* 0, or -1: no memory */
/* Map one 4 KiB page (replacing a mapping); 0, or -1: no memory for a table. */
int ept_map(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms);
/* The same with an EPT memory type (SDM Vol. 3 29.3.7): EPT_MT_WB for RAM, EPT_MT_UC for MMIO
 * (ept_map uses WB). */
#define EPT_MT_UC 0u
#define EPT_MT_WB 6u
int ept_map_type(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms, unsigned type);
/* Unmap one 4 KiB page; 0, or -1 if it was not mapped. The caller then calls ept_flush. */
int ept_unmap(struct hv_ept *e, uint64_t gpa);
/* The HPA and permissions of a GPA's page; 0, or -1 if not mapped. */
int ept_lookup(const struct hv_ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms);
/* Invalidate cached translations of this EPT on every LP (INVEPT single-context). */
void ept_flush(struct hv_ept *e);
/* Free every table (to e->pool). */
void ept_destroy(struct hv_ept *e);

/* Virtual processors (hv/vmx). */
/* Allocate and initialise the VMCS and bitmaps of a new VP (vp->part, index, lp set; pages from
 * the partition's pool). 0, or -1: no memory. */
int vp_arch_init(struct hv_vp *vp);
/* Free them (the VP is not running anywhere). */
void vp_arch_destroy(struct hv_vp *vp);
/* vp changed state or has a new event: make its LP look at its run list (an IPI if that is
 * another LP). */
void vp_kick(struct hv_vp *vp);
/* Queue external-interrupt vector `vector` for injection into vp and kick it. */
void vp_raise_irq(struct hv_vp *vp, uint8_t vector);
/* Guest TLB invalidation (TLFS HvCallFlushVirtualAddressSpace/List; SDM Vol. 3 30.3 INVVPID):
 * drop the cached linear translations of the VPs vps[0..n) for the `nr` GVA ranges (page-aligned
 * start, page count), or all of them when nr == 0 (more may be dropped: the set is a minimum).
 * VPs of this LP are done now; other LPs are asked (kick) and waited for: when it returns, no VP
 * listed will use a translation of those pages cached before the call. */
struct hv_gva_range { uint64_t gva; uint64_t pages; };
void vp_flush_tlb(struct hv_vp *const *vps, unsigned n, const struct hv_gva_range *r,
                  unsigned nr);

/* Time: the TSC (the guests see the same TSC) and its frequency. */
uint64_t hv_rdtsc(void);
uint64_t hv_tsc_hz(void);

/* XCR0 values the processor accepts in XSETBV and the hypervisor offers (hv/vmx/guest_switch.c:
 * bit 0, supported components only, AVX with SSE, the AVX-512 and MPX groups whole). */
bool hv_xcr0_valid(uint64_t xcr0);

/* Diagnostics: printf to the hypervisor's log (port 0xE9) and a fatal stop. */
void hv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void hv_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ------------------------------------------------------------------ provided by hv/hcall */

/* A hypercall as the VMCALL exit handler sees it (TLFS x64 calling convention). */
struct hc_call {
    uint64_t input;             /* RCX: the hypercall input value */
    uint64_t in_gpa;            /* RDX: input GPA, or fast input 0 */
    uint64_t out_gpa;           /* R8: output GPA, or fast input 1 */
    uint64_t result;            /* out: RAX */
    bool advance;               /* out: false = rep continuation (RIP stays, RCX = input) */
};
/* Dispatch a hypercall of vp (CPL 0 and long mode already checked by the exit handler). */
void hc_dispatch(struct hv_vp *vp, struct hc_call *c);
/* The hypercall lock (one hypercall at a time, dispatch.c), for the synthetic-MSR writes that
 * must not run beside DepositMemory: true if taken. Never spun on (the caller retries the
 * instruction instead). */
bool hc_lock_try(void);
void hc_lock_release(void);

/* ------------------------------------------------------------------ provided by hv/synic */

/* CPUID leaves 0x40000000-0x400000FF for vp: 1 if handled (out = EAX, EBX, ECX, EDX), else 0. */
int synic_cpuid(struct hv_vp *vp, uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
/* Synthetic MSRs (0x40000000-0x400000FF): 0 handled, -1 #GP, 1 not a synthetic MSR,
 * SYNIC_MSR_RETRY: busy (the hypercall lock), re-execute the instruction (RIP not advanced). */
#define SYNIC_MSR_RETRY 2
int synic_rdmsr(struct hv_vp *vp, uint32_t msr, uint64_t *val);
int synic_wrmsr(struct hv_vp *vp, uint32_t msr, uint64_t val);

/* ------------------------------------------------------------------ provided by hv/synic (SynIC) */

/* TLFS "SynIC message delivery": post `msg` (header type, payload size, sender filled) to vp's
 * SINT `sint`. HV_STATUS_INVALID_SYNIC_STATE unless SCONTROL.enable, SIMP enabled and the SINT
 * unmasked; a free slot (type HVMSG_NONE) is written and the SINT's vector raised
 * (vp_raise_irq, or as AutoEOI); a busy slot gets its message-pending flag and the message waits
 * in the VP's queue (HV_STATUS_INSUFFICIENT_BUFFERS when that is full) until the guest writes
 * EOM. HV_STATUS_SUCCESS otherwise. Callable from any LP (it serialises per VP). */
uint16_t synic_post_message(struct hv_vp *vp, unsigned sint, const struct hv_message *msg);
/* TLFS "SynIC event flags": set flag `flag` of SINT `sint` in vp's SIEF page; the SINT's vector is
 * raised only on a 0 -> 1 change. HV_STATUS_INVALID_SYNIC_STATE as above (SIEFP instead of
 * SIMP); HV_STATUS_SUCCESS otherwise. */
uint16_t synic_signal_event(struct hv_vp *vp, unsigned sint, unsigned flag);

/* Intercepts (docs/HYPERVISOR.md "Intercepts"): the exit handler of a child VP stops it with
 * vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED) (so vp->ctx holds its registers) and describes the
 * access; hv/synic builds the TLFS intercept message (header.sender = the child's partition id)
 * and posts it to the root's VP 0, SINT 0. The root completes the instruction with
 * SetVpRegisters (RIP, RAX, ...) and resumes the VP by writing HV_REGISTER_INTERCEPT_SUSPEND = 0.
 * If the message cannot be posted the child's partition is stopped and the reason logged. */
struct hv_intercept {
    uint32_t type;              /* HVMSG_X64_IO_PORT_INTERCEPT, HVMSG_UNMAPPED_GPA,
                                   HVMSG_X64_MSR_INTERCEPT, HVMSG_UNRECOVERABLE_EXCEPTION, ... */
    uint8_t insn_len;           /* of the intercepted instruction */
    uint8_t access;             /* HV_INTERCEPT_ACCESS_READ 0 / WRITE 1 / EXECUTE 2 */
    uint16_t port;              /* I/O: port, size (1, 2, 4), string and rep prefix */
    uint8_t size;
    bool string_op, rep;
    uint64_t gpa, gva;          /* memory intercepts */
    uint32_t msr;               /* MSR intercepts */
    bool gva_valid;             /* memory intercepts: gva is the linear address (EPT exit
                                   qualification bit 7) */
    uint8_t insn_byte_count;    /* the instruction's bytes as read from the guest (0-16) */
    uint8_t insn_bytes[16];
    uint32_t cpuid_default[4];  /* CPUID intercepts: the hypervisor's EAX, EBX, ECX, EDX */
    uint8_t exc_vector;         /* exception intercepts: vector, HV_X64_EXCEPTION_INFO_*, */
    uint8_t exc_info;           /* error code, parameter (#PF: the linear address) */
    uint32_t exc_error;
    uint64_t exc_param;
};
void synic_intercept(struct hv_vp *vp, const struct hv_intercept *ii);
/* The parent intercepts CPUID leaf `leaf` of p (HvCallInstallIntercept,
 * hv/hcall/hc_intercept.c): any LP, no lock. */
bool hv_cpuid_intercepted(const struct hv_partition *p, uint32_t leaf);

#endif
