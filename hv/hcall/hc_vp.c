/* hc_vp.c — the virtual-processor hypercalls: HvCallCreateVp, GetVpRegisters, SetVpRegisters,
 * StartVirtualProcessor (TLFS 7 "Virtual Processor Management", 7.9 register names;
 * docs/HYPERVISOR.md "Partitions and virtual processors").
 *
 * Rules (beyond the dispatcher's checks):
 *  - CreateVp: the caller's child in state INITIALIZED (INVALID_PARTITION_STATE); VP index below
 *    the partition's VP limit and not yet created (INVALID_VP_INDEX); flags 0.
 *  - Get/SetVpRegisters: partition −1 = the caller, VP 0xFFFFFFFE = the calling VP; the VP must
 *    be NOT_STARTED or INTERCEPT_SUSPENDED (its registers are in vp->ctx), else
 *    INVALID_VP_STATE — this includes the calling VP itself, which is running. VTL and reserved
 *    fields must be 0. Registers: RAX..R15, RIP, RFLAGS, CR0/2/3/4/8, XFEM (XCR0), ES..TR, IDTR,
 *    GDTR, EFER, PAT, SYSENTER_CS/EIP/ESP, KERNEL_GS_BASE, STAR, LSTAR, CSTAR, SFMASK, TSC_AUX,
 *    and the suspend registers; any other name is INVALID_PARAMETER, and so is a value of the
 *    MSR-like registers the processor would refuse (msr_value_ok). Writing
 *    HvRegisterInterceptSuspend = 0 resumes the VP (RUNNABLE + vp_kick) when the whole call has
 *    completed; no other value may be written to the suspend registers.
 *  - StartVirtualProcessor: the caller itself or its child, INITIALIZED or FINALIZED; the VP
 *    exists and is NOT_STARTED (INVALID_VP_STATE); VTL 0. HV_INITIAL_VP_CONTEXT goes into
 *    vp->ctx (the other GPRs keep their values), marked dirty, then RUNNABLE + vp_kick.
 *
 * Invariants: vp->ctx and the VP's saved MSRs/XCR0 (vp->arch, hv/vmx/guest_switch.c) are
 * touched only while the VP is not runnable (part.h); the other register values are not checked
 * here: a state VM entry rejects is hv/vmx's to report (partition stopped).
 */
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "krt/krt.h"

uint16_t hc_create_vp(struct hc_ctx *x)
{
    struct hv_input_create_vp in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, false, &p);
    if (st)
        return st;
    if (p->state != HV_PART_INITIALIZED)
        return HV_STATUS_INVALID_PARTITION_STATE;
    if (in.flags)
        return HV_STATUS_INVALID_PARAMETER;
    if (in.vp_index >= hv_part_vp_limit(p) || p->vp[in.vp_index])
        return HV_STATUS_INVALID_VP_INDEX;
    struct hv_vp *vp;
    return (uint16_t)hv_vp_create(p, in.vp_index, &vp);
}

/* The VP a Get/SetVpRegisters header names, in a state whose registers are in vp->ctx. */
static uint16_t regs_vp(struct hc_ctx *x, struct hv_vp **out)
{
    struct hv_input_vp_registers h;
    memcpy(&h, x->in, sizeof(h));
    struct hv_partition *p;
    uint16_t st = hc_child(x, h.partition_id, true, &p);
    if (st)
        return st;
    if (h.input_vtl || h.rsvd_z8 || h.rsvd_z16)
        return HV_STATUS_INVALID_PARAMETER;
    uint32_t idx = h.vp_index;
    if (idx == HV_VP_INDEX_SELF) {
        if (p != x->caller)
            return HV_STATUS_INVALID_VP_INDEX;
        idx = x->vp->index;
    }
    if (idx >= HV_MAX_VPS || !p->vp[idx])
        return HV_STATUS_INVALID_VP_INDEX;
    struct hv_vp *vp = p->vp[idx];
    if (vp->state != HV_VP_NOT_STARTED && vp->state != HV_VP_INTERCEPT_SUSPENDED)
        return HV_STATUS_INVALID_VP_STATE;
    *out = vp;
    return HV_STATUS_SUCCESS;
}

static struct hv_seg *seg_reg(struct hv_vp_context *c, uint32_t name)
{
    switch (name) {
    case HV_X64_REGISTER_ES: return &c->es;
    case HV_X64_REGISTER_CS: return &c->cs;
    case HV_X64_REGISTER_SS: return &c->ss;
    case HV_X64_REGISTER_DS: return &c->ds;
    case HV_X64_REGISTER_FS: return &c->fs;
    case HV_X64_REGISTER_GS: return &c->gs;
    case HV_X64_REGISTER_LDTR: return &c->ldtr;
    case HV_X64_REGISTER_TR: return &c->tr;
    default: return NULL;
    }
}

static uint64_t *u64_reg(struct hv_vp_context *c, uint32_t name)
{
    if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15)
        return &c->gpr[name - HV_X64_REGISTER_RAX];
    switch (name) {
    case HV_X64_REGISTER_RIP: return &c->rip;
    case HV_X64_REGISTER_RFLAGS: return &c->rflags;
    case HV_X64_REGISTER_CR0: return &c->cr0;
    case HV_X64_REGISTER_CR2: return &c->cr2;
    case HV_X64_REGISTER_CR3: return &c->cr3;
    case HV_X64_REGISTER_CR4: return &c->cr4;
    case HV_X64_REGISTER_CR8: return &c->cr8;
    case HV_X64_REGISTER_EFER: return &c->efer;
    case HV_X64_REGISTER_PAT: return &c->pat;
    default: return NULL;
    }
}

/* The registers the VMCS does not hold (hv/vmx/guest_switch.c keeps them in vp->arch; a VP that
 * stopped for the root has them there, not in an LP) and SYSENTER (VMCS guest state, in ctx). */
static uint64_t *msr_reg(struct hv_vp *vp, uint32_t name)
{
    switch (name) {
    case HV_X64_REGISTER_KERNEL_GS_BASE: return &vp->arch.kernel_gs_base;
    case HV_X64_REGISTER_STAR: return &vp->arch.star;
    case HV_X64_REGISTER_LSTAR: return &vp->arch.lstar;
    case HV_X64_REGISTER_CSTAR: return &vp->arch.cstar;
    case HV_X64_REGISTER_SFMASK: return &vp->arch.sfmask;
    case HV_X64_REGISTER_TSC_AUX: return &vp->arch.tsc_aux;
    case HV_X64_REGISTER_XFEM: return &vp->arch.xcr0;
    case HV_X64_REGISTER_SYSENTER_CS: return &vp->ctx.sysenter_cs;
    case HV_X64_REGISTER_SYSENTER_EIP: return &vp->ctx.sysenter_eip;
    case HV_X64_REGISTER_SYSENTER_ESP: return &vp->ctx.sysenter_esp;
    default: return NULL;
    }
}

/* SDM Vol. 4 / Vol. 2 WRMSR: an address MSR takes only a canonical (48-bit) value, IA32_FMASK,
 * IA32_TSC_AUX and IA32_SYSENTER_CS only bits 31:0; XCR0 what XSETBV would take. A value the
 * processor would refuse is INVALID_PARAMETER here (the hypervisor loads these with WRMSR, XSETBV
 * and VM entry, which must not fault). */
static bool msr_value_ok(uint32_t name, uint64_t v)
{
    switch (name) {
    case HV_X64_REGISTER_KERNEL_GS_BASE:
    case HV_X64_REGISTER_LSTAR:
    case HV_X64_REGISTER_CSTAR:
    case HV_X64_REGISTER_SYSENTER_EIP:
    case HV_X64_REGISTER_SYSENTER_ESP:
        return (uint64_t)((int64_t)(v << 16) >> 16) == v;
    case HV_X64_REGISTER_SFMASK:
    case HV_X64_REGISTER_TSC_AUX:
    case HV_X64_REGISTER_SYSENTER_CS:
        return (v >> 32) == 0;
    case HV_X64_REGISTER_XFEM:
        return hv_xcr0_valid(v);
    default:
        return true;
    }
}

static struct hv_table *table_reg(struct hv_vp_context *c, uint32_t name)
{
    return name == HV_X64_REGISTER_IDTR ? &c->idtr : name == HV_X64_REGISTER_GDTR ? &c->gdtr : NULL;
}

static void seg_to_tlfs(const struct hv_seg *s, struct hv_x64_segment_register *r)
{
    r->base = s->base;
    r->limit = s->limit;
    r->selector = s->selector;
    r->attributes = s->attributes;
}

static void seg_from_tlfs(struct hv_seg *s, const struct hv_x64_segment_register *r)
{
    s->base = r->base;
    s->limit = r->limit;
    s->selector = r->selector;
    s->attributes = r->attributes;
}

static void table_to_tlfs(const struct hv_table *t, struct hv_x64_table_register *r)
{
    r->pad[0] = r->pad[1] = r->pad[2] = 0;
    r->limit = t->limit;
    r->base = t->base;
}

static uint16_t reg_get(struct hv_vp *vp, uint32_t name, union hv_register_value *v)
{
    struct hv_vp_context *c = &vp->ctx;
    uint64_t *r = u64_reg(c, name);
    struct hv_seg *s;
    struct hv_table *t;
    if (r || (r = msr_reg(vp, name)) != NULL)
        v->reg64 = *r;
    else if ((s = seg_reg(c, name)) != NULL)
        seg_to_tlfs(s, &v->segment);
    else if ((t = table_reg(c, name)) != NULL)
        table_to_tlfs(t, &v->table);
    else if (name == HV_REGISTER_EXPLICIT_SUSPEND)
        v->reg64 = 0;
    else if (name == HV_REGISTER_INTERCEPT_SUSPEND)
        v->reg64 = vp->state == HV_VP_INTERCEPT_SUSPENDED;
    else
        return HV_STATUS_INVALID_PARAMETER;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_get_vp_registers(struct hc_ctx *x)
{
    struct hv_vp *vp;
    uint16_t st = regs_vp(x, &vp);
    if (st)
        return st;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        uint32_t name;
        memcpy(&name, x->in + sizeof(struct hv_input_vp_registers) + (size_t)i * 4, 4);
        union hv_register_value v;
        memset(&v, 0, sizeof(v));
        if ((st = reg_get(vp, name, &v)) != HV_STATUS_SUCCESS)
            return st;
        memcpy(x->out + (size_t)i * sizeof(v), &v, sizeof(v));
        x->rep_done = i + 1;
    }
    return HV_STATUS_SUCCESS;
}

static uint16_t reg_set(struct hc_ctx *x, struct hv_vp *vp, uint32_t name,
                        const union hv_register_value *v)
{
    struct hv_vp_context *c = &vp->ctx;
    uint64_t *r = u64_reg(c, name);
    struct hv_seg *s;
    struct hv_table *t;
    if (r)
        *r = v->reg64;
    else if ((r = msr_reg(vp, name)) != NULL) {
        if (!msr_value_ok(name, v->reg64))
            return HV_STATUS_INVALID_PARAMETER;
        *r = v->reg64;
    } else if ((s = seg_reg(c, name)) != NULL)
        seg_from_tlfs(s, &v->segment);
    else if ((t = table_reg(c, name)) != NULL) {
        t->limit = v->table.limit;
        t->base = v->table.base;
    } else if (name == HV_REGISTER_EXPLICIT_SUSPEND) {
        return v->reg64 == 0 ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_PARAMETER;
    } else if (name == HV_REGISTER_INTERCEPT_SUSPEND) {
        if (v->reg64 != 0)
            return HV_STATUS_INVALID_PARAMETER;
        if (vp->state == HV_VP_INTERCEPT_SUSPENDED) {
            x->resume = vp;
            c->dirty = true;    /* the VP's LP loads vp->ctx before the next entry */
        }
        return HV_STATUS_SUCCESS;
    } else
        return HV_STATUS_INVALID_PARAMETER;
    c->dirty = true;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_set_vp_registers(struct hc_ctx *x)
{
    struct hv_vp *vp;
    uint16_t st = regs_vp(x, &vp);
    if (st)
        return st;
    for (uint32_t i = x->rep_start; i < x->rep_end; i++) {
        struct hv_register_assoc a;
        memcpy(&a, x->in + sizeof(struct hv_input_vp_registers) + (size_t)i * sizeof(a),
               sizeof(a));
        if (a.reserved1 || a.reserved2)
            return HV_STATUS_INVALID_PARAMETER;
        union hv_register_value v = a.value;
        if ((st = reg_set(x, vp, a.name, &v)) != HV_STATUS_SUCCESS)
            return st;
        x->rep_done = i + 1;
    }
    return HV_STATUS_SUCCESS;
}

uint16_t hc_start_vp(struct hc_ctx *x)
{
    struct hv_input_start_vp in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, true, &p);
    if (st)
        return st;
    if (p->state != HV_PART_INITIALIZED && p->state != HV_PART_FINALIZED)
        return HV_STATUS_INVALID_PARTITION_STATE;
    if (in.target_vtl || in.padding[0] || in.padding[1] || in.padding[2])
        return HV_STATUS_INVALID_PARAMETER;
    if (in.vp_index >= HV_MAX_VPS || !p->vp[in.vp_index])
        return HV_STATUS_INVALID_VP_INDEX;
    struct hv_vp *vp = p->vp[in.vp_index];
    if (vp->state != HV_VP_NOT_STARTED)
        return HV_STATUS_INVALID_VP_STATE;
    const struct hv_initial_vp_context *ic = &in.vp_context;
    struct hv_vp_context *c = &vp->ctx;
    c->rip = ic->rip;
    c->gpr[4] = ic->rsp;
    c->rflags = ic->rflags;
    seg_from_tlfs(&c->cs, &ic->cs);
    seg_from_tlfs(&c->ds, &ic->ds);
    seg_from_tlfs(&c->es, &ic->es);
    seg_from_tlfs(&c->fs, &ic->fs);
    seg_from_tlfs(&c->gs, &ic->gs);
    seg_from_tlfs(&c->ss, &ic->ss);
    seg_from_tlfs(&c->tr, &ic->tr);
    seg_from_tlfs(&c->ldtr, &ic->ldtr);
    c->idtr.limit = ic->idtr.limit;
    c->idtr.base = ic->idtr.base;
    c->gdtr.limit = ic->gdtr.limit;
    c->gdtr.base = ic->gdtr.base;
    c->efer = ic->efer;
    c->cr0 = ic->cr0;
    c->cr3 = ic->cr3;
    c->cr4 = ic->cr4;
    c->pat = ic->msr_cr_pat;
    c->dirty = true;
    vp->state = HV_VP_RUNNABLE;
    vp_kick(vp);
    return HV_STATUS_SUCCESS;
}
