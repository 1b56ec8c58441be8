/* child.h — what the child partition kernel's files share (docs/HYPERVISOR.md "The child
 * partition kernel"): its name for messages, the command-line reader, the exit through the
 * debug-exit port, the IDT (trap.c), the workloads (wl_*.c) and the other VPs (smp.c).
 * Identity-mapped; VP k's stack is the 64 KiB below size - k * 64 KiB.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHILD_DEBUG_EXIT  0xF4          /* isa-debug-exit: the root reads it as "finished" */
#define CHILD_SINT_VECTOR 0x50          /* the timer's SINT (AutoEOI): only ends a HLT */
#define CHILD_TIMER_SINT  1             /* SINT of STIMER0's expiration messages */
#define CHILD_SMP_VECTOR  0x51          /* HvCallSendSyntheticClusterIpi between the VPs */
#define CHILD_STACK_SIZE  0x10000u      /* each VP's stack (PM_STACK_SIZE of the root) */

extern char child_name[32];
extern const char *child_cmdline;

__attribute__((noreturn)) void child_exit(uint8_t status);
/* The value of key=... in the command line (copied into out), or "" */
void cmdline_get(const char *cmd, const char *key, char *out, size_t size);
/* The decimal/0x-hex value of key=..., or `dflt` if absent or malformed. */
uint64_t cmdline_num(const char *key, uint64_t dflt);
/* `item` is one of the comma-separated words of `list`. */
bool child_has_item(const char *list, const char *item);

/* trap.c: the IDT (exceptions are reported and end the child; CHILD_SINT_VECTOR counts). */
void child_idt_init(void);
extern volatile uint64_t child_sint_irqs;
/* apic.c: software-enable the calling VP's local APIC (each VP once); EOI (HV_X64_MSR_EOI). */
void child_apic_init(void);
void child_eoi(void);

void wl_timer(void);
void wl_message(void);
void wl_hostile(uint64_t my_id);

/* smp.c: VP 0 wakes the other VPs once its hypercall page works; wl_smp is the `smp` workload;
 * child_smp_park waits until every other VP is halted with interrupts off. */
void child_smp_boot(uint32_t vps);
void wl_smp(void);
void child_smp_park(void);
/* wl_xstate.c: the loop (before any output), then its result line */
void wl_xstate_run(uint64_t my_id);
void wl_xstate_report(void);
/* wl_apic.c: the virtual local APIC's checks (VP vp_index) */
void wl_apic(uint32_t vp_index);
/* wl_mmio.c: the device page the root emulates (partitions/root/mmio_emul.h) */
void wl_mmio(void);
/* wl_cpuid.c: the brand string the root answers through CPUID intercepts */
void wl_cpuid(void);
/* wl_int3.c: INT3 the root intercepts and skips */
void wl_int3(void);

#endif
