/* acpi.c — build the ACPI tables into the BIOS area (see acpi.h for the invariants).
 *
 * Layout (addresses for ACPI_AREA_BASE = 0xE0000; tables follow each other in this order):
 *   0xE0000  RSDP  36 bytes                       (ACPI 6.3 5.2.5.3)
 *   0xE0040  FACS  64 bytes, 64-byte aligned      (5.2.10)
 *   0xE0080  DSDT  header + \_S5 package          (5.2.11.1)
 *   then     FADT  276 bytes, revision 6.3        (5.2.9)
 *   then     MADT  44 + entries                   (5.2.12)
 *   then     RSDT  36 + 4 per table               (5.2.7)
 *   then     XSDT  36 + 8 per table               (5.2.8)
 * Field offsets are those of the specification's tables (also Linux include/acpi/actbl*.h).
 */
#include "sim/acpi.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "apic/ioapic.h"
#include "devices/acpi_pm.h"
#include "sim/bus.h"

#define AREA_SIZE (ACPI_AREA_END - ACPI_AREA_BASE)
#define HDR_LEN   36          /* system description table header (5.2.6) */
#define FADT_LEN  276
#define FACS_LEN  64
#define MADT_FIXED 44         /* header + Local Interrupt Controller Address + Flags */

static const char oem_id[6] = { 'H', 'V', 'S', 'I', 'M', ' ' };
static const char oem_table_id[8] = { 'H', 'V', 'S', 'I', 'M', 'P', 'C', ' ' };

/* ---------------------------------------------------------------- byte helpers */

static void put8(uint8_t *p, uint64_t v) { p[0] = (uint8_t)v; }
static void put16(uint8_t *p, uint64_t v) { for (int i = 0; i < 2; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put32(uint8_t *p, uint64_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }

/* The value that makes bytes [p, p+len) sum to 0, given the checksum byte itself is 0. */
static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return (uint8_t)-s;
}

/* System description table header (5.2.6); the checksum is filled in by sdt_finish. */
static void sdt_header(uint8_t *t, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    put8(t + 8, rev);
    memcpy(t + 10, oem_id, 6);
    memcpy(t + 16, oem_table_id, 8);
    put32(t + 24, 1);                 /* OEM revision */
    memcpy(t + 28, "HVSM", 4);        /* creator ID */
    put32(t + 32, 1);                 /* creator revision */
}

static void sdt_finish(uint8_t *t, uint32_t len) { t[9] = checksum(t, len); }

/* Generic Address Structure (5.2.3.2): address space, bit width, bit offset, access size. */
enum { GAS_SYSTEM_IO = 1 };
enum { GAS_ACCESS_BYTE = 1, GAS_ACCESS_WORD = 2, GAS_ACCESS_DWORD = 3 };

static void put_gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
    put8(p, space);
    put8(p + 1, bits);
    put8(p + 2, 0);
    put8(p + 3, access);
    put64(p + 4, addr);
}

/* ---------------------------------------------------------------- the description */

void acpi_desc_pc(struct acpi_desc *d, int n_cpus)
{
    memset(d, 0, sizeof *d);
    d->n_cpus = n_cpus;
    for (int i = 0; i < n_cpus && i < ACPI_MAX_CPUS; i++)
        d->apic_id[i] = (uint32_t)i;
    d->ioapic_addr = (uint32_t)IOAPIC_BASE;
    d->ioapic_id = 0;
    d->ioapic_gsi_base = 0;
    d->iso[0] = (struct acpi_iso){ 0, 2, ACPI_INTI_CONFORMS };
    d->iso[1] = (struct acpi_iso){ ACPI_PM_SCI_IRQ, ACPI_PM_SCI_IRQ,
                                   ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL };
    d->n_iso = 2;
    d->sci_irq = ACPI_PM_SCI_IRQ;
    d->pm_base = ACPI_PM_BASE;
    d->nmi_lint = 1;
}

static bool desc_valid(const struct acpi_desc *d)
{
    if (d->n_cpus < 1 || d->n_cpus > ACPI_MAX_CPUS || d->n_iso < 0 || d->n_iso > ACPI_MAX_ISO)
        return false;
    for (int i = 0; i < d->n_cpus; i++)
        for (int j = 0; j < i; j++)
            if (d->apic_id[i] == d->apic_id[j])
                return false;
    return true;
}

/* A processor is described by a Processor Local APIC structure (type 0) when its APIC ID and its
 * ACPI processor UID fit 8 bits below 0xFF, else by a Processor Local x2APIC structure (type 9);
 * ACPI 6.3 5.2.12.12: IDs of 255 and above must use type 9. The UID is the processor index. */
static bool cpu_uses_x2apic(const struct acpi_desc *d, int i)
{
    return d->apic_id[i] >= 0xFF || i >= 0xFF;
}

/* ---------------------------------------------------------------- tables */

/* DSDT body: Name (_S5, Package (4) { S5, S5, 0, 0 }) — SLP_TYPa, SLP_TYPb, reserved (7.4.2). */
static const uint8_t dsdt_s5[] = {
    0x08, '_', 'S', '5', '_',                 /* NameOp, NameSeg */
    0x12, 0x08, 0x04,                         /* PackageOp, PkgLength 8, NumElements 4 */
    0x0A, ACPI_PM_SLP_TYP_S5,                 /* BytePrefix SLP_TYPa */
    0x0A, ACPI_PM_SLP_TYP_S5,                 /* BytePrefix SLP_TYPb */
    0x00, 0x00,                               /* ZeroOp, ZeroOp */
};

static uint32_t dsdt_len(void) { return HDR_LEN + (uint32_t)sizeof dsdt_s5; }

static void build_dsdt(uint8_t *t)
{
    sdt_header(t, "DSDT", dsdt_len(), 2);     /* revision 2: 64-bit AML integers */
    memcpy(t + HDR_LEN, dsdt_s5, sizeof dsdt_s5);
    sdt_finish(t, dsdt_len());
}

/* FACS (5.2.10): no waking vector, no global lock owner, version 2. */
static void build_facs(uint8_t *t)
{
    memcpy(t, "FACS", 4);
    put32(t + 4, FACS_LEN);
    put32(t + 8, 0);                  /* hardware signature: fixed (deterministic) */
    put8(t + 32, 2);                  /* version */
}

/* FADT flags (Table 5-34) and IA-PC boot architecture flags (Table 5-35). */
#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)
#define FADT_PWR_BUTTON      (1u << 4)    /* 1: no fixed-feature power button */
#define FADT_SLP_BUTTON      (1u << 5)    /* 1: no fixed-feature sleep button */
#define FADT_FIX_RTC         (1u << 6)    /* 1: RTC wake status not in the fixed registers */
#define FADT_TMR_VAL_EXT     (1u << 8)    /* 32-bit PM timer */
#define FADT_RESET_REG_SUP   (1u << 10)
#define FADT_HEADLESS        (1u << 12)
#define BOOT_LEGACY_DEVICES  (1u << 0)
#define BOOT_8042            (1u << 1)
#define BOOT_VGA_NOT_PRESENT (1u << 2)

#define RESET_PORT  0x92      /* System Control Port A, bit 0: fast reset (devices/sysports.h) */
#define RESET_VALUE 0x01

static void build_fadt(uint8_t *t, const struct acpi_desc *d, uint64_t facs, uint64_t dsdt)
{
    uint32_t pm = d->pm_base;
    sdt_header(t, "FACP", FADT_LEN, 6);
    put32(t + 36, facs);              /* FIRMWARE_CTRL (same value as X_FIRMWARE_CTRL) */
    put32(t + 40, dsdt);              /* DSDT (same value as X_DSDT) */
    put8(t + 45, 0);                  /* Preferred_PM_Profile: unspecified */
    put16(t + 46, d->sci_irq);        /* SCI_INT */
    put32(t + 48, 0);                 /* SMI_CMD: none, the machine is always in ACPI mode */
    put32(t + 56, pm + ACPI_PM1_EVT_OFF);   /* PM1a_EVT_BLK */
    put32(t + 64, pm + ACPI_PM1_CNT_OFF);   /* PM1a_CNT_BLK */
    put32(t + 76, pm + ACPI_PM_TMR_OFF);    /* PM_TMR_BLK */
    put8(t + 88, ACPI_PM1_EVT_LEN);
    put8(t + 89, ACPI_PM1_CNT_LEN);
    put8(t + 91, ACPI_PM_TMR_LEN);
    put16(t + 96, 101);               /* P_LVL2_LAT > 100: C2 not supported */
    put16(t + 98, 1001);              /* P_LVL3_LAT > 1000: C3 not supported */
    put8(t + 108, 0x32);              /* CENTURY: CMOS register 0x32 (devices/cmos_rtc.h) */
    put16(t + 109, BOOT_LEGACY_DEVICES | BOOT_VGA_NOT_PRESENT);   /* no 8042 */
    put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
                   FADT_FIX_RTC | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP | FADT_HEADLESS);
    put_gas(t + 116, GAS_SYSTEM_IO, 8, GAS_ACCESS_BYTE, RESET_PORT);   /* RESET_REG */
    put8(t + 128, RESET_VALUE);
    put8(t + 131, 3);                 /* FADT minor version: ACPI 6.3 */
    put64(t + 132, facs);             /* X_FIRMWARE_CTRL */
    put64(t + 140, dsdt);             /* X_DSDT */
    put_gas(t + 148, GAS_SYSTEM_IO, 8 * ACPI_PM1_EVT_LEN, GAS_ACCESS_WORD, pm + ACPI_PM1_EVT_OFF);
    put_gas(t + 172, GAS_SYSTEM_IO, 8 * ACPI_PM1_CNT_LEN, GAS_ACCESS_WORD, pm + ACPI_PM1_CNT_OFF);
    put_gas(t + 208, GAS_SYSTEM_IO, 8 * ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD, pm + ACPI_PM_TMR_OFF);
    sdt_finish(t, FADT_LEN);
}

/* MADT structure types and lengths (5.2.12, Table 5-45). */
enum {
    MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_ISO = 2, MADT_LAPIC_NMI = 4, MADT_X2APIC = 9,
    MADT_X2APIC_NMI = 10,
};
#define MADT_PCAT_COMPAT   1u      /* dual 8259 setup present (Table 5-44) */
#define MADT_CPU_ENABLED   1u      /* Local APIC Flags: Enabled (Table 5-47) */

static uint32_t madt_len(const struct acpi_desc *d, bool *any_x2)
{
    uint32_t len = MADT_FIXED + 12 + 10u * (uint32_t)d->n_iso + 6;
    *any_x2 = false;
    for (int i = 0; i < d->n_cpus; i++) {
        bool x2 = cpu_uses_x2apic(d, i);
        *any_x2 |= x2;
        len += x2 ? 16 : 8;
    }
    return len + (*any_x2 ? 12 : 0);
}

static void build_madt(uint8_t *t, const struct acpi_desc *d)
{
    bool any_x2;
    uint32_t len = madt_len(d, &any_x2);
    sdt_header(t, "APIC", len, 5);    /* revision 5: ACPI 6.3 */
    put32(t + 36, ACPI_LAPIC_ADDR);
    put32(t + 40, MADT_PCAT_COMPAT);
    uint8_t *e = t + MADT_FIXED;
    for (int i = 0; i < d->n_cpus; i++) {
        if (cpu_uses_x2apic(d, i)) {             /* 5.2.12.12 */
            put8(e, MADT_X2APIC);
            put8(e + 1, 16);
            put32(e + 4, d->apic_id[i]);
            put32(e + 8, MADT_CPU_ENABLED);
            put32(e + 12, (uint32_t)i);          /* ACPI processor UID */
            e += 16;
        } else {                                 /* 5.2.12.2 */
            put8(e, MADT_LAPIC);
            put8(e + 1, 8);
            put8(e + 2, (uint8_t)i);             /* ACPI processor UID */
            put8(e + 3, d->apic_id[i]);
            put32(e + 4, MADT_CPU_ENABLED);
            e += 8;
        }
    }
    put8(e, MADT_IOAPIC);                        /* 5.2.12.3 */
    put8(e + 1, 12);
    put8(e + 2, d->ioapic_id);
    put32(e + 4, d->ioapic_addr);
    put32(e + 8, d->ioapic_gsi_base);
    e += 12;
    for (int k = 0; k < d->n_iso; k++) {         /* 5.2.12.5 */
        put8(e, MADT_ISO);
        put8(e + 1, 10);
        put8(e + 2, 0);                          /* bus: ISA */
        put8(e + 3, d->iso[k].irq);
        put32(e + 4, d->iso[k].gsi);
        put16(e + 8, d->iso[k].flags);
        e += 10;
    }
    put8(e, MADT_LAPIC_NMI);                     /* 5.2.12.7: all processors, LINTn */
    put8(e + 1, 6);
    put8(e + 2, 0xFF);
    put16(e + 3, ACPI_INTI_CONFORMS);
    put8(e + 5, d->nmi_lint);
    e += 6;
    if (any_x2) {                                /* 5.2.12.13: the same for x2APIC processors */
        put8(e, MADT_X2APIC_NMI);
        put8(e + 1, 12);
        put16(e + 2, ACPI_INTI_CONFORMS);
        put32(e + 4, 0xFFFFFFFFu);
        put8(e + 8, d->nmi_lint);
        e += 12;
    }
    sdt_finish(t, len);
}

/* RSDT (4-byte entries) or XSDT (8-byte entries) listing `n` tables. */
static void build_xsdt(uint8_t *t, const char sig[4], unsigned entry, const uint64_t *tab, int n)
{
    uint32_t len = HDR_LEN + entry * (uint32_t)n;
    sdt_header(t, sig, len, 1);
    for (int k = 0; k < n; k++) {
        if (entry == 4)
            put32(t + HDR_LEN + 4 * k, tab[k]);
        else
            put64(t + HDR_LEN + 8 * k, tab[k]);
    }
    sdt_finish(t, len);
}

/* RSDP (5.2.5.3): the checksum covers the ACPI 1.0 part (20 bytes), the extended checksum all. */
static void build_rsdp(uint8_t *r, uint64_t rsdt, uint64_t xsdt)
{
    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, oem_id, 6);
    put8(r + 15, 2);
    put32(r + 16, rsdt);
    put32(r + 20, 36);
    put64(r + 24, xsdt);
    r[8] = checksum(r, 20);
    r[32] = checksum(r, 36);
}

/* ---------------------------------------------------------------- placement */

static uint64_t place(uint64_t *cur, uint64_t len, uint64_t align)
{
    uint64_t at = (*cur + align - 1) & ~(align - 1);
    *cur = at + len;
    return at;
}

int acpi_build(struct bus *b, const struct acpi_desc *d, uint64_t *rsdp_addr)
{
    if (!desc_valid(d) || !bus_ram_ptr(b, ACPI_AREA_BASE, AREA_SIZE))
        return -1;
    bool any_x2;
    uint64_t cur = 0;   /* offsets inside the area */
    uint64_t rsdp = place(&cur, 36, 16);
    uint64_t facs = place(&cur, FACS_LEN, 64);
    uint64_t dsdt = place(&cur, dsdt_len(), 16);
    uint64_t fadt = place(&cur, FADT_LEN, 16);
    uint64_t madt = place(&cur, madt_len(d, &any_x2), 16);
    uint64_t rsdt = place(&cur, HDR_LEN + 4 * 2, 16);
    uint64_t xsdt = place(&cur, HDR_LEN + 8 * 2, 16);
    if (cur > AREA_SIZE)
        return -1;
    uint8_t *a = calloc(1, cur);
    if (!a)
        return -1;
    const uint64_t base = ACPI_AREA_BASE;
    build_facs(a + facs);
    build_dsdt(a + dsdt);
    build_fadt(a + fadt, d, base + facs, base + dsdt);
    build_madt(a + madt, d);
    const uint64_t tabs[2] = { base + fadt, base + madt };
    build_xsdt(a + rsdt, "RSDT", 4, tabs, 2);
    build_xsdt(a + xsdt, "XSDT", 8, tabs, 2);
    build_rsdp(a + rsdp, base + rsdt, base + xsdt);
    int rc = bus_copy_to(b, base, a, cur);
    free(a);
    if (rc)
        return -1;
    *rsdp_addr = base + rsdp;
    return 0;
}
