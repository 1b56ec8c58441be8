/* kacpi.h — the test kernels' own reading of the ACPI tables that describe the processors and
 * interrupt controllers (ACPI 6.3): RSDP scan (5.2.5.1), RSDP (5.2.5.3), RSDT (5.2.7), XSDT
 * (5.2.8), the common header (5.2.6) and the MADT with its entries (5.2.12). Independent of
 * sim/acpi.h: written from the specification, so a kernel that reads the tables checks them.
 *
 * Invariant: kacpi_read never trusts a length before checking its table's signature and
 * checksum, and never reads outside [table, table + length).
 */
#ifndef TARGET_KACPI_H
#define TARGET_KACPI_H

#include <stdint.h>

#define KACPI_MAX_CPUS 64
#define KACPI_MAX_ISO 16

struct kacpi_iso {                         /* Interrupt Source Override (5.2.12.5) */
    uint8_t bus, source;
    uint32_t gsi;
    uint16_t flags;                        /* MPS INTI flags: polarity 1:0, trigger 3:2 */
};

struct kacpi {
    uint32_t rsdp, rsdt, madt;             /* physical addresses */
    uint64_t xsdt;
    uint8_t rsdp_revision;
    int xsdt_matches_rsdt;                 /* XSDT lists the same tables in the same order */
    uint32_t lapic_addr, madt_flags;
    unsigned ncpus;                        /* enabled processors: type 0 and type 9 entries */
    uint32_t apic_id[KACPI_MAX_CPUS];
    uint32_t uid[KACPI_MAX_CPUS];
    unsigned n_x2apic_entries;
    unsigned nioapic;
    uint32_t ioapic_id, ioapic_addr, ioapic_gsi_base;  /* the first I/O APIC */
    unsigned niso;
    struct kacpi_iso iso[KACPI_MAX_ISO];
    int nmi_lint;                          /* LINT of the "all processors" NMI entry, -1 none */
    unsigned unknown_entries;
};

/* Find and read the tables. 0, or -1 with *err naming the first problem. */
int kacpi_read(struct kacpi *a, const char **err);
/* The GSI an ISA IRQ arrives on (an override, else the identity); *flags the override's
 * flags (0 without one). */
uint32_t kacpi_isa_gsi(const struct kacpi *a, uint8_t irq, uint16_t *flags);

#endif
