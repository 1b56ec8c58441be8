/* tracer.h — recording a run: the bridge between the machine's components and the trace writer.
 * Components hold a `struct tracer *` (NULL: not tracing, every hook is one test) and report
 * events; the tracer stamps them with virtual time, the processor's cycle count and the partition
 * and virtual processor that software annotations made known (traces/annot_abi.h).
 *
 * Where an event goes (docs/TRACE-FORMAT.md "Streams"):
 *  - an event of a processor (its instructions, exceptions, exits, accesses it makes, interrupts
 *    it sends or accepts) goes to that processor's stream at its local time
 *    (sched_cycles_to_ps(cpu_cycles_now(c))), which never goes back;
 *  - an event of a device between processors' turns (an event-queue callback: a timer, an input
 *    byte, an interrupt line) goes to the machine stream at the event queue's time.
 * Partition/VP: in VMX non-root operation, and for VM entries and exits, the identity annotated for
 * the current VMCS; otherwise unknown (TRACE_ID_NONE).
 *
 * Invariants: nothing here reaches the simulated machine; the trace is a function of the run.
 */
#ifndef HVSIM_TRACER_H
#define HVSIM_TRACER_H

#include <stddef.h>
#include <stdint.h>

#include "traces/trace_meta.h"
#include "traces/trace_schema.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cpu;
struct evq;
struct sched;
struct trace_verify;
struct trace_writer;

struct tracer_vmcs { uint64_t vmcs; uint16_t part, vp; };

struct tracer_lp {
    uint64_t exit_cycles;       /* cycle count at the last VM exit (root time until the entry) */
    uint64_t entry_cycles;      /* cycle count at the last VM entry (guest time until the exit) */
};

/* A hypercall awaiting its return (traces/tracer_hcall.c), per VMCS: the TLFS input value
 * decoded at the VMCALL exit, the guest RIP of the VMCALL and the exit's cycle count. */
struct tracer_hcall {
    uint64_t vmcs, input, rip, cycles;
    uint8_t is_long;            /* 1: the caller was in 64-bit mode (RCX/RAX), 0: EDX:EAX */
};

struct tracer {
    struct trace_writer *w;
    uint32_t cats;
    uint64_t hz;                /* cycles per second of the processors */
    const struct sched *s;      /* for the running processor (NULL: always the machine stream) */
    const struct evq *q;        /* the machine stream's time */
    unsigned nlp;
    struct tracer_lp *lp;       /* [nlp] */
    struct tracer_vmcs *map;    /* VMCS identities, sorted by address */
    unsigned nmap, capmap;
    struct tracer_hcall *hc;    /* pending hypercalls, one per VMCS at most, unordered */
    unsigned nhc, caphc;
    /* verifying against a reference trace (traces/trace_verify.h), or NULL */
    struct trace_verify *verify;
    void (*on_diverge)(void *opaque);   /* asks the machine to stop */
    void *diverge_opaque;
    char *diverge_regs;         /* registers of the processor(s) at the divergence (malloc'ed) */
};

/* Open a trace in `dir` for nlp processors; cats as trace_writer_open. dir NULL: nothing is
 * written (a run that only verifies). 0, or -1 with a message. */
int tracer_open(struct tracer *t, const char *dir, unsigned nlp, uint32_t cats, uint64_t hz,
                const struct sched *s, const struct evq *q, const struct trace_env *env,
                unsigned nenv, char *err, size_t errlen);
/* Compare every event with reference trace `ref` as it is emitted (traces/trace_verify.h): at
 * the first divergence the registers are captured and on_diverge(opaque) is called once.
 * context: matched events kept for the report. 0, or -1 with a message. */
int tracer_verify(struct tracer *t, const char *ref, unsigned context,
                  void (*on_diverge)(void *), void *opaque, char *err, size_t errlen);
/* Flush and close (and free the verifier); 0, or -1 with a message. */
int tracer_close(struct tracer *t, char *err, size_t errlen);

static inline int tracer_wants(const struct tracer *t, uint32_t cat)
{
    return t && (t->cats & cat);
}

/* An event of processor c (its stream, its local time). */
void tracer_cpu(struct tracer *t, const struct cpu *c, unsigned id, const uint64_t *v);
/* An event of whoever is running: the current processor of the scheduler, else the machine. */
void tracer_here(struct tracer *t, unsigned id, const uint64_t *v);
/* An event of a device (an event-queue callback, an interrupt line): the machine stream at the
 * event queue's time, whoever is running. */
void tracer_device(struct tracer *t, unsigned id, const uint64_t *v);

/* An annotation instruction executed by c (traces/annot_abi.h): records it and applies it. */
void tracer_annotation(struct tracer *t, const struct cpu *c, uint32_t kind, uint64_t a0,
                       uint64_t a1, uint64_t a2, uint64_t a3);
/* A SynIC annotation (HVSIM_ANNOT_SYNIC_MESSAGE / _EVENT of traces/annot_abi.h) executed by c:
 * a `synic_message` / `synic_event` on c's stream, with the identity of c's current VMCS (the
 * VP whose exit the hypervisor is handling) as partition/VP; tracer_annotation calls it. */
void tracer_synic(struct tracer *t, const struct cpu *c, uint32_t kind, uint64_t a0,
                  uint64_t a1, uint64_t a2, uint64_t a3);
/* VM entry and VM exit on c (cpu/vmx_launch.c, cpu/vmx_exit.c), after the transition. */
void tracer_vm_entry(struct tracer *t, const struct cpu *c, int launch);
void tracer_vm_exit(struct tracer *t, const struct cpu *c);

/* Hypercalls (traces/tracer_hcall.c, docs/TRACE-FORMAT.md "Hypercalls"): called by
 * tracer_vm_exit / tracer_vm_entry for every exit and entry of c while a trace is recorded. The
 * exit remembers a VMCALL's TLFS input value; the next entry to the same VMCS emits `hypercall`. */
void tracer_hcall_exit(struct tracer *t, const struct cpu *c);
void tracer_hcall_entry(struct tracer *t, const struct cpu *c, int launch);
/* TLFS "Hypercall Inputs" / "Hypercall Result Value" fields (pure decoders). */
static inline unsigned tracer_hc_code(uint64_t in) { return (unsigned)(in & 0xffff); }
static inline unsigned tracer_hc_fast(uint64_t in) { return (unsigned)((in >> 16) & 1); }
static inline unsigned tracer_hc_rep_count(uint64_t in) { return (unsigned)((in >> 32) & 0xfff); }
static inline unsigned tracer_hc_rep_start(uint64_t in) { return (unsigned)((in >> 48) & 0xfff); }
static inline unsigned tracer_hc_status(uint64_t res) { return (unsigned)(res & 0xffff); }
static inline unsigned tracer_hc_reps_done(uint64_t res) { return (unsigned)((res >> 32) & 0xfff); }

/* Input from outside the machine: byte `byte` arrived on UART `uart` (0 = COM1) now, stamped
 * with the instructions all processors retired so far (machine stream; always recorded). */
void tracer_input_serial(struct tracer *t, unsigned uart, uint8_t byte);

/* The identity of a VMCS, or TRACE_ID_NONE in both. */
void tracer_vmcs_identity(const struct tracer *t, uint64_t vmcs, uint16_t *part, uint16_t *vp);

#ifdef __cplusplus
}
#endif
#endif
