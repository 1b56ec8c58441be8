/* trace_schema.c — the event table of trace_schema.h. Payload sizes are computed from the fields
 * (trace_payload_size), so a field added here needs no other bookkeeping. */
#include "traces/trace_schema.h"

#include <string.h>

#define F(n, s) { n, s, NULL, 0 }
#define FH(n, s) { n, s, NULL, 1 }
#define FE(n, s, e) { n, s, e, 0 }

const struct trace_event_desc trace_events[TRACE_NEVENTS] = {
    [TEV_VM_ENTRY] = { "vm_entry", TRACE_CAT_VMX, 4,
        { FH("vmcs", 8), FH("guest_rip", 8), F("root_cycles", 8), F("launch", 1) } },
    [TEV_VM_EXIT] = { "vm_exit", TRACE_CAT_VMX, 8,
        { FH("vmcs", 8), FE("reason", 4, "exit_reason"), FH("qual", 8), FH("guest_rip", 8),
          F("insn_len", 1), FH("intr_info", 4), FH("gpa", 8), F("guest_cycles", 8) } },
    [TEV_VM_INJECT] = { "vm_inject", TRACE_CAT_VMX, 4,
        { F("vector", 1), F("type", 1), FH("error", 4), F("has_error", 1) } },
    [TEV_HYPERCALL] = { "hypercall", TRACE_CAT_HCALL, 8,
        { F("code", 2), F("fast", 1), F("rep_count", 2), F("rep_start", 2), F("status", 2),
          F("reps_done", 2), F("latency_cycles", 8), F("completed", 1) } },
    [TEV_EXCEPTION] = { "exception", TRACE_CAT_INTR, 5,
        { F("vector", 1), FH("error", 4), F("has_error", 1), FH("rip", 8), F("type", 1) } },
    [TEV_IRQ_RAISE] = { "irq_raise", TRACE_CAT_INTR, 5,
        { F("vector", 1), FE("source", 1, "irq_source"), F("source_id", 4), F("target", 2),
          F("level", 2) } },
    [TEV_IRQ_DELIVER] = { "irq_deliver", TRACE_CAT_INTR, 3,
        { F("vector", 1), F("kind", 1), FH("rip", 8) } },
    [TEV_IRQ_EOI] = { "irq_eoi", TRACE_CAT_INTR, 1,
        { F("vector", 1) } },
    [TEV_IPI] = { "ipi", TRACE_CAT_INTR, 5,
        { F("vector", 1), F("delivery_mode", 1), F("shorthand", 1), F("dest", 4),
          F("logical", 1) } },
    [TEV_APIC_TIMER_ARM] = { "apic_timer_arm", TRACE_CAT_INTR, 4,
        { F("mode", 1), F("initial", 4), F("divide", 1), F("deadline_ps", 8) } },
    [TEV_APIC_TIMER_FIRE] = { "apic_timer_fire", TRACE_CAT_INTR, 2,
        { F("vector", 1), F("lp", 2) } },
    [TEV_PREEMPT_TIMER] = { "preempt_timer", TRACE_CAT_INTR, 1,
        { FH("vmcs", 8) } },
    [TEV_PIO] = { "pio", TRACE_CAT_IO, 4,
        { FH("port", 2), F("size", 1), F("write", 1), FH("value", 4) } },
    [TEV_MMIO] = { "mmio", TRACE_CAT_IO, 4,
        { FH("addr", 8), F("size", 1), F("write", 1), FH("value", 8) } },
    [TEV_ANNOTATION] = { "annotation", TRACE_CAT_ANNOT, 5,
        { F("kind", 4), FH("a0", 8), FH("a1", 8), FH("a2", 8), FH("a3", 8) } },
    [TEV_INPUT_SERIAL] = { "input_serial", TRACE_CAT_INPUT, 3,
        { F("uart", 1), F("byte", 1), F("insns", 8) } },
    /* SynIC (TLFS 11.9/11.10): the receiver is dst_partition/dst_vp (the event context is the
     * VP whose VMCS was current on the hypervisor's processor: the one that caused it) */
    [TEV_SYNIC_MESSAGE] = { "synic_message", TRACE_CAT_ANNOT, 8,
        { F("dst_partition", 2), F("dst_vp", 2), F("sint", 1), F("vector", 1),
          FH("msg_type", 4), FH("sender", 8), F("seq", 4), F("queued", 1) } },
    [TEV_SYNIC_EVENT] = { "synic_event", TRACE_CAT_ANNOT, 5,
        { F("dst_partition", 2), F("dst_vp", 2), F("sint", 1), F("vector", 1), F("flag", 2) } },
};

int trace_event_by_name(const char *name)
{
    for (int k = 0; k < TRACE_NEVENTS; k++)
        if (strcmp(trace_events[k].name, name) == 0)
            return k;
    return -1;
}

int trace_field_by_name(const struct trace_event_desc *d, const char *name)
{
    for (int k = 0; k < d->nfields; k++)
        if (strcmp(d->f[k].name, name) == 0)
            return k;
    return -1;
}

static const char *const src_names[TRACE_SRC_NSOURCES] = {
    "apic_timer", "ipi", "ioapic", "lint0", "lint1", "pic", "apic_error", "vmx_inject",
};

const char *trace_irq_source_name(unsigned src)
{
    return src < TRACE_SRC_NSOURCES ? src_names[src] : "?";
}

int trace_cats_parse(const char *s, uint32_t *out)
{
    static const struct { const char *name; uint32_t cats; } names[] = {
        { "vmx", TRACE_CAT_VMX }, { "hcall", TRACE_CAT_HCALL }, { "intr", TRACE_CAT_INTR },
        { "io", TRACE_CAT_IO }, { "annot", TRACE_CAT_ANNOT }, { "default", TRACE_CAT_DEFAULT },
        { "all", TRACE_CAT_ALL },
    };
    uint32_t cats = 0;
    if (!s || !*s)
        return -1;
    for (const char *p = s;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        unsigned k;
        for (k = 0; k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k].name) == len && strncmp(p, names[k].name, len) == 0)
                break;
        if (k == sizeof names / sizeof names[0])
            return -1;
        cats |= names[k].cats;
        if (!e)
            break;
        p = e + 1;
    }
    *out = cats | TRACE_CAT_INPUT;
    return 0;
}

unsigned trace_payload_size(const struct trace_event_desc *d)
{
    unsigned n = 0;
    for (int k = 0; k < d->nfields; k++)
        n += d->f[k].size;
    return n;
}
