/* smp.h — the root starts its own VPs 1..n-1 (docs/HYPERVISOR.md "The root partition kernel",
 * "VPs online"). Called by VP 0 once the hypercall page works and before any child exists;
 * never without a hypervisor.
 *
 * Sequence: VP 0 software-enables its own xAPIC (SVR = 1FFH: a software-disabled APIC drops
 * fixed interrupts, SDM Vol. 3 11.4.7.2), finds the MADT (smp_plan.h: n VPs, VP k's APIC ID),
 * points ROOT_SMP_VECTOR at its counting handler, then for k = 1..n-1: StartVirtualProcessor
 * (self, k, the context of smp_root_ap_context: long mode, RSP = the top of its own stack in
 * root_ap_stack, VP 0's CR3/GDT/IDT), waits (at most ROOT_SMP_TIMEOUT of reference time) until
 * VP k has reported in, sends it a fixed IPI (xAPIC ICR, physical destination = its MADT APIC ID)
 * and waits until VP k's handler counted it, then prints `root: VP k online (APIC ID a)`; a
 * step that fails prints one line naming the VP and what did not happen, and the next VP is
 * tried. An AP: loads the IDT, SVR = 1FFH, winhv_init_vp on its stack, records its VP index
 * and its APIC ID register, sets up its own SynIC (pm_synic_init), reports in (release store),
 * then handles the intercepts that arrive on its SynIC in its `sti; hlt` idle loop
 * (pm_ap_loop, pm.h).
 *
 * Invariants: each AP writes only its own record; VP 0 reads them with acquire loads; at most
 * WINHV_MAX_VPS VPs are started (the rest stay not started, with a line saying so).
 */
#ifndef ROOT_SMP_H
#define ROOT_SMP_H

#include <stdint.h>

#include "partitions/root/acpi_s5.h"

#define ROOT_SMP_VECTOR    0x48         /* the IPI VP 0 sends each AP */
#define ROOT_AP_STACK      0x4000ull    /* bytes of stack per AP VP */
#define ROOT_SMP_TIMEOUT   10000000ull  /* 1 s in reference time units (100 ns, TLFS 12.4) */

/* Start VPs 1..n-1; returns how many VPs run (VP 0 included). */
uint32_t root_smp_start(acpi_map_fn map);

#endif
