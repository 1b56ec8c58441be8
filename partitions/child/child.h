/* child.h — what the child partition kernel's files share (docs/HYPERVISOR.md "The child
 * partition kernel"): its name for messages, the command-line reader, the exit through the
 * debug-exit port, the IDT (trap.c) and the workloads (wl_*.c). Single VP, identity-mapped.
 */
#ifndef CHILD_H
#define CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHILD_DEBUG_EXIT  0xF4          /* isa-debug-exit: the root reads it as "finished" */
#define CHILD_SINT_VECTOR 0x50          /* the timer's SINT (AutoEOI): only ends a HLT */
#define CHILD_TIMER_SINT  1             /* SINT of STIMER0's expiration messages */

extern char child_name[32];
extern const char *child_cmdline;

__attribute__((noreturn)) void child_exit(uint8_t status);
/* The value of key=... in the command line (copied into out), or "" */
void cmdline_get(const char *cmd, const char *key, char *out, size_t size);
/* The decimal/0x-hex value of key=..., or `dflt` if absent or malformed. */
uint64_t cmdline_num(const char *key, uint64_t dflt);

/* trap.c: the IDT (exceptions are reported and end the child; CHILD_SINT_VECTOR counts). */
void child_idt_init(void);
extern volatile uint64_t child_sint_irqs;

void wl_timer(void);
void wl_message(void);
void wl_hostile(uint64_t my_id);

#endif
