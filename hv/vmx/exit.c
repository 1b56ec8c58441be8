/* exit.c — VM-exit dispatch by basic exit reason (SDM Vol. 3 Appendix C, chapter 27) and the
 * handlers of the scheduling group: external interrupts, the interrupt window, HLT, the
 * VMX-preemption timer, triple fault, INIT/SIPI, NMIs, a child's port I/O (an intercept message
 * to the root, hv/synic/intercept.c), and the default (log and stop the partition; the root
 * gets HVMSG_UNRECOVERABLE_EXCEPTION). The instruction exits are in exit_insn.c, EPT
 * violations in exit_ept.c.
 *
 * Invariants: a handler returns 0 to re-enter the same VP, 1 to let the scheduler pick; a VP
 * leaving the runnable state has its context saved into vp->ctx first (part.h); nothing a guest
 * does panics the hypervisor except a fault of the root partition itself (triple fault).
 */
#include "hv/arch/arch.h"
#include "hv/arch/lapic_timer.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

int vmx_exit_vmcall(struct hv_vp *vp);
int vmx_exit_cpuid(struct hv_vp *vp);
int vmx_exit_rdmsr(struct hv_vp *vp);
int vmx_exit_wrmsr(struct hv_vp *vp);
int vmx_exit_cr(struct hv_vp *vp);
int vmx_exit_xsetbv(struct hv_vp *vp);
int vmx_exit_ept_violation(struct hv_vp *vp);

void vmx_inject_exception(uint8_t vector, bool has_error, uint32_t error)
{
    /* 24.8.3: hardware exception, deliver error code bit 11 */
    vmx_write(VMCS_ENTRY_INTR_INFO, INTR_VALID | INTR_TYPE_HW_EXC | vector |
                                        (has_error ? INTR_ERROR : 0));
    if (has_error)
        vmx_write(VMCS_ENTRY_EXC_ERROR, error);
}

void vmx_advance_rip(void)
{
    vmx_write(VMCS_G_RIP, vmx_read(VMCS_G_RIP) + vmx_read(VMCS_EXIT_INSN_LEN));
    /* 25.3 / 26.3.1.5: the instruction ends STI / MOV-SS blocking */
    uint64_t intr = vmx_read(VMCS_G_INTERRUPTIBILITY);
    if (intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS))
        vmx_write(VMCS_G_INTERRUPTIBILITY,
                  intr & ~(uint64_t)(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOV_SS));
}

/* The VP leaves the runnable state: its context goes to vp->ctx first (part.h invariant). */
void vmx_vp_stop(struct hv_vp *vp, enum hv_vp_state state)
{
    vp_ctx_save(vp);
    if (state == HV_VP_INTERCEPT_SUSPENDED || state == HV_VP_STOPPED)
        vmx_guest_flush(this_lp(), vp);   /* its XCR0 and SYSCALL MSRs too (guest_switch.c) */
    vp->state = state;
}

struct hv_vp *vmx_root_vp_of_lp(uint32_t lp);

void vmx_stop_partition(struct hv_vp *vp, const char *why)
{
    struct hv_partition *p = vp->part;
    if (p->id == HV_PARTITION_ROOT_ID)
        hv_panic("vmx: the root partition stopped (VP %u, RIP %#lx): %s", vp->index,
                 (unsigned long)vmx_read(VMCS_G_RIP), why);
    hv_log("vmx: partition %lu (%s) stopped by VP %u: %s\n", (unsigned long)p->id, p->name,
           vp->index, why);
    vmx_vp_stop(vp, HV_VP_STOPPED);
    /* the root hears of it: TLFS HVMSG_UNRECOVERABLE_EXCEPTION with the VP's state (a triple
     * fault, an unexpected exit, a failed VM entry), hv/synic/intercept.c */
    struct hv_intercept ii = { .type = HVMSG_UNRECOVERABLE_EXCEPTION };
    synic_intercept(vp, &ii);
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        struct hv_vp *o = p->vp[i];
        if (o && o != vp && o->state != HV_VP_STOPPED) {
            /* another LP's VP: it is marked stopped and kicked; its LP no longer picks it */
            o->state = HV_VP_STOPPED;
            vp_kick(o);
        }
    }
}

/* A device vector (or the kick) arrived: EOI the physical APIC (the hypervisor owns it) and
 * queue a device vector for the root's VP on this LP (VP 0 while this one is not started). */
static int ext_vector(uint8_t vector)
{
    if (vector == HV_VECTOR_SPURIOUS)
        return 1;   /* SDM Vol. 3 11.9: no EOI for the spurious vector */
    lapic_eoi();
    if (vector == HV_VECTOR_KICK || vector == HV_VECTOR_TIMER)
        return 1;   /* the hypervisor's own: a reschedule request, the idle wake-up timer */
    struct hv_vp *root = vmx_root_vp_of_lp(this_lp()->index);
    if (root && root->state == HV_VP_NOT_STARTED)
        root = vmx_root_vp_of_lp(0);
    if (root)
        vp_raise_irq(root, vector);
    return 1;
}

void hv_vmx_host_irq(uint8_t vector)
{
    (void)ext_vector(vector);
}

static int exit_ext_intr(struct hv_vp *vp)
{
    (void)vp;
    /* 27.2.2: "acknowledge interrupt on exit" stores the vector in the exit interruption info */
    uint32_t info = (uint32_t)vmx_read(VMCS_EXIT_INTR_INFO);
    if (!(info & INTR_VALID))
        return 1;
    return ext_vector((uint8_t)info);
}

unsigned vmx_insn_bytes(struct hv_vp *vp, uint8_t buf[16]);

/* An exception of a child in its partition's exception bitmap (HvCallInstallIntercept,
 * hv/hcall/hc_intercept.c; SDM Vol. 3 25.2): HVMSG_X64_EXCEPTION_INTERCEPT to the root, the VP
 * INTERCEPT_SUSPENDED at the faulting instruction (RIP at it, 27.1: the exception was not
 * delivered) until the root completes it. 27.2.2: interruption information vector 7:0, type
 * 10:8 (3 hardware exception, 6 software exception: INT3/INTO, whose instruction length is
 * saved, 27.2.5), error code valid 11; the exit qualification of a #PF is the linear address.
 * An exception raised while delivering another event (IDT-vectoring information valid,
 * 27.2.4) is not offered: the partition stops as before (the event would be lost). 1 if
 * handled. */
static int exception_intercept(struct hv_vp *vp, uint32_t info)
{
    uint8_t vector = (uint8_t)info, type = (uint8_t)((info >> 8) & 7);
    struct hv_partition *p = vp->part;
    if (p->id == HV_PARTITION_ROOT_ID || vector >= 32 || (type != 3 && type != 6) ||
        !((__atomic_load_n(&p->exc_icpt_bitmap, __ATOMIC_ACQUIRE) >> vector) & 1) ||
        (vmx_read(VMCS_IDT_VEC_INFO) & INTR_VALID))
        return 0;
    struct hv_intercept ii = {
        .type = HVMSG_X64_EXCEPTION_INTERCEPT,
        .insn_len = type == 6 ? (uint8_t)vmx_read(VMCS_EXIT_INSN_LEN) : 0,
        .access = HV_INTERCEPT_ACCESS_EXECUTE,
        .exc_vector = vector,
        .exc_info = (uint8_t)(((info & INTR_ERROR) ? HV_X64_EXCEPTION_INFO_ERROR_VALID : 0) |
                              (type == 6 ? HV_X64_EXCEPTION_INFO_SOFTWARE : 0)),
        .exc_error = (info & INTR_ERROR) ? (uint32_t)vmx_read(VMCS_EXIT_INTR_ERROR) : 0,
        .exc_param = vector == 14 ? vmx_read(VMCS_EXIT_QUAL) : 0,     /* #PF */
    };
    ii.insn_byte_count = (uint8_t)vmx_insn_bytes(vp, ii.insn_bytes);
    vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
    synic_intercept(vp, &ii);
    return 1;
}

static int exit_exception_or_nmi(struct hv_vp *vp)
{
    uint32_t info = (uint32_t)vmx_read(VMCS_EXIT_INTR_INFO);
    if (((info >> 8) & 7) == 2) {
        /* an NMI for the hypervisor: hv_panic's stop of the other LPs (hv/arch) */
        while (hv_panicking)
            __asm__ volatile("cli; hlt" ::: "memory");
        return 0;
    }
    if (exception_intercept(vp, info))
        return 1;
    hv_log("vmx: unexpected exception exit, info %#x\n", info);
    vmx_stop_partition(vp, "unexpected exception exit");
    return 1;
}

static int exit_intr_window(struct hv_vp *vp)
{
    (void)vp;
    vmx_write(VMCS_PROC, vmx_read(VMCS_PROC) & ~(uint64_t)PROC_INTR_WINDOW);
    return 0;
}

static int exit_hlt(struct hv_vp *vp)
{
    vmx_advance_rip();
    vmx_vp_stop(vp, HV_VP_HALTED);   /* pick() wakes it when an interrupt is pending */
    return 1;
}

static int exit_preempt(struct hv_vp *vp)
{
    (void)vp;
    return 1;   /* end of the slice */
}

static int exit_triple_fault(struct hv_vp *vp)
{
    if (vp->part->id == HV_PARTITION_ROOT_ID) {
        const uint64_t *g = vp->ctx.gpr;
        hv_panic("vmx: triple fault in the root partition, VP %u: RIP %#lx RSP %#lx CR0 %#lx "
                 "CR3 %#lx CR4 %#lx EFER %#lx RAX %#lx RBX %#lx RCX %#lx RDX %#lx RSI %#lx "
                 "RDI %#lx RBP %#lx", vp->index, (unsigned long)vmx_read(VMCS_G_RIP),
                 (unsigned long)vmx_read(VMCS_G_RSP), (unsigned long)vmx_read(VMCS_CR0_SHADOW),
                 (unsigned long)vmx_read(VMCS_G_CR3), (unsigned long)vmx_read(VMCS_CR4_SHADOW),
                 (unsigned long)vmx_read(VMCS_G_EFER), (unsigned long)g[0],
                 (unsigned long)g[3], (unsigned long)g[1], (unsigned long)g[2],
                 (unsigned long)g[6], (unsigned long)g[7], (unsigned long)g[5]);
    }
    vmx_stop_partition(vp, "triple fault");
    return 1;
}

static int exit_init_sipi(struct hv_vp *vp)
{
    /* the root's VPs are started with HvCallStartVirtualProcessor, not INIT-SIPI */
    if (vp->part->id == HV_PARTITION_ROOT_ID)
        return 0;
    vmx_stop_partition(vp, "INIT or SIPI");
    return 1;
}

/* Up to 16 bytes of the instruction at the guest's CS:RIP, read through its paging and EPT
 * (guest_mem.c); the count (0 if the first byte is not readable). VMCS current. */
unsigned vmx_insn_bytes(struct hv_vp *vp, uint8_t buf[16])
{
    uint64_t rip = vmx_read(VMCS_G_RIP);
    bool lm = (vmx_read(VMCS_G_EFER) & EFER_LMA) && (vmx_read(VMCS_G_CS_AR) & (1u << 13));
    uint64_t lin = lm ? rip : (uint32_t)(vmx_read(VMCS_G_CS_BASE) + rip);
    unsigned n = 0;
    while (n < 16 && vmx_guest_read(vp, lin + n, &buf[n], 1) == 0)
        n++;
    return n;
}

/* A child's port access (SDM Vol. 3 27.2.1 table 27-5: size - 1 in 2:0, IN in 3, string 4, REP
 * 5, port 31:16) becomes an intercept message to the root (hv/synic/intercept.c); the VP waits
 * INTERCEPT_SUSPENDED until the root resumes it. String and REP forms are described as such:
 * the root may refuse them. */
static int exit_io(struct hv_vp *vp)
{
    uint64_t q = vmx_read(VMCS_EXIT_QUAL);
    if (vp->part->id == HV_PARTITION_ROOT_ID) {   /* the root's I/O bitmaps are all zero */
        hv_log("vmx: root VP %u: port I/O exit, qualification %#lx\n", vp->index,
               (unsigned long)q);
        vmx_stop_partition(vp, "port I/O exit of the root");
        return 1;
    }
    struct hv_intercept ii = {
        .type = HVMSG_X64_IO_PORT_INTERCEPT,
        .insn_len = (uint8_t)vmx_read(VMCS_EXIT_INSN_LEN),
        .access = (q & 8) ? HV_INTERCEPT_ACCESS_READ : HV_INTERCEPT_ACCESS_WRITE,
        .port = (uint16_t)(q >> 16),
        .size = (uint8_t)((q & 7) + 1),
        .string_op = (q & 16) != 0,
        .rep = (q & 32) != 0,
    };
    ii.insn_byte_count = (uint8_t)vmx_insn_bytes(vp, ii.insn_bytes);
    if (ii.insn_byte_count > ii.insn_len)
        ii.insn_byte_count = ii.insn_len;
    vmx_vp_stop(vp, HV_VP_INTERCEPT_SUSPENDED);
    synic_intercept(vp, &ii);
    return 1;
}

typedef int (*exit_fn)(struct hv_vp *vp);
static const exit_fn exit_table[EXIT_REASON_MAX] = {
    [EXIT_EXCEPTION] = exit_exception_or_nmi,
    [EXIT_EXT_INTR] = exit_ext_intr,
    [EXIT_TRIPLE_FAULT] = exit_triple_fault,
    [EXIT_INIT] = exit_init_sipi,
    [EXIT_SIPI] = exit_init_sipi,
    [EXIT_INTR_WINDOW] = exit_intr_window,
    [EXIT_CPUID] = vmx_exit_cpuid,
    [EXIT_HLT] = exit_hlt,
    [EXIT_VMCALL] = vmx_exit_vmcall,
    [EXIT_CR] = vmx_exit_cr,
    [EXIT_IO] = exit_io,
    [EXIT_RDMSR] = vmx_exit_rdmsr,
    [EXIT_WRMSR] = vmx_exit_wrmsr,
    [EXIT_EPT_VIOLATION] = vmx_exit_ept_violation,
    [EXIT_PREEMPT] = exit_preempt,
    [EXIT_XSETBV] = vmx_exit_xsetbv,
};

int vmx_handle_exit(struct hv_vp *vp, uint32_t reason)
{
    if (reason < EXIT_REASON_MAX && exit_table[reason])
        return exit_table[reason](vp);
    hv_log("vmx: partition %lu VP %u: unexpected exit %u, qualification %#lx, RIP %#lx\n",
           (unsigned long)vp->part->id, vp->index, reason,
           (unsigned long)vmx_read(VMCS_EXIT_QUAL), (unsigned long)vmx_read(VMCS_G_RIP));
    vmx_stop_partition(vp, "unexpected VM exit");
    return 1;
}
