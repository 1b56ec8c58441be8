/* exec.c — the run loop of one logical processor: events at instruction boundaries, block
 * fetch through the MMU and the decode cache, execution, instruction counting and cycle charging.
 *
 * Invariants:
 *  - Instructions retire in program order; c->ctr.insns counts retired instructions only (a
 *    faulting instruction is not counted).
 *  - While a handler runs, c->insn_start is its RIP and c->rip the next instruction's RIP.
 *  - External interrupts and NMIs are accepted only between instructions, never in an interrupt
 *    shadow (STI, MOV SS/POP SS: SDM Vol. 3 6.8.3), and only when RFLAGS.IF = 1 (NMI: unless
 *    blocked by a previous NMI until IRET, SDM 6.7.1).
 *  - A fault (cpu_fault) unwinds to here with longjmp; RIP is reset to the faulting instruction
 *    and the exception is delivered (exception.c does #DF / triple-fault escalation).
 *  - Nothing here reads host time or host state: the instruction budget is the only input.
 *  - In VMX non-root operation (c->vmx.nonroot) each block boundary first gives vmx_event.c its
 *    turn (exits, injection); a VM exit requested inside an instruction (FAULT_VMEXIT) unwinds
 *    here like a fault and is performed instead of an exception delivery. The block loop exists
 *    in a root and a non-root instance, so root operation pays nothing for VMX.
 */
#include <stdio.h>

#include <capstone/capstone.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/exception.h"
#include "cpu/mem.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "traces/tracer.h"

_Noreturn void cpu_fault(struct cpu *c, int vector, uint32_t error_code)
{
    c->fault_vector = (uint8_t)vector;
    c->fault_has_error = true;
    c->fault_error = error_code;
    longjmp(c->fault_jmp, 1);
}

_Noreturn void cpu_abort(struct cpu *c, enum cpu_stop why)
{
    c->stop = (uint8_t)why;
    c->fault_vector = FAULT_ABORT;
    longjmp(c->fault_jmp, 1);
}

_Noreturn void cpu_fault_noerr(struct cpu *c, int vector)
{
    c->fault_vector = (uint8_t)vector;
    c->fault_has_error = false;
    c->fault_error = 0;
    longjmp(c->fault_jmp, 1);
}

/* Trace records (traces/tracer.h); c->trace is NULL unless the run records a trace. */
static void trace_deliver(struct cpu *c, uint8_t vector, int kind)
{
    if (__builtin_expect(c->trace != NULL, 0)) {
        uint64_t v[3] = { vector, (uint64_t)kind, c->rip };
        tracer_cpu(c->trace, c, TEV_IRQ_DELIVER, v);
    }
}

/* A fault (type: hardware exception, SDM Vol. 3 24.8.3), recorded when it is raised: before the
 * exception bitmap or #DF escalation decide what becomes of it (docs/TRACE-FORMAT.md). */
static void trace_exception(struct cpu *c)
{
    if (__builtin_expect(c->trace != NULL, 0)) {
        uint64_t v[5] = { c->fault_vector, c->fault_error, c->fault_has_error, c->insn_start,
                          VMX_INTR_HW_EXCEPTION };
        tracer_cpu(c->trace, c, TEV_EXCEPTION, v);
    }
}

/* The single-step #DB trap (SDM Vol. 3 17.3.1.4) after the instruction at c->insn_start. */
static void trace_step_trap(struct cpu *c)
{
    if (__builtin_expect(c->trace != NULL, 0)) {
        uint64_t v[5] = { VEC_DB, 0, 0, c->insn_start, VMX_INTR_HW_EXCEPTION };
        tracer_cpu(c->trace, c, TEV_EXCEPTION, v);
    }
}

/* Accept a pending NMI or external interrupt if the CPU can take one now. */
static void accept_events(struct cpu *c)
{
    if (c->nmi_pending && !c->nmi_blocked) {
        c->nmi_pending = false;
        c->halted = false;
        c->insn_start = c->rip;
        trace_deliver(c, VEC_NMI, INTR_NMI);
        cpu_deliver_interrupt(c, VEC_NMI, INTR_NMI);
        return;
    }
    if ((c->rflags & RF_IF) && c->irq.pending && c->irq.pending(c->irq.opaque)) {
        uint8_t v = c->irq.ack(c->irq.opaque);
        c->halted = false;
        c->insn_start = c->rip;
        trace_deliver(c, v, INTR_EXTERNAL);
        cpu_deliver_interrupt(c, v, INTR_EXTERNAL);
    }
}

static void stop_unsupported_fetch(struct cpu *c, uint64_t pa)
{
    c->stop = STOP_SHUTDOWN_UNSUPPORTED;
    snprintf(c->stop_msg, sizeof c->stop_msg,
             "instruction fetch at RIP %#llx from physical address %#llx, which is not RAM "
             "(hvsim executes code from RAM only)",
             (unsigned long long)c->rip, (unsigned long long)pa);
}

/* Execute one instruction: while its handler runs, c->insn_start is its RIP and c->rip the next. */
static inline __attribute__((always_inline)) void exec_one(struct cpu *c, const struct insn *i,
                                                           uint64_t ripmask)
{
    c->blk_cur = i;
    uint64_t rip = c->rip;
    c->insn_start = rip;
    c->rip = (rip + i->len) & ripmask;
    i->fn(c, i);
}

/* IRET loads RFLAGS.RF from its stack image, so RF after it is the image's (POPF clears RF:
 * SDM Vol. 2 POPF). */
static bool loads_rflags(const struct insn *i)
{
    return i->id == X86_INS_IRET || i->id == X86_INS_IRETD || i->id == X86_INS_IRETQ;
}

/* Give every instruction of b its cumulative class cost under model m (once per block). */
static void block_cost(struct block *b, const struct cpu_model *m)
{
    uint32_t sum = 0;
    for (unsigned k = 0; k < b->n; k++) {
        sum += m->class_cost[b->insns[k].cls];
        b->insns[k].cum_cost = sum;
    }
    b->cost_model = m;
}

/* Retire the instructions of the current block before `upto` (exclusive). */
static inline void retire(struct cpu *c, const struct insn *upto)
{
    const struct insn *first = c->blk_first;
    if (first && upto > first) {
        c->ctr.insns += (uint64_t)(upto - first);
        c->ctr.cycles += upto[-1].cum_cost;
    }
    c->blk_first = NULL;
}

/* Find the block at pa, through the successor cache of the previous block when possible. */
static inline struct block *next_block(struct dcache *d, struct cpu *c, struct block *prev,
                                       uint64_t pa, uint64_t lin)
{
    unsigned cs = c->code_size;
    if (prev) {
        for (int k = 0; k < 2; k++) {
            struct block *s = prev->succ[k];
            if (s && prev->succ_epoch[k] == d->epoch && s->pa == pa && s->code_size == cs)
                return s;
        }
    }
    struct block *b = dcache_lookup(d, c, pa, lin);
    if (prev && b && b != d->scratch && prev != d->scratch) {
        int k = prev->succ[0] && prev->succ_epoch[0] == d->epoch;   /* fill a free/stale slot */
        prev->succ[k] = b;
        prev->succ_epoch[k] = d->epoch;
    }
    return b;
}

/* Execute blocks until a stop or until the budget (counted from `start`) is used up. Called
 * afresh after every fault, so its locals never live across a longjmp. Instantiated twice:
 * `nonroot` is a constant, so VMX root operation (and a CPU without VMX) pays nothing for the
 * non-root boundary hook; a VM entry or exit leaves the loop (vmx_run_switch) and cpu_run picks
 * the other instance. */
static inline __attribute__((always_inline)) void run_blocks_impl(struct cpu *c, uint64_t start,
                                                                  uint64_t max_insns,
                                                                  const bool nonroot)
{
    const struct cpu_model *model = c->model;
    struct dcache *d = c->dcache;
    struct block *prev = NULL;

    while (c->stop == STOP_NONE) {
        uint64_t done = c->ctr.insns - start;
        if (done >= max_insns || c->ctr.cycles >= c->cycle_limit)
            break;
        dcache_reclaim(d);
        if (nonroot) {
            /* VMX non-root operation: exits and injection at this boundary (vmx_event.c) */
            int r = vmx_event_boundary(c);
            if (r > 0) {
                if (!c->vmx.nonroot)
                    break;          /* a VM exit: cpu_run continues in the root instance */
                prev = NULL;
                continue;
            }
            if (r < 0) {
                c->stop = STOP_HLT;
                break;
            }
        }
        if (c->intr_shadow == 0 && (c->nmi_pending || (c->rflags & RF_IF))) {
            accept_events(c);
            if (c->stop != STOP_NONE)
                break;
        }
        if (c->halted) {
            c->stop = STOP_HLT;
            break;
        }

        c->insn_start = c->rip;
        uint64_t lin = c->mode == MODE_LONG64 ? c->rip : seg_lin(c, SEG_CS, c->rip, 1, ACC_FETCH);
        uint64_t pa = mmu_fetch_pa(c, lin);
        struct block *b = next_block(d, c, prev, pa, lin);
        if (!b) {
            stop_unsupported_fetch(c, pa);
            break;
        }
        if (__builtin_expect(b->cost_model != model, 0))
            block_cost(b, model);

        const uint64_t ripmask = b->code_size == 8 ? ~0ull : b->code_size == 4 ? 0xffffffffull
                                                                                 : 0xffffull;
        const struct insn *i = b->insns;
        bool single_step = c->rflags & RF_TF;
        /* RFLAGS.RF (set by IRET, a fault's delivery or VM entry) is cleared when the next
         * instruction completes (SDM Vol. 3 17.3.1.1): run that instruction alone */
        const bool rf = c->rflags & RF_RF;
        /* monitor trap flag (SDM Vol. 3 25.5.2): one instruction at a time, then an MTF exit */
        const bool mtf = nonroot && (c->vmx.vmcs[VMCS_PROC_CONTROLS] & VMX_PROC_MTF);
        /* VMX-preemption timer (25.5.1): if it expires inside this block, stop at the first
         * instruction boundary at or past the deadline, where vmx_event_boundary exits */
        uint64_t n_timer = b->n;
        if (nonroot && c->vmx.preempt_armed &&
            c->ctr.cycles + b->insns[b->n - 1].cum_cost > c->vmx.preempt_deadline) {
            n_timer = 1;
            while (n_timer < b->n &&
                   c->ctr.cycles + b->insns[n_timer - 1].cum_cost < c->vmx.preempt_deadline)
                n_timer++;
        }
        c->block_end = false;
        c->blk_first = i;
        d->cur = c;
        if (__builtin_expect(b->n <= max_insns - done && !c->intr_shadow && !single_step && !mtf &&
                             !rf && n_timer == b->n, 1)) {
            /* The whole block: the end marker stops the loop, so no count check per insn. */
            for (;;) {
                exec_one(c, i, ripmask);
                if (c->block_end)
                    break;
                i++;
            }
            if (i->fn == op_block_end)
                i--;
        } else {
            /* Part of it: the budget ends inside the block, single-step, or an interrupt shadow
             * (which covers exactly the next instruction). */
            uint64_t n = b->n;
            if (n > max_insns - done)
                n = max_insns - done;
            if (n > n_timer)
                n = n_timer;
            if (c->intr_shadow || single_step || mtf || rf)
                n = 1;
            c->vmx.shadow_insn = c->intr_shadow;    /* what a VM exit of this insn saves */
            c->intr_shadow = 0;
            const struct insn *last = b->insns + n - 1;
            for (;;) {
                exec_one(c, i, ripmask);
                if (c->block_end || i == last)
                    break;
                i++;
            }
            c->vmx.shadow_insn = 0;
        }
        retire(c, i + 1);
        d->cur = NULL;
        prev = b->dead ? NULL : b;
        /* the instruction completed: RF clears, unless it loaded RF itself (IRET) */
        if (rf && c->stop == STOP_NONE && c->vmx.nonroot == nonroot && !loads_rflags(i))
            c->rflags &= ~(uint64_t)RF_RF;

        if (mtf && c->vmx.nonroot && c->stop == STOP_NONE)
            c->vmx.mtf_pending = true;  /* MTF exit at the next boundary (before a #DB trap) */
        /* (a trap-like VM exit inside the block, e.g. TPR below threshold, took the processor
         * out of the guest: the guest's single-step trap is not delivered to the host) */
        if (single_step && c->stop == STOP_NONE && c->vmx.nonroot == nonroot) {
            trace_step_trap(c);
            cpu_deliver_exception(c, VEC_DB, false, 0, false);     /* DR6.BS set by delivery */
        }
    }
}

static void run_blocks_root(struct cpu *c, uint64_t start, uint64_t max_insns)
{
    run_blocks_impl(c, start, max_insns, false);
}

static void run_blocks_nonroot(struct cpu *c, uint64_t start, uint64_t max_insns)
{
    run_blocks_impl(c, start, max_insns, true);
}

/* VM entry and VM exit in the middle of a block: make the run loop stop at the block's end by
 * the cycle-limit test it makes anyway (no test per block for VMX); cpu_run restores the limit. */
void vmx_run_switch(struct cpu *c)
{
    if (c->cycle_limit) {
        c->vmx.saved_cycle_limit = c->cycle_limit;
        c->cycle_limit = 0;
    }
}

uint64_t cpu_run(struct cpu *c, uint64_t max_insns)
{
    const uint64_t start = c->ctr.insns;

    c->stop = STOP_NONE;
    c->blk_first = NULL;
    if (setjmp(c->fault_jmp)) {
        /* A fault in an instruction, in fetch, or in the delivery of an event; or an abort.
         * The instructions of the block before the faulting one retire. */
        retire(c, c->blk_cur);
        c->dcache->cur = NULL;
        c->rip = c->insn_start;
        c->block_end = false;
        if (c->fault_vector == FAULT_VMEXIT)
            vmx_vmexit(c, &c->vmx.exit_req);    /* vmx_exit_raise (vmx_exit.h) */
        else if (c->fault_vector != FAULT_ABORT) {
            trace_exception(c);
            cpu_deliver_exception(c, c->fault_vector, c->fault_has_error, c->fault_error, true);
            /* MTF: a faulting instruction's exit follows the delivery of its fault (25.5.2) */
            if (c->vmx.nonroot && (c->vmx.vmcs[VMCS_PROC_CONTROLS] & VMX_PROC_MTF))
                c->vmx.mtf_pending = true;
        }
        c->vmx.shadow_insn = 0;
    }
    for (;;) {
        bool nonroot = c->vmx.nonroot;
        if (nonroot)
            run_blocks_nonroot(c, start, max_insns);
        else
            run_blocks_root(c, start, max_insns);
        if (c->cycle_limit == 0) {      /* vmx_run_switch (a device may have lowered it since) */
            c->cycle_limit = c->vmx.saved_cycle_limit;
            c->vmx.saved_cycle_limit = 0;
        }
        if (c->vmx.nonroot == nonroot)
            break;
    }
    return c->ctr.insns - start;
}
