/* exception.c — delivery of exceptions and interrupts (SDM Vol. 3 chapter 6; Vol. 2 INT n
 * pseudocode): the real-mode IVT, the protected-mode IDT (interrupt/trap gates, stack switch
 * through the TSS), the IA-32e IDT (16-byte gates, IST, RSP0-2), error codes with the EXT and
 * IDT bits, double-fault escalation (Table 6-5) and triple fault.
 *
 * Invariants:
 *  - Every check and every frame write happens before any register changes: a fault during
 *    delivery (cpu_fault -> run loop -> cpu_deliver_exception) finds the state of the
 *    interrupted instruction and c->delivering naming the event that failed.
 *  - c->delivering is -1 between events, the vector of an exception being delivered, or
 *    DELIVERING_INTR for interrupts (which Table 6-5 treats like benign events).
 *  - A fault while delivering #DF stops the machine (STOP_TRIPLE_FAULT with a report); it never
 *    returns to guest code. In VMX non-root operation it is a VM exit (reason 2) instead, and
 *    every exception first meets the exception bitmap (vmx_event_deliver, SDM Vol. 3 25.2).
 *  - A #DB trap writes its DR6 bits (BS, or those of pending debug exceptions) only when it is
 *    delivered through the IDT; in non-root operation higher-priority exits take it over first
 *    (vmx_db_trap).
 */
#include "cpu/exception.h"

#include <stdio.h>

#include "cpu/cpu.h"
#include "cpu/sys_seg.h"

/* One event being delivered. */
struct event {
    unsigned vector;
    int kind;           /* enum intr_kind, or EV_HW for a processor-detected exception */
    bool has_err;
    uint32_t err;
    bool is_fault;      /* fault class: RF = 1 in the pushed RFLAGS (SDM 6.13, 17.3.1.1) */
    unsigned ext;       /* EXT bit for error codes of faults raised during delivery */
};
#define EV_HW (-1)

static bool ev_software(const struct event *ev)
{
    return ev->kind == INTR_SOFTWARE || ev->kind == INTR_SOFT_EXCEPTION;
}

/* ------------------------------------------------------------------ Table 6-5 */

enum exc_class { EXC_BENIGN, EXC_CONTRIBUTORY, EXC_PAGE_FAULT };

/* SDM Vol. 3 Table 6-4: contributory exceptions are #DE #TS #NP #SS #GP (and #CP); #PF and #VE
 * form the page-fault class; everything else (and every interrupt) is benign. */
static enum exc_class exc_class(int v)
{
    switch (v) {
    case VEC_DE: case VEC_TS: case VEC_NP: case VEC_SS: case VEC_GP: case VEC_CP:
        return EXC_CONTRIBUTORY;
    case VEC_PF: case VEC_VE:
        return EXC_PAGE_FAULT;
    default:
        return EXC_BENIGN;
    }
}

static const char *const vec_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9", "#TS", "#NP",
    "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static const char *vec_name(int v)
{
    return v >= 0 && v < 32 && vec_names[v] ? vec_names[v] : "interrupt";
}

static void triple_fault(struct cpu *c, int second, bool has_err, uint32_t err)
{
    char regs[160];
    snprintf(regs, sizeof regs, "CS:RIP=%04x:%#llx CPL=%u CR2=%#llx", c->seg[SEG_CS].sel,
             (unsigned long long)c->rip, c->cpl, (unsigned long long)c->cr2);
    if (has_err)
        snprintf(c->stop_msg, sizeof c->stop_msg,
                 "triple fault: %s (error code %#x) while delivering #DF; %s", vec_name(second),
                 err, regs);
    else
        snprintf(c->stop_msg, sizeof c->stop_msg, "triple fault: %s while delivering #DF; %s",
                 vec_name(second), regs);
    c->stop = STOP_TRIPLE_FAULT;
    c->delivering = -1;
    c->block_end = true;
}

/* ------------------------------------------------------------------ common pieces */

/* RFLAGS image to push, and RFLAGS after delivery (SDM 6.12.1.3: TF, VM, RF, NT cleared; IF
 * cleared through an interrupt gate). */
static uint64_t pushed_flags(struct cpu *c, const struct event *ev)
{
    uint64_t f = cpu_get_rflags(c);
    if (ev->is_fault && ev->vector != VEC_DB)
        f |= RF_RF;
    return f;
}

static void finish_flags(struct cpu *c, uint64_t flags, bool int_gate)
{
    flags &= ~(uint64_t)(RF_TF | RF_VM | RF_RF | RF_NT);
    if (int_gate)
        flags &= ~(uint64_t)RF_IF;
    cpu_set_rflags(c, flags);
}

/* Read the gate for `v` (8 bytes, or 16 in IA-32e mode). #GP(vector, IDT, EXT) beyond the limit. */
static void idt_gate(struct cpu *c, const struct event *ev, struct desc *g, bool wide)
{
    unsigned size = wide ? 16 : 8;
    if ((uint64_t)ev->vector * size + size - 1 > c->idtr.limit)
        cpu_fault(c, VEC_GP, idt_err(ev->vector, ev->ext));
    uint64_t lin = c->idtr.base + (uint64_t)ev->vector * size;
    if (!wide)
        lin &= 0xffffffffull;
    uint64_t q = mmu_read(c, lin, 8, ACC_READ | ACC_IMPLICIT_SUPER);
    g->lo = (uint32_t)q;
    g->hi = (uint32_t)(q >> 32);
    g->hi2 = g->hi3 = 0;
    if (wide) {
        q = mmu_read(c, lin + 8, 8, ACC_READ | ACC_IMPLICIT_SUPER);
        g->hi2 = (uint32_t)q;
        g->hi3 = (uint32_t)(q >> 32);
    }
}

/* Checks common to every gate: software INT DPL (#GP), presence (#NP). */
static void gate_access(struct cpu *c, const struct event *ev, const struct desc *g)
{
    if (ev_software(ev) && desc_dpl(g) < c->cpl)
        cpu_fault(c, VEC_GP, idt_err(ev->vector, 0));
    if (!desc_present(g))
        cpu_fault(c, VEC_NP, idt_err(ev->vector, ev->ext));
}

/* The handler's code segment (SDM Vol. 2 INT n: "PROTECTED-MODE" checks on the new CS). */
static void gate_target(struct cpu *c, const struct event *ev, uint16_t sel, struct desc *d,
                        bool need64)
{
    if ((sel & 0xfffc) == 0)
        cpu_fault(c, VEC_GP, ev->ext);
    desc_read(c, sel, d, VEC_GP, ev->ext, false);
    if (!desc_is_code(d) || desc_dpl(d) > c->cpl)
        cpu_fault(c, VEC_GP, sel_err(sel, ev->ext));
    if (need64 && (!(desc_ar(d) & AR_L) || (desc_ar(d) & AR_DB)))
        cpu_fault(c, VEC_GP, sel_err(sel, ev->ext));
    if (!desc_present(d))
        cpu_fault(c, VEC_NP, sel_err(sel, ev->ext));
}

/* ------------------------------------------------------------------ real mode */

/* SDM Vol. 2 INT n, REAL-ADDRESS-MODE; Vol. 3 21.1.4: IVT entry of 4 bytes, frame FLAGS CS IP. */
static void deliver_real(struct cpu *c, const struct event *ev)
{
    if ((uint64_t)ev->vector * 4 + 3 > c->idtr.limit)
        cpu_fault(c, VEC_GP, 0);
    uint32_t ent = (uint32_t)mmu_read(c, (c->idtr.base + ev->vector * 4) & 0xffffffffull, 4,
                                      ACC_READ | ACC_IMPLICIT_SUPER);
    uint64_t flags = pushed_flags(c, ev);
    struct frame f = { .ss = c->seg[SEG_SS], .sp = stack_sp(c), .width = c->stack_size,
                       .ss_err = 0, .acc = 0 };
    frame_push(c, &f, flags & 0xffff, 2);
    frame_push(c, &f, c->seg[SEG_CS].sel, 2);
    frame_push(c, &f, c->rip & 0xffff, 2);
    stack_set_sp(c, f.sp);
    seg_load_real(c, SEG_CS, (uint16_t)(ent >> 16));
    c->rip = ent & 0xffff;
    cpu_set_rflags(c, flags & ~(uint64_t)(RF_IF | RF_TF | RF_AC | RF_RF));
    cpu_update_mode(c);
}

/* ------------------------------------------------------------------ protected mode */

/* SDM Vol. 3 6.12.1; Vol. 2 INT n: INTER-PRIVILEGE-LEVEL-INTERRUPT and INTRA-PRIVILEGE-LEVEL. */
static void deliver_prot(struct cpu *c, const struct event *ev)
{
    struct desc g, d, sd;
    idt_gate(c, ev, &g, false);
    unsigned ty = desc_type(&g);
    bool valid = !desc_s(&g) && (ty == DT_TASKGATE || ty == DT_INTGATE16 || ty == DT_TRAPGATE16 ||
                                 ty == DT_INTGATE || ty == DT_TRAPGATE);
    if (!valid)
        cpu_fault(c, VEC_GP, idt_err(ev->vector, ev->ext));
    gate_access(c, ev, &g);
    if (ty == DT_TASKGATE) {
        sys_unsupported(c, "task gate in the IDT (hardware task switching)");
        return;
    }
    bool gate32 = ty >= 8, int_gate = !(ty & 1);
    unsigned psize = gate32 ? 4 : 2;
    uint16_t sel = gate_sel(&g);
    uint64_t eip = gate32 ? ((g.lo & 0xffffu) | (g.hi & 0xffff0000u)) : (g.lo & 0xffffu);
    gate_target(c, ev, sel, &d, false);
    unsigned dpl = desc_dpl(&d), cpl = c->cpl;
    bool conforming = desc_type(&d) & TY_C;
    uint64_t flags = pushed_flags(c, ev);
    uint16_t old_cs = c->seg[SEG_CS].sel, old_ss = c->seg[SEG_SS].sel;
    uint64_t old_rsp = c->gpr[R_RSP];
    uint64_t ret = c->rip & (gate32 ? 0xffffffffull : 0xffffull);

    if (!conforming && dpl < cpl) {
        uint16_t nss;
        uint64_t nsp;
        tss_stack(c, dpl, 0, ev->ext, &nss, &nsp);
        seg_check_ss(c, nss, dpl, &sd, VEC_TS, ev->ext, false);
        struct frame f = { .sp = nsp, .ss_err = sel_err(nss, ev->ext),
                           .acc = cpl == 3 ? ACC_IMPLICIT_SUPER : 0 };
        seg_from_desc(&f.ss, nss, &sd);
        f.width = (f.ss.ar & AR_DB) ? 4 : 2;
        if (eip > desc_limit(&d))
            cpu_fault(c, VEC_GP, ev->ext);
        frame_push(c, &f, old_ss, psize);
        frame_push(c, &f, old_rsp & (gate32 ? 0xffffffffull : 0xffffull), psize);
        frame_push(c, &f, flags, psize);
        frame_push(c, &f, old_cs, psize);
        frame_push(c, &f, ret, psize);
        if (ev->has_err)
            frame_push(c, &f, ev->err, psize);
        desc_set_accessed(c, nss, &sd);
        desc_set_accessed(c, sel, &d);
        seg_commit_ss(c, (uint16_t)nss, &sd, dpl);
        c->gpr[R_RSP] = f.width == 4 ? (uint32_t)f.sp : ((nsp & ~0xffffull) | f.sp);
        seg_commit_cs(c, sel, &d, dpl, eip);
    } else if (conforming || dpl == cpl) {
        struct frame f = { .ss = c->seg[SEG_SS], .sp = stack_sp(c), .width = c->stack_size,
                           .ss_err = ev->ext, .acc = 0 };
        if (eip > desc_limit(&d))
            cpu_fault(c, VEC_GP, ev->ext);
        frame_push(c, &f, flags, psize);
        frame_push(c, &f, old_cs, psize);
        frame_push(c, &f, ret, psize);
        if (ev->has_err)
            frame_push(c, &f, ev->err, psize);
        desc_set_accessed(c, sel, &d);
        stack_set_sp(c, f.sp);
        seg_commit_cs(c, sel, &d, cpl, eip);
    } else {
        cpu_fault(c, VEC_GP, sel_err(sel, ev->ext));
    }
    finish_flags(c, flags & ~(uint64_t)RF_RF, int_gate);
    cpu_update_mode(c);
}

/* ------------------------------------------------------------------ IA-32e mode */

/* SDM Vol. 3 6.14 (64-bit IDT gates, stack frame, IST); Vol. 2 INT n: IA-32e-MODE. The frame is
 * always SS, RSP, RFLAGS, CS, RIP (+ error code), 8 bytes each, on a 16-byte aligned stack. */
static void deliver_long(struct cpu *c, const struct event *ev)
{
    struct desc g, d;
    idt_gate(c, ev, &g, true);
    unsigned ty = desc_type(&g);
    if (desc_s(&g) || (ty != DT_INTGATE && ty != DT_TRAPGATE) || (g.hi3 & 0x1f00))
        cpu_fault(c, VEC_GP, idt_err(ev->vector, ev->ext));
    gate_access(c, ev, &g);
    uint16_t sel = gate_sel(&g);
    uint64_t rip = gate_offset(&g);
    gate_target(c, ev, sel, &d, true);
    unsigned dpl = desc_dpl(&d), cpl = c->cpl, ist = gate_ist(&g), new_cpl;
    bool conforming = desc_type(&d) & TY_C;
    uint64_t sp;
    uint16_t nss;
    if (!conforming && dpl < cpl)
        new_cpl = dpl;
    else if (conforming || dpl == cpl)
        new_cpl = cpl;
    else
        cpu_fault(c, VEC_GP, sel_err(sel, ev->ext));
    if (new_cpl != cpl || ist) {
        tss_stack(c, new_cpl, ist, ev->ext, &nss, &sp);
    } else {
        sp = c->gpr[R_RSP];
        nss = c->seg[SEG_SS].sel;
    }
    if (!sys_canonical(c, rip))
        cpu_fault(c, VEC_GP, ev->ext);
    uint64_t flags = pushed_flags(c, ev);
    struct frame f = { .sp = sp & ~0xfull, .width = 8, .ss_err = ev->ext,
                       .acc = (cpl == 3 && new_cpl < 3) ? ACC_IMPLICIT_SUPER : 0 };
    frame_push(c, &f, c->seg[SEG_SS].sel, 8);
    frame_push(c, &f, c->gpr[R_RSP], 8);
    frame_push(c, &f, flags, 8);
    frame_push(c, &f, c->seg[SEG_CS].sel, 8);
    frame_push(c, &f, c->rip, 8);
    if (ev->has_err)
        frame_push(c, &f, ev->err, 8);
    desc_set_accessed(c, sel, &d);
    if (new_cpl != cpl)
        seg_commit_ss(c, (uint16_t)new_cpl, NULL, new_cpl);   /* null SS, RPL = new CPL */
    (void)nss;
    c->gpr[R_RSP] = f.sp;
    seg_commit_cs(c, sel, &d, new_cpl, rip);
    finish_flags(c, flags & ~(uint64_t)RF_RF, ty == DT_INTGATE);
    cpu_update_mode(c);
}

/* ------------------------------------------------------------------ entry points */

static void deliver(struct cpu *c, const struct event *ev)
{
    c->ctr.cycles += c->model->exception;
    if (ev->kind == EV_HW || ev->kind == INTR_SOFT_EXCEPTION || ev->kind == INTR_ICEBP)
        c->ctr.exceptions++;
    else
        c->ctr.interrupts++;
    c->halted = false;
    c->block_end = true;
    switch (c->mode) {
    case MODE_REAL:
        deliver_real(c, ev);
        break;
    case MODE_VM86:
        sys_unsupported(c, "interrupt or exception in virtual-8086 mode");
        break;
    case MODE_PROT:
        deliver_prot(c, ev);
        break;
    default:
        deliver_long(c, ev);
        break;
    }
    c->delivering = -1;
    c->vmx.vect_info = 0;       /* delivered: nothing for an IDT-vectoring field any more */
    c->block_end = true;
}

/* Error codes: only #DF #TS #NP #SS #GP #PF #AC #CP push one (SDM Vol. 3 Table 6-1), and real
 * mode pushes none (21.1.4). */
static bool pushes_error(const struct cpu *c, int vector)
{
    static const uint32_t with_error = 1u << VEC_DF | 1u << VEC_TS | 1u << VEC_NP |
        1u << VEC_SS | 1u << VEC_GP | 1u << VEC_PF | 1u << VEC_AC | 1u << VEC_CP;
    return c->mode != MODE_REAL && vector < 32 && (with_error >> vector & 1);
}

void cpu_deliver_exception(struct cpu *c, int vector, bool has_error, uint32_t error, bool is_fault)
{
    int first = c->delivering;
    if (!is_fault)
        c->insn_start = c->rip;     /* a trap: a fault during its delivery reports this RIP */
    bool nonroot = c->vmx.nonroot;
    /* a #DB trap (single-step, or pending debug exceptions after VM entry): its DR6 bits (SDM
     * Vol. 3 17.2.3), written only when it is delivered through the IDT (a VM exit leaves DR6
     * alone, 28.1); in VMX non-root operation INIT, TPR-threshold and MTF exits come first */
    bool db_trap = vector == VEC_DB && !is_fault && first < 0;
    uint32_t db_bits = VMX_DB_BITS(c->vmx.db_cause);        /* 0: single-step (BS) */
    if (db_trap && nonroot)
        vmx_db_trap(c);
    if (first >= 0 && first != DELIVERING_INTR) {
        if (first == VEC_DF) {
            if (nonroot)
                vmx_triple_fault_exit(c);   /* SDM Vol. 3 25.2: exit reason 2 */
            triple_fault(c, vector, has_error, error);
            return;
        }
        enum exc_class c1 = exc_class(first), c2 = exc_class(vector);
        if ((c1 == EXC_CONTRIBUTORY && c2 == EXC_CONTRIBUTORY) ||
            (c1 == EXC_PAGE_FAULT && c2 != EXC_BENIGN)) {
            /* VMX: the second exception exits before it would form a #DF (25.2) */
            if (nonroot)
                vmx_event_deliver(c, (unsigned)vector, -1, has_error && pushes_error(c, vector),
                                  error, 0);
            vector = VEC_DF;        /* abort class: error code 0 (SDM 6.15, interrupt 8) */
            has_error = true;
            error = 0;
            is_fault = false;
        }
    }
    if (!pushes_error(c, vector))
        has_error = false;
    /* VMX non-root: the exception bitmap (exit), else IDT-vectoring bookkeeping (vmx_event.c) */
    if (nonroot) {
        c->vmx.exit_rf = is_fault && vector != VEC_DB;  /* RF as the pushed image would have */
        vmx_event_deliver(c, (unsigned)vector, -1, has_error, error, 0);
        c->vmx.exit_rf = false;
    }
    if (db_trap)
        c->dr[6] |= db_bits;
    struct event ev = { .vector = (unsigned)vector, .kind = EV_HW, .has_err = has_error,
                        .err = error, .is_fault = is_fault, .ext = 1 };
    c->delivering = (int8_t)vector;
    deliver(c, &ev);
}

void cpu_deliver_interrupt(struct cpu *c, uint8_t vector, int kind)
{
    if (c->vmx.nonroot) {
        /* software events: the instruction length for the IDT-vectoring / exit fields */
        uint64_t len = kind == INTR_SOFTWARE || kind == INTR_SOFT_EXCEPTION || kind == INTR_ICEBP
                           ? (c->rip - c->insn_start) & 0xf : 0;
        vmx_event_deliver(c, vector, kind, false, 0, (uint32_t)len);
    }
    struct event ev = { .vector = vector, .kind = kind, .has_err = false, .err = 0,
                        .is_fault = false,
                        .ext = (kind == INTR_SOFTWARE || kind == INTR_SOFT_EXCEPTION) ? 0u : 1u };
    c->delivering = kind == INTR_SOFT_EXCEPTION ? (int8_t)vector : DELIVERING_INTR;
    deliver(c, &ev);
    if (kind == INTR_NMI && c->stop == STOP_NONE)
        c->nmi_blocked = true;     /* until the next IRET (SDM Vol. 3 6.7.1) */
}
