/* boot.h — hv/boot's internal interface: the steps hv_main (main.c) runs in order.
 *
 * Invariants: all of it runs on the BSP before any AP starts, except hv_ap_main (each AP, once)
 * and what smp.c does for the APs; the boot information (hv_mb_info) is read only through
 * hv_mb2_parse, which copies what it keeps into hv_boot and hypervisor memory.
 */
#ifndef HV_BOOT_BOOT_H
#define HV_BOOT_BOOT_H

#include <stdint.h>

#include "hv/arch/lp.h"

#define MB2_BOOTLOADER_MAGIC 0x36D76289u

extern uint32_t hv_mb_magic, hv_mb_info;    /* saved by entry.S */
extern char __hv_start[], __hv_end[];       /* hv.ld */

__attribute__((noreturn)) void hv_main(uint32_t magic, uint32_t info);

/* mb2.c: parse the Multiboot2 information at `info` into hv_boot (command line, modules, memory
 * map) and record the information's own extent; panics on malformed information. */
void hv_mb2_parse(uint64_t info);
extern uint64_t hv_mb2_info_start, hv_mb2_info_end;

/* acpi.c: find the RSDP (hv_boot.rsdp) and the enabled processor local APICs of the MADT: fills
 * hv_lps[k].index/apic_id and hv_nlps, LP 0 = this processor (the BSP). */
void hv_acpi_find_lps(uint32_t bsp_apic_id);

/* mem.c: the hypervisor's pool (pool=SIZE, default 16 MiB) and the trampoline page. */
void hv_mem_setup(void);
/* The value of `key=` on the command line as a size (K/M/G suffixes); def if absent. Panics on
 * a malformed value. */
uint64_t hv_cmdline_size(const char *key, uint64_t def);

/* smp.c: start every AP (INIT-SIPI-SIPI through the trampoline) and wait for each. */
void hv_smp_start(void);
__attribute__((noreturn)) void hv_ap_main(struct hv_lp *lp);

#endif
