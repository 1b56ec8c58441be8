/* tracer.c — see tracer.h. */
#include "traces/tracer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "sim/evq.h"
#include "sim/sched.h"
#include "traces/annot_abi.h"
#include "traces/trace_fmt.h"
#include "traces/trace_verify.h"
#include "traces/trace_writer.h"

#define VF(c, name) ((c)->vmx.vmcs[VMCS_##name])

int tracer_open(struct tracer *t, const char *dir, unsigned nlp, uint32_t cats, uint64_t hz,
                const struct sched *s, const struct evq *q, const struct trace_env *env,
                unsigned nenv, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->lp = calloc(nlp ? nlp : 1, sizeof *t->lp);
    if (!t->lp) {
        snprintf(err, errlen, "trace: out of memory");
        return -1;
    }
    t->w = dir ? trace_writer_open(dir, nlp, cats, env, nenv, err, errlen) : NULL;
    if (dir && !t->w) {
        free(t->lp);
        t->lp = NULL;
        return -1;
    }
    t->cats = cats | TRACE_CAT_INPUT;
    t->hz = hz;
    t->s = s;
    t->q = q;
    t->nlp = nlp;
    return 0;
}

int tracer_verify(struct tracer *t, const char *ref, unsigned context,
                  void (*on_diverge)(void *), void *opaque, char *err, size_t errlen)
{
    t->verify = trace_verify_open(ref, t->nlp, context, err, errlen);
    if (!t->verify)
        return -1;
    t->on_diverge = on_diverge;
    t->diverge_opaque = opaque;
    return 0;
}

int tracer_close(struct tracer *t, char *err, size_t errlen)
{
    int rc = t->w ? trace_writer_close(t->w, err, errlen) : 0;
    trace_verify_close(t->verify);
    free(t->diverge_regs);
    free(t->lp);
    free(t->map);
    free(t->hc);
    memset(t, 0, sizeof *t);
    return rc;
}

/* The index of the first identity with an address >= vmcs (the map is sorted). */
static unsigned map_lower_bound(const struct tracer *t, uint64_t vmcs)
{
    unsigned lo = 0, hi = t->nmap;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (t->map[mid].vmcs < vmcs)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tracer_vmcs_identity(const struct tracer *t, uint64_t vmcs, uint16_t *part, uint16_t *vp)
{
    unsigned lo = map_lower_bound(t, vmcs);
    if (lo < t->nmap && t->map[lo].vmcs == vmcs) {
        *part = t->map[lo].part;
        *vp = t->map[lo].vp;
    } else {
        *part = *vp = TRACE_ID_NONE;
    }
}

static void set_identity(struct tracer *t, uint64_t vmcs, uint16_t part, uint16_t vp)
{
    unsigned lo = map_lower_bound(t, vmcs);
    bool found = lo < t->nmap && t->map[lo].vmcs == vmcs;
    if (part == TRACE_ID_NONE) {            /* forget */
        if (found) {
            memmove(&t->map[lo], &t->map[lo + 1], (t->nmap - lo - 1) * sizeof *t->map);
            t->nmap--;
        }
        return;
    }
    if (!found) {
        if (t->nmap == t->capmap) {
            unsigned ncap = t->capmap ? 2 * t->capmap : 16;
            struct tracer_vmcs *nm = realloc(t->map, ncap * sizeof *nm);
            if (!nm)
                return;             /* identity lost; events stay unattributed */
            t->map = nm;
            t->capmap = ncap;
        }
        memmove(&t->map[lo + 1], &t->map[lo], (t->nmap - lo) * sizeof *t->map);
        t->nmap++;
        t->map[lo].vmcs = vmcs;
    }
    t->map[lo].part = part;
    t->map[lo].vp = vp;
}

/* The first divergence from the reference: keep the registers of the processor that emitted the
 * event (c), or of every processor for a machine-stream event, and ask the machine to stop. */
static void diverged(struct tracer *t, const struct cpu *c)
{
    size_t cap = 4096 * (c || !t->s ? 1 : (size_t)t->s->n + 1), len = 0;
    t->diverge_regs = calloc(1, cap);
    int n = c ? 1 : t->s ? t->s->n : 0;
    for (int k = 0; t->diverge_regs && k < n; k++) {
        const struct cpu *p = c ? c : t->s->lp[k];
        len += (size_t)snprintf(t->diverge_regs + len, cap - len,
                                "registers of lp%d at the divergence:\n", p->id);
        if (len < cap)
            cpu_dump(p, t->diverge_regs + len, cap - len);
        len = strlen(t->diverge_regs);
    }
    if (t->on_diverge)
        t->on_diverge(t->diverge_opaque);
}

/* Every event goes through here: to the writer, and to the verifier. */
static void put(struct tracer *t, const struct cpu *c, unsigned stream, unsigned id, uint64_t ts,
                uint64_t cycles, uint16_t part, uint16_t vp, const uint64_t *v)
{
    if (t->w)
        trace_emit(t->w, stream, id, ts, cycles, part, vp, v);
    if (__builtin_expect(t->verify != NULL, 0) &&
        trace_verify_event(t->verify, stream, id, ts, cycles, part, vp, v))
        diverged(t, c);
}

static void emit(struct tracer *t, const struct cpu *c, unsigned id, const uint64_t *v,
                 bool by_vmcs)
{
    uint16_t part = TRACE_ID_NONE, vp = TRACE_ID_NONE;
    if (by_vmcs || c->vmx.nonroot)
        tracer_vmcs_identity(t, c->vmx.vmcs_ptr, &part, &vp);
    uint64_t cy = cpu_cycles_now(c);
    unsigned stream = (unsigned)c->id < t->nlp ? (unsigned)c->id : TRACE_STREAM_MACHINE;
    put(t, c, stream, id, sched_cycles_to_ps(cy, t->hz), cy, part, vp, v);
}

void tracer_cpu(struct tracer *t, const struct cpu *c, unsigned id, const uint64_t *v)
{
    if (!tracer_wants(t, trace_events[id].cat))
        return;
    emit(t, c, id, v, false);
}

void tracer_here(struct tracer *t, unsigned id, const uint64_t *v)
{
    if (!tracer_wants(t, trace_events[id].cat))
        return;
    if (t->s && t->s->cur) {
        emit(t, t->s->cur, id, v, false);
        return;
    }
    put(t, NULL, TRACE_STREAM_MACHINE, id, t->q ? t->q->now : 0, 0, TRACE_ID_NONE,
        TRACE_ID_NONE, v);
}

void tracer_device(struct tracer *t, unsigned id, const uint64_t *v)
{
    if (!tracer_wants(t, trace_events[id].cat))
        return;
    put(t, NULL, TRACE_STREAM_MACHINE, id, t->q ? t->q->now : 0, 0, TRACE_ID_NONE,
        TRACE_ID_NONE, v);
}

void tracer_input_serial(struct tracer *t, unsigned uart, uint8_t byte)
{
    if (!t)
        return;
    uint64_t insns = 0;
    for (int k = 0; t->s && k < t->s->n; k++)
        insns += t->s->lp[k]->ctr.insns;
    uint64_t v[3] = { uart, byte, insns };
    tracer_device(t, TEV_INPUT_SERIAL, v);
}

void tracer_annotation(struct tracer *t, const struct cpu *c, uint32_t kind, uint64_t a0,
                       uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (!t)
        return;
    if (kind == HVSIM_ANNOT_VMCS_IDENTITY)
        set_identity(t, a0, (uint16_t)a1, (uint16_t)a2);
    if (kind == HVSIM_ANNOT_SYNIC_MESSAGE || kind == HVSIM_ANNOT_SYNIC_EVENT) {
        tracer_synic(t, c, kind, a0, a1, a2, a3);
        return;
    }
    uint64_t v[5] = { kind, a0, a1, a2, a3 };
    tracer_cpu(t, c, TEV_ANNOTATION, v);
}

void tracer_synic(struct tracer *t, const struct cpu *c, uint32_t kind, uint64_t a0,
                  uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (!tracer_wants(t, TRACE_CAT_ANNOT))
        return;
    /* receiver: partition a0, VP a1 31:0, SINT 39:32, vector 47:40 (annot_abi.h); ids that do
     * not fit the trace's 16 bits are recorded as not known */
    uint64_t part = a0 < TRACE_ID_NONE ? a0 : TRACE_ID_NONE;
    uint64_t vp = (uint32_t)a1 < TRACE_ID_NONE ? (uint32_t)a1 : TRACE_ID_NONE;
    uint64_t sint = (a1 >> 32) & 0xff, vector = (a1 >> 40) & 0xff;
    if (kind == HVSIM_ANNOT_SYNIC_MESSAGE) {
        uint64_t v[8] = { part, vp, sint, vector, (uint32_t)a2, a3, a2 >> 32,
                          (a1 >> 48) & HVSIM_ANNOT_SYNIC_QUEUED };
        emit(t, c, TEV_SYNIC_MESSAGE, v, true);
    } else {
        uint64_t v[5] = { part, vp, sint, vector, a2 & 0xffff };
        emit(t, c, TEV_SYNIC_EVENT, v, true);
    }
}

void tracer_vm_entry(struct tracer *t, const struct cpu *c, int launch)
{
    if (!t || (unsigned)c->id >= t->nlp)
        return;
    struct tracer_lp *l = &t->lp[c->id];
    uint64_t now = cpu_cycles_now(c);
    uint64_t root = l->exit_cycles ? now - l->exit_cycles : 0;
    l->entry_cycles = now;
    tracer_hcall_entry(t, c, launch);   /* a pending hypercall returns (tracer_hcall.c) */
    if (!tracer_wants(t, TRACE_CAT_VMX))
        return;
    uint64_t v[4] = { c->vmx.vmcs_ptr, VF(c, GUEST_RIP), root, (uint64_t)!!launch };
    emit(t, c, TEV_VM_ENTRY, v, true);
    uint64_t info = VF(c, ENTRY_INTR_INFO);
    if (info & VMX_INTR_VALID) {
        uint64_t iv[4] = { VMX_INTR_VECTOR(info), VMX_INTR_TYPE(info),
                           VF(c, ENTRY_EXCEPTION_ERROR), (info & VMX_INTR_HAS_ERROR) ? 1 : 0 };
        emit(t, c, TEV_VM_INJECT, iv, true);
    }
}

void tracer_vm_exit(struct tracer *t, const struct cpu *c)
{
    if (!t || (unsigned)c->id >= t->nlp)
        return;
    struct tracer_lp *l = &t->lp[c->id];
    uint64_t now = cpu_cycles_now(c);
    uint64_t guest = l->entry_cycles ? now - l->entry_cycles : 0;
    l->exit_cycles = now;
    tracer_hcall_exit(t, c);            /* a VMCALL: remember the hypercall (tracer_hcall.c) */
    if (!tracer_wants(t, TRACE_CAT_VMX))
        return;
    uint64_t v[8] = { c->vmx.vmcs_ptr, VF(c, EXIT_REASON), VF(c, EXIT_QUALIFICATION),
                      VF(c, GUEST_RIP), VF(c, EXIT_INSN_LEN), VF(c, EXIT_INTR_INFO),
                      VF(c, GUEST_PHYSICAL_ADDR), guest };
    emit(t, c, TEV_VM_EXIT, v, true);
}
