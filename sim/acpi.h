/* acpi.h — the machine's ACPI tables (ACPI 6.3), generated from the machine description into
 * guest RAM in the BIOS area, where a kernel finds them by scanning for "RSD PTR " (ACPI 6.3
 * 5.2.5.1). See docs/ACPI.md.
 *
 * Tables: RSDP (revision 2), RSDT and XSDT (FADT, MADT), FADT (revision 6.3), FACS, DSDT (with
 * the \_S5 package for soft-off through the PM device, devices/acpi_pm.h), MADT (local APICs or
 * local x2APICs, the I/O APIC, interrupt source overrides, the LINT1 NMI).
 *
 * Invariants:
 *  - Everything lies in [ACPI_AREA_BASE, ACPI_AREA_END), which the Multiboot memory map reports
 *    reserved; the RSDP is at ACPI_AREA_BASE (16-byte aligned), the FACS 64-byte aligned, every
 *    other table 16-byte aligned.
 *  - Every checksum is correct (the bytes of each table, and the RSDP's first 20 and all 36
 *    bytes, sum to 0 mod 256).
 *  - The bytes depend only on the description: the same description gives the same tables.
 */
#ifndef HVSIM_ACPI_H
#define HVSIM_ACPI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bus;

#define ACPI_AREA_BASE   0xE0000ull
#define ACPI_AREA_END    0x100000ull
#define ACPI_MAX_CPUS    256
#define ACPI_MAX_ISO     16
#define ACPI_LAPIC_ADDR  0xFEE00000u

/* MPS INTI flags of an interrupt source override (ACPI 6.3 Table 5-50). */
#define ACPI_INTI_CONFORMS   0x0
#define ACPI_INTI_POL_HIGH   0x1
#define ACPI_INTI_POL_LOW    0x3
#define ACPI_INTI_TRIG_EDGE  0x4
#define ACPI_INTI_TRIG_LEVEL 0xC

struct acpi_iso {
    uint8_t irq;        /* ISA IRQ (bus 0) */
    uint32_t gsi;       /* global system interrupt it is wired to */
    uint16_t flags;     /* ACPI_INTI_* */
};

struct acpi_desc {
    int n_cpus;                          /* 1..ACPI_MAX_CPUS; processor 0 is the BSP */
    uint32_t apic_id[ACPI_MAX_CPUS];     /* local APIC ID of each processor (distinct) */
    uint32_t ioapic_addr;                /* I/O APIC MMIO base */
    uint8_t ioapic_id;
    uint32_t ioapic_gsi_base;
    struct acpi_iso iso[ACPI_MAX_ISO];
    int n_iso;
    uint16_t sci_irq;                    /* FADT SCI_INT */
    uint16_t pm_base;                    /* I/O base of the PM block (devices/acpi_pm.h layout) */
    uint8_t nmi_lint;                    /* local APIC pin wired to NMI (1 on a PC) */
};

/* The PC description: processors 0..n-1 with APIC IDs 0..n-1, the I/O APIC at 0xFEC00000 with
 * ID 0 and GSI base 0, overrides IRQ 0 -> GSI 2 (edge, conforming: the PIT, as on every PC) and
 * IRQ 9 -> GSI 9 (level, active high: the SCI), the PM block at ACPI_PM_BASE, NMI on LINT1. */
void acpi_desc_pc(struct acpi_desc *d, int n_cpus);

/* Write the tables into RAM; *rsdp_addr gets the RSDP's address. 0, or -1 if the description
 * is invalid (processor count, duplicate APIC IDs) or RAM does not cover the area. */
int acpi_build(struct bus *b, const struct acpi_desc *d, uint64_t *rsdp_addr);

#ifdef __cplusplus
}
#endif
#endif
