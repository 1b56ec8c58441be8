/* smp_plan.h — the pure part of the root's start-up of its own VPs (docs/HYPERVISOR.md "The
 * root partition kernel", "VPs online"): which VPs exist and with which APIC IDs, and the
 * initial context each one starts in. Plain C: compiled into the root kernel and into the host
 * unit tests (PmSmp*).
 *
 * VP count and APIC IDs: the hypervisor gives the root one VP per logical processor, VP k on LP
 * k, and numbers LPs as the ACPI MADT lists them: the BSP (the LP the root's VP 0 runs on) is
 * LP 0, then every enabled Processor Local APIC (type 0) and Processor Local x2APIC (type 9)
 * entry with an ID below 255 in table order (ACPI 6.3 5.2.12.2, 5.2.12.12; flags bit 0 =
 * enabled). The TLFS gives the root no hypercall that counts its VPs (CPUID 0x40000005 is a
 * limit, not a count), and the root needs the MADT anyway for the IPI destinations, so it uses
 * the same list the hypervisor built (docs/HYPERVISOR.md "How it is built (hv/boot ...)").
 *
 * Invariants: the MADT is untrusted input: every entry's length is checked against the table;
 * nothing outside [madt, madt + len) is read; at most `max` IDs are written.
 */
#ifndef SMP_PLAN_H
#define SMP_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"

/* ids[0] = bsp, then the other enabled processors in MADT order: the APIC ID of the root's VP k
 * is ids[k]. Returns the count (>= 1), or -1 with a message in err (malformed table, an ID
 * listed twice). More than `max` processors: the first `max` are returned (*more set). */
int smp_madt_apic_ids(const uint8_t *madt, uint32_t len, uint32_t bsp, uint32_t *ids,
                      uint32_t max, int *more, char *err, size_t errlen);

/* What a root AP VP inherits from VP 0 (read by VP 0 from its own registers). */
struct smp_root_state {
    uint64_t cr0, cr3, cr4, efer, pat;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
    uint16_t code_sel, data_sel;        /* the root's flat 64-bit code and data selectors */
};

/* HV_INITIAL_VP_CONTEXT of a root AP (TLFS 7.8.1 HvCallStartVirtualProcessor): long mode with
 * VP 0's CR0/CR3/CR4/EFER/PAT, GDT and IDT, CS = code_sel (64-bit code, attributes 0xA09B),
 * SS/DS/ES/FS/GS = data_sel (0xC093), TR a busy 64-bit TSS at 0 as the hypervisor gives VP 0
 * (selector 0, limit 0xFFFF, attributes 0x8B), LDTR unusable, RFLAGS = 2 (IF = 0), RIP = rip,
 * RSP = rsp. */
void smp_root_ap_context(const struct smp_root_state *s, uint64_t rip, uint64_t rsp,
                         struct hv_initial_vp_context *ctx);

/* The xAPIC ICR value of a fixed IPI with `vector`, physical destination mode, no shorthand,
 * level assert (SDM Vol. 3 11.6.1, Figure 11-12); the destination goes in ICR[63:56]. */
static inline uint32_t smp_icr_fixed(uint8_t vector) { return (1u << 14) | vector; }

#endif
