/* intercept.c — intercept messages to the root (TLFS 11.10 message types
 * HVMSG_X64_IO_PORT_INTERCEPT, HVMSG_UNMAPPED_GPA, HVMSG_X64_MSR_INTERCEPT,
 * HVMSG_X64_CPUID_INTERCEPT, HVMSG_X64_EXCEPTION_INTERCEPT, HVMSG_UNRECOVERABLE_EXCEPTION;
 * payload layouts of Linux include/hyperv/hvhdk.h, in hv/abi/tlfs.h): synic_intercept of
 * hv/hv_svc.h (docs/HYPERVISOR.md "Intercepts").
 *
 * The exit handler has stopped the child's VP (vmx_vp_stop: vp->ctx holds its registers) and
 * describes the access in struct hv_intercept; this builds the message — the x64 intercept
 * header (VP index, instruction length, access type, execution state, CS, RIP, RFLAGS) and
 * the type's payload — with header.sender = the child's partition id (hvsim's contract with the
 * root, partitions/root/pm_msg.c) and posts it to SINT 0 of the root VP chosen by
 * intercept_target. If it cannot be posted (the root's SynIC is not ready, its queue is full)
 * the child's partition is stopped and the reason logged: a child never waits forever for an
 * answer that cannot come.
 *
 * Which root VP (hvsim's rule; the TLFS text does not fix it — it only says intercepts are
 * messages on SINT 0 of "the parent partition"): the root VP that runs on the intercepted VP's
 * LP (the root has VP k on LP k, hv/part/root.c), if that VP's SynIC can take a message now —
 * SCONTROL enabled, SIMP enabled, SINT 0 unmasked — else the root's VP 0, as a Hyper-V root
 * with a per-CPU SynIC (Linux mshv) handles a child VP's intercepts on the CPU it runs on. A
 * child VP never migrates, so its intercepts always go to the same root VP while that VP's
 * SynIC stays set up: they arrive in order. The message is the same whichever VP gets it.
 *
 * Fields hvsim does not track are 0: CR8 in the header (exo partitions only), debug-active,
 * interruption-pending and interrupt-shadow in the execution state, the cache type of a memory
 * intercept.
 *
 * Invariants: reads only vp->ctx and the description; never touches the child's memory (the
 * instruction bytes come from the exit handler, which read them through the child's EPT).
 */
#include "hv/hv_svc.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

static void seg(struct hv_x64_segment_register *r, const struct hv_seg *s)
{
    r->base = s->base;
    r->limit = s->limit;
    r->selector = s->selector;
    r->attributes = s->attributes;
}

/* HV_X64_VP_EXECUTION_STATE from the saved context: CPL is SS.DPL (SDM Vol. 3 5.5, 26.3.1.5). */
static uint16_t exec_state(const struct hv_vp_context *c)
{
    uint16_t st = (uint16_t)((c->ss.attributes >> 5) & HV_X64_EXEC_CPL_MASK);
    if (c->cr0 & (1ull << 0))
        st |= HV_X64_EXEC_CR0_PE;
    if (c->cr0 & (1ull << 18))
        st |= HV_X64_EXEC_CR0_AM;
    if (c->efer & (1ull << 10))
        st |= HV_X64_EXEC_EFER_LMA;
    return st;
}

static void header(struct hv_x64_intercept_message_header *h, const struct hv_vp *vp,
                   const struct hv_intercept *ii)
{
    const struct hv_vp_context *c = &vp->ctx;
    h->vp_index = vp->index;
    h->instruction_length_cr8 = ii->insn_len & 0xF;
    h->intercept_access_type = ii->access;
    h->execution_state = exec_state(c);
    seg(&h->cs_segment, &c->cs);
    h->rip = c->rip;
    h->rflags = c->rflags;
}

/* Build the message for ii (payload size in the header); 0, or -1 for an unknown type. */
int synic_intercept_build(const struct hv_vp *vp, const struct hv_intercept *ii,
                          struct hv_message *m)
{
    const struct hv_vp_context *c = &vp->ctx;
    unsigned nb = ii->insn_byte_count > 16 ? 16 : ii->insn_byte_count;
    memset(m, 0, sizeof(*m));
    m->header.message_type = ii->type;
    m->header.sender = vp->part->id;
    switch (ii->type) {
    case HVMSG_X64_IO_PORT_INTERCEPT: {
        struct hv_x64_io_port_intercept_message io;
        memset(&io, 0, sizeof(io));
        header(&io.header, vp, ii);
        io.port_number = ii->port;
        io.access_info = (uint8_t)((ii->size & 7) | (ii->string_op ? HV_X64_IO_ACCESS_STRING : 0) |
                                   (ii->rep ? HV_X64_IO_ACCESS_REP : 0));
        io.instruction_byte_count = (uint8_t)nb;
        memcpy(io.instruction_bytes, ii->insn_bytes, nb);
        io.rax = c->gpr[0];
        seg(&io.ds_segment, &c->ds);
        seg(&io.es_segment, &c->es);
        io.rcx = c->gpr[1];
        io.rsi = c->gpr[6];
        io.rdi = c->gpr[7];
        memcpy(m->payload, &io, sizeof(io));
        m->header.payload_size = sizeof(io);
        return 0;
    }
    case HVMSG_UNMAPPED_GPA:
    case HVMSG_GPA_INTERCEPT: {
        struct hv_x64_memory_intercept_message mem;
        memset(&mem, 0, sizeof(mem));
        header(&mem.header, vp, ii);
        mem.instruction_byte_count = (uint8_t)nb;
        mem.memory_access_info = ii->gva_valid ? HV_X64_MEM_ACCESS_GVA_VALID : 0;
        mem.tpr_priority = (uint8_t)(c->cr8 & 0xF);
        mem.guest_virtual_address = ii->gva_valid ? ii->gva : 0;
        mem.guest_physical_address = ii->gpa;
        memcpy(mem.instruction_bytes, ii->insn_bytes, nb);
        memcpy(m->payload, &mem, sizeof(mem));
        m->header.payload_size = sizeof(mem);
        return 0;
    }
    case HVMSG_X64_MSR_INTERCEPT: {
        struct hv_x64_msr_intercept_message msr;
        memset(&msr, 0, sizeof(msr));
        header(&msr.header, vp, ii);
        msr.msr_number = ii->msr;
        msr.rdx = c->gpr[2];
        msr.rax = c->gpr[0];
        memcpy(m->payload, &msr, sizeof(msr));
        m->header.payload_size = sizeof(msr);
        return 0;
    }
    case HVMSG_X64_CPUID_INTERCEPT: {
        struct hv_x64_cpuid_intercept_message cp;
        memset(&cp, 0, sizeof(cp));
        header(&cp.header, vp, ii);
        cp.rax = c->gpr[0];
        cp.rcx = c->gpr[1];
        cp.rdx = c->gpr[2];
        cp.rbx = c->gpr[3];
        cp.default_result_rax = ii->cpuid_default[0];
        cp.default_result_rbx = ii->cpuid_default[1];
        cp.default_result_rcx = ii->cpuid_default[2];
        cp.default_result_rdx = ii->cpuid_default[3];
        memcpy(m->payload, &cp, sizeof(cp));
        m->header.payload_size = sizeof(cp);
        return 0;
    }
    case HVMSG_X64_EXCEPTION_INTERCEPT: {
        struct hv_x64_exception_intercept_message ex;
        memset(&ex, 0, sizeof(ex));
        header(&ex.header, vp, ii);
        ex.exception_vector = ii->exc_vector;
        ex.exception_info = ii->exc_info;
        ex.instruction_byte_count = (uint8_t)nb;
        ex.error_code = ii->exc_error;
        ex.exception_parameter = ii->exc_param;
        memcpy(ex.instruction_bytes, ii->insn_bytes, nb);
        seg(&ex.ds_segment, &c->ds);
        seg(&ex.ss_segment, &c->ss);
        memcpy(ex.gpr, c->gpr, sizeof(ex.gpr));
        memcpy(m->payload, &ex, sizeof(ex));
        m->header.payload_size = sizeof(ex);
        return 0;
    }
    case HVMSG_UNRECOVERABLE_EXCEPTION: {
        struct hv_x64_intercept_message_header h;
        memset(&h, 0, sizeof(h));
        header(&h, vp, ii);
        memcpy(m->payload, &h, sizeof(h));
        m->header.payload_size = sizeof(h);
        return 0;
    }
    default:
        return -1;
    }
}

/* Every VP of p leaves the runnable states; the others' LPs are told (like vmx_stop_partition
 * for a VP that is no longer current). */
static void stop_partition(struct hv_partition *p)
{
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        struct hv_vp *o = p->vp[i];
        if (o && o->state != HV_VP_STOPPED) {
            o->state = HV_VP_STOPPED;
            vp_kick(o);
        }
    }
}

/* SINT 0 of root VP r can take a message now (the conditions message.c delivers under; read
 * without r's SynIC lock: a change after this look only makes the post fail, as it would for
 * VP 0). */
static bool intercept_sint_ready(const struct hv_vp *r)
{
    const struct hv_synic_vp *s = &r->synic;
    uint64_t sc = __atomic_load_n(&s->scontrol, __ATOMIC_ACQUIRE);
    uint64_t simp = __atomic_load_n(&s->simp, __ATOMIC_ACQUIRE);
    uint64_t sint = __atomic_load_n(&s->sint[HV_SYNIC_INTERCEPTION_SINT_INDEX], __ATOMIC_ACQUIRE);
    return (sc & HV_SYNIC_CONTROL_ENABLE) && (simp & HV_SYNIC_SIMP_ENABLE) &&
           !(sint & HV_SYNIC_SINT_MASKED);
}

/* The root VP an intercept of vp goes to (header comment): the root's VP on vp->lp if its
 * SynIC is ready, else VP 0; NULL if the root has no VP 0. */
struct hv_vp *synic_intercept_target(const struct hv_vp *vp)
{
    struct hv_partition *root = hv_part_get(HV_PARTITION_ROOT_ID);
    if (!root)
        return NULL;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        struct hv_vp *r = root->vp[i];
        if (r && r->lp == vp->lp)
            return intercept_sint_ready(r) ? r : root->vp[0];
    }
    return root->vp[0];
}

void synic_intercept(struct hv_vp *vp, const struct hv_intercept *ii)
{
    struct hv_partition *p = vp->part;
    if (p->id == HV_PARTITION_ROOT_ID)
        return;         /* the root has no one to ask: hv/vmx handles its exits itself */
    struct hv_message m;
    struct hv_vp *target = synic_intercept_target(vp);
    uint16_t st = HV_STATUS_INVALID_PARAMETER;
    if (synic_intercept_build(vp, ii, &m) == 0)
        st = target ? synic_post_message(target, HV_SYNIC_INTERCEPTION_SINT_INDEX, &m)
                    : HV_STATUS_INVALID_VP_INDEX;
    if (ii->type == HVMSG_UNRECOVERABLE_EXCEPTION) {
        stop_partition(p);      /* the exit handler stopped it already; make sure */
        return;
    }
    if (st != HV_STATUS_SUCCESS) {
        hv_log("synic: partition %llu VP %u: intercept message %#x not delivered to the root "
               "(status %#x): partition stopped\n", (unsigned long long)p->id, vp->index,
               ii->type, st);
        stop_partition(p);
    }
}
