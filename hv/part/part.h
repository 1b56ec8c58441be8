/* part.h — partitions and virtual processors: the objects every part of the hypervisor shares
 * (docs/HYPERVISOR.md "Partitions and virtual processors").
 *
 * Plain freestanding C (stdint/stddef/stdbool only): compiled into the hypervisor image and into
 * the host unit tests of the hypercall layer, which supply the services of hv/hv_svc.h with
 * fakes.
 *
 * Ownership: hv/part + hv/hcall (partition lifecycle, privileges, pools, hypercalls) write the
 * partition fields; hv/vmx owns `struct hv_vp_arch` (what the VMX code needs per VP) and the
 * run-state transitions of a VP on its LP; hv/synic owns `struct hv_synic_vp`.
 *
 * Invariants:
 *  - A VP's VMCS is current only on its LP (vp->lp): VPs never migrate.
 *  - vp->ctx is the VP's register state whenever vp->state is not HV_VP_RUNNABLE/RUNNING (the
 *    owning LP wrote it back when the VP stopped); Get/SetVpRegisters act on it only then.
 *  - Every page a partition's objects use comes from that partition's pool (deposited pages), or
 *    for the root from the hypervisor's pool; no partition's EPT maps any of them.
 */
#ifndef HV_PART_H
#define HV_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_MAX_PARTITIONS 16        /* ids 1 (root) .. 16 */
#define HV_MAX_VPS 64               /* virtual processors per partition */
#define HV_MAX_LPS 64
#define HV_PARTITION_ROOT_ID 1
#define HV_PARTITION_NAME_MAX 24    /* bytes, NUL-padded (fits the annotation's a1..a3) */
#define HV_CPUID_INTERCEPT_MAX 16  /* CPUID leaves a partition's parent may intercept */

/* A page pool: a list of 4 KiB host-physical pages (hv/mm/pool.c). */
struct hv_pool {
    uint64_t free_head;             /* HPA of the first free page (linked through its first
                                     * 8 bytes), 0: empty */
    uint64_t free_pages;            /* pages on the free list */
    uint64_t total_pages;           /* pages ever given to the pool (deposits, or the boot pool) */
};

/* EPT of a partition (hv/mm/ept.c): the PML4's HPA and the pool its tables come from. */
struct hv_ept {
    uint64_t pml4;                  /* HPA of the PML4 table */
    uint64_t eptp;                  /* the VMCS EPT pointer: pml4 | WB (6) | 3 << 3 (4 levels) */
    struct hv_pool *pool;
};

/* The registers a VP has while it is not running (x64 register set of the TLFS register names
 * that Get/SetVpRegisters support). Segment: TLFS HV_X64_SEGMENT_REGISTER layout. */
struct hv_seg { uint64_t base; uint32_t limit; uint16_t selector; uint16_t attributes; };
struct hv_table { uint16_t pad[3]; uint16_t limit; uint64_t base; };

struct hv_vp_context {
    uint64_t gpr[16];               /* RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8..R15 (TLFS
                                     * register-name order 0x00020000 + k) */
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, cr8;
    uint64_t efer, pat;
    uint64_t sysenter_cs, sysenter_eip, sysenter_esp;   /* VMCS guest state (24.4.1) */
    struct hv_seg es, cs, ss, ds, fs, gs, ldtr, tr;
    struct hv_table idtr, gdtr;
    bool dirty;                     /* written by SetVpRegisters: load into the VMCS before the
                                     * next entry */
};

enum hv_vp_state {
    HV_VP_NOT_STARTED = 0,          /* created; waits for StartVirtualProcessor */
    HV_VP_RUNNABLE,                 /* on its LP's run queue (may be running now) */
    HV_VP_HALTED,                   /* HLT: runnable again when an interrupt is pending */
    HV_VP_INTERCEPT_SUSPENDED,      /* an intercept message is with the root */
    HV_VP_STOPPED,                  /* its partition was stopped (triple fault, deleted) */
};

/* What hv/vmx keeps per VP. */
struct hv_vp_arch {
    uint64_t vmcs;                  /* HPA of the VMCS region */
    uint64_t msr_bitmap, io_bitmap_a, io_bitmap_b;  /* HPAs */
    bool launched;                  /* VMLAUNCH done (VMRESUME next) */
    uint64_t pending_irq[4];        /* vectors 0..255 waiting to be injected */
    bool vmcs_ready;                /* the VMCS fields were written on vp->lp (hv/vmx) */
    volatile bool clear_req;        /* vp_arch_destroy asks vp->lp to VMCLEAR it (hv/vmx) */
    /* hv/vmx/guest_switch.c: the VP's state the VMCS does not hold, in the LP's registers while
     * it is the LP's guest (hv_lp.guest), here while another VP has the LP */
    uint64_t xsave_area;            /* HPA of its XSAVE (or FXSAVE) area: one pool page */
    uint64_t xcr0;                  /* XCR0 (XSETBV exits; 1 after reset) */
    uint64_t star, lstar, cstar, sfmask, kernel_gs_base, tsc_aux;
};

/* Messages a VP's SynIC holds back while their slot is busy (hv/synic/message.c): at most
 * HV_SYNIC_QUEUE_POSTED of them posted by partitions, the rest kept for the hypervisor's own
 * (intercept, timer) messages. */
#define HV_SYNIC_QUEUE_LEN 8
#define HV_SYNIC_QUEUE_POSTED 4

/* What hv/synic keeps per VP (TLFS synthetic MSRs and SynIC). */
struct hv_synic_vp {
    uint64_t scontrol, siefp, simp, sint[16];
    uint64_t stimer_config[4], stimer_count[4];
    uint64_t stimer_due[4];         /* TSC of the next expiry, 0: not armed */
    uint64_t stimer_exp[4];         /* hv/synic/stimer.c: the expiry (100 ns reference time)
                                     * that stimer_due stands for, or that waits for a slot */
    uint8_t stimer_waiting;         /* hv/synic/stimer.c: timers whose expiry waits for a free
                                     * message slot (bit x: timer x) */
    uint16_t msg_pending;           /* SINTs with a message waiting for a free slot */
    /* hv/synic/message.c: messages waiting for their SINT's slot (FIFO), under `lock` */
    volatile uint32_t lock;
    uint8_t queue_head, queue_count;
    uint8_t queue_sint[HV_SYNIC_QUEUE_LEN];
    uint8_t queue_posted[HV_SYNIC_QUEUE_LEN];   /* 1: posted by a partition (HvCallPostMessage) */
    uint64_t queue_msg[HV_SYNIC_QUEUE_LEN][32]; /* struct hv_message (256 bytes) */
};

/* What hv/vapic keeps per VP: the virtual local APIC (hv/vapic/vapic.h). IRR is
 * hv_vp_arch.pending_irq; TPR[7:4] is ctx.cr8. */
struct hv_vapic {
    uint32_t id;                    /* APIC ID register value >> 24 */
    uint32_t tpr_low;               /* TPR[3:0] */
    uint32_t ldr, dfr, svr, esr, icr_hi, icr_lo;
    uint32_t lvt[7];                /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
    uint64_t isr[4];                /* in-service vectors */
    uint64_t auto_eoi[4];           /* vectors injected without an ISR bit (SynIC AutoEOI) */
    /* the timer (hv/vapic/vapic_timer.c) */
    uint32_t timer_icr, timer_dcr;
    uint64_t timer_start;           /* TSC when the current count was (re)loaded */
    uint64_t timer_due;             /* TSC of the next expiry, 0: not armed */
    uint64_t tsc_deadline;          /* IA32_TSC_DEADLINE in TSC-deadline mode */
    uint32_t icr_dropped;           /* ICR sends of a mode not delivered (NMI, SMI, INIT,
                                     * start-up): the first is logged, all are counted */
};

struct hv_partition;

struct hv_vp {
    struct hv_partition *part;
    uint32_t index;                 /* VP index in its partition (VP_INDEX MSR) */
    uint32_t lp;                    /* the logical processor it runs on */
    uint16_t vpid;                  /* unique over the machine, never 0 */
    volatile enum hv_vp_state state;
    struct hv_vp_context ctx;
    struct hv_vp_arch arch;
    struct hv_synic_vp synic;
    struct hv_vapic vapic;
    struct hv_vp *next_on_lp;       /* the LP's run list */
};

enum hv_partition_state {
    HV_PART_FREE = 0,
    HV_PART_CREATED,                /* CreatePartition */
    HV_PART_INITIALIZED,            /* InitializePartition: VPs may be created, memory mapped */
    HV_PART_FINALIZED,              /* FinalizePartition: no more VPs */
    HV_PART_DELETING,
};

struct hv_partition {
    uint64_t id;                    /* 1 = root */
    enum hv_partition_state state;
    char name[HV_PARTITION_NAME_MAX];
    uint64_t privileges;            /* TLFS HV_PARTITION_PRIVILEGE_MASK: EAX bits 31:0, EBX 63:32 */
    uint64_t guest_os_id;           /* MSR 0x40000000 (per partition, TLFS) */
    uint64_t hypercall_msr;         /* MSR 0x40000001 */
    uint64_t ref_tsc_msr;           /* MSR 0x40000021 */
    uint64_t ref_time_tsc;          /* TSC at creation: reference time 0 (TLFS 12.4) */
    struct hv_pool pool;            /* deposited pages (the root: the hypervisor's pool) */
    struct hv_ept ept;
    uint32_t nvps;
    struct hv_vp *vp[HV_MAX_VPS];   /* by VP index; NULL: not created */
    struct hv_partition *parent;    /* the creator (the root), NULL for the root */
    /* CPUID leaves the parent intercepts (HvCallInstallIntercept, hv/hcall/hc_intercept.c):
     * only appended, under the hypercall lock; readers (the CPUID exit) load the count with
     * acquire, the writer stores the leaf before it releases the new count */
    uint32_t cpuid_icpt_leaf[HV_CPUID_INTERCEPT_MAX];
    uint32_t cpuid_icpt_n;
    /* exception vectors (bit v) the parent intercepts: set bits only, under the hypercall
     * lock; loaded into a VP's VMCS exception bitmap with its context (vp_ctx_load) */
    uint32_t exc_icpt_bitmap;
};

#endif
