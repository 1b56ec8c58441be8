/* acpi_s5.h — how to switch the machine off (ACPI soft-off, S5): find the FADT through the RSDP,
 * its PM1a/PM1b control blocks, and the SLP_TYP values of the \_S5 object in the DSDT (ACPI 6.3
 * 5.2.5 RSDP, 5.2.7-5.2.8 RSDT/XSDT, 5.2.9 FADT, 7.4.2 \_S5, 4.8.3.2.1 PM1 control; AML encoding
 * 20.2). Used by the root kernel for the final power-off.
 *
 * Pure C: physical memory is read only through the caller's map function, which returns a
 * pointer to [pa, pa + len) or NULL when that range is not readable, so the host unit tests run
 * it over tables hvsim itself builds (sim/acpi.c). Every table is bounds- and checksum-checked
 * before use; nothing outside a mapped range is read.
 */
#ifndef ACPI_S5_H
#define ACPI_S5_H

#include <stddef.h>
#include <stdint.h>

typedef const uint8_t *(*acpi_map_fn)(uint64_t pa, uint64_t len, void *ctx);

struct acpi_s5 {
    uint64_t rsdp;                  /* where the RSDP was found */
    uint16_t pm1a_cnt, pm1b_cnt;    /* I/O ports (0: no PM1b block) */
    uint8_t slp_typa, slp_typb;     /* 3-bit SLP_TYP values for S5 */
};

/* Find the RSDP (EBDA's first KiB, then 0xE0000-0xFFFFF, 16-byte steps; 5.2.5.1), or use
 * `rsdp` if it is not 0. 0 and *out filled, or -1 with a message in err. */
int acpi_s5_find(acpi_map_fn map, void *ctx, uint64_t rsdp, struct acpi_s5 *out, char *err,
                 size_t errlen);

/* The first table with signature `sig` (4 characters) listed in the XSDT (or RSDT), header and
 * checksum valid (5.2.6); the RSDP is found as for acpi_s5_find (or `rsdp` if not 0). Returns
 * the mapped table and its length in *len, or NULL with a message in err. Used for the MADT
 * ("APIC", 5.2.12) by the root's SMP start-up. */
const uint8_t *acpi_find_table(acpi_map_fn map, void *ctx, uint64_t rsdp, const char *sig,
                               uint32_t *len, char *err, size_t errlen);

/* The PM1 control value that enters S5: SLP_TYP << 10 | SLP_EN (bit 13). */
static inline uint16_t acpi_s5_pm1_value(uint8_t slp_typ)
{
    return (uint16_t)(((slp_typ & 7u) << 10) | (1u << 13));
}

#endif
