/* arch.h — hv/arch's interface to hv/boot (not part of the contract with the other layers,
 * which is lp.h and hv_svc.h): the per-LP set-up, the local APIC's start-up IPIs, the TSC
 * calibration, the per-LP stacks.
 *
 * Invariants: hv_arch_lp_setup runs once on each LP, on that LP, with interrupts disabled,
 * before anything reads this_lp() there; the first lapic_init (the BSP's, in hv_main) records
 * the APIC page from IA32_APIC_BASE, and every LP's must be at that address (SDM Vol. 3 11.4.4;
 * the hypervisor never relocates it).
 */
#ifndef HV_ARCH_ARCH_H
#define HV_ARCH_ARCH_H

#include <stdint.h>

#include "hv/arch/lp.h"

#define HV_IST_STACK_SIZE 8192

/* Selectors of the per-LP GDT (gdt.c); 08H and 10H are those of the boot GDT (entry.S). */
#define HV_SEL_CODE 0x08
#define HV_SEL_DATA 0x10
#define HV_SEL_TSS 0x18

/* LP k's stack (HV_STACK_SIZE bytes; LP 0's is the one entry.S starts on). */
extern uint8_t hv_lp_stacks[HV_MAX_LPS][HV_STACK_SIZE];

/* Per-LP set-up (lp_setup.c): GDT + TSS, IDT, segment registers, GS base = lp, local APIC.
 * Then the caller runs hv_vmx_lp_init. */
void hv_arch_lp_setup(struct hv_lp *lp);
void hv_gdt_load(struct hv_lp *lp);         /* gdt.c */
void hv_idt_load(struct hv_lp *lp);         /* idt.c */

/* Local APIC (lapic.c; SDM Vol. 3 11). */
void lapic_init(void);                      /* this LP: software-enable, spurious vector */
uint32_t lapic_id(void);                    /* this LP's APIC ID (xAPIC 31:24, x2APIC 32 bits) */
/* The register at xAPIC offset `reg` in either mode (x2APIC: MSR 800H + reg/16). */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
bool lapic_is_x2apic(void);
/* The hypervisor's command line has the word `word` (hv/boot/main.c). */
bool hv_cmdline_has(const char *word);
/* INIT, then two start-up IPIs with vector page (SDM Vol. 3 9.4.4.1, MP spec B.4) to apic_id,
 * with the delays of the MP specification (10 ms, 200 us, 200 us). */
void lapic_start_ap(uint32_t apic_id, uint8_t page);
/* An NMI to every other LP (ICR "all excluding self", SDM Vol. 3 11.6.1): hv_panic's stop. */
void lapic_nmi_others(void);

/* TSC (tsc.c): calibrated once on the BSP; hv_udelay busy-waits. */
void hv_tsc_calibrate(void);
void hv_udelay(uint64_t us);

/* Set by hv_panic: an NMI on an LP then halts it for good. */
extern volatile uint32_t hv_panicking;

#endif
