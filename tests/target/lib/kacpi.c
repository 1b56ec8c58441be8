/* kacpi.c — reading the ACPI tables from guest memory (see kacpi.h; ACPI 6.3 section numbers
 * beside each step). Paging is off in the test kernels, so physical addresses are pointers. */
#include "kacpi.h"

#include "rt.h"

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* A System Description Table at pa with signature sig: header (5.2.6) length >= 36, bytes sum
 * to 0. Returns the table or 0. */
static const uint8_t *sdt(uint64_t pa, const char *sig, const char **err)
{
    if (pa == 0 || pa >= 0xfffff000ull) {
        *err = "table address 0 or above 4 GiB";
        return 0;
    }
    const uint8_t *t = phys_ptr((uintptr_t)pa);
    if (memcmp(t, sig, 4)) {
        *err = "table signature mismatch";
        return 0;
    }
    uint32_t len = rd32(t + 4);
    if (len < 36 || len > 0x10000) {
        *err = "table length out of range";
        return 0;
    }
    if (sum8(t, len)) {
        *err = "table checksum is not 0";
        return 0;
    }
    return t;
}

/* RSDP scan (5.2.5.1): 16-byte boundaries of the BIOS read-only area 0xE0000-0xFFFFF (the EBDA
 * is also allowed; the PC machine has none: the BDA word at 0x40E is 0). */
static uint32_t find_rsdp(void)
{
    for (uint32_t pa = 0xe0000; pa < 0x100000; pa += 16) {
        const uint8_t *p = phys_ptr(pa);
        if (!memcmp(p, "RSD PTR ", 8) && sum8(p, 20) == 0)
            return pa;
    }
    return 0;
}

static int read_madt(struct kacpi *a, const uint8_t *m, const char **err)
{
    uint32_t len = rd32(m + 4);
    if (len < 44) {
        *err = "MADT shorter than its fixed part (44 bytes)";
        return -1;
    }
    a->lapic_addr = rd32(m + 36);
    a->madt_flags = rd32(m + 40);
    a->nmi_lint = -1;
    for (uint32_t off = 44; off < len;) {
        const uint8_t *e = m + off;
        if (off + 2 > len || e[1] < 2 || off + e[1] > len) {
            *err = "MADT entry length runs past the table";
            return -1;
        }
        switch (e[0]) {
        case 0:                            /* Processor Local APIC (5.2.12.2), 8 bytes */
            if (e[1] != 8)
                return *err = "MADT local APIC entry length is not 8", -1;
            if ((rd32(e + 4) & 1) && a->ncpus < KACPI_MAX_CPUS) {
                a->uid[a->ncpus] = e[2];
                a->apic_id[a->ncpus++] = e[3];
            }
            break;
        case 1:                            /* I/O APIC (5.2.12.3), 12 bytes */
            if (e[1] != 12)
                return *err = "MADT I/O APIC entry length is not 12", -1;
            if (a->nioapic++ == 0) {
                a->ioapic_id = e[2];
                a->ioapic_addr = rd32(e + 4);
                a->ioapic_gsi_base = rd32(e + 8);
            }
            break;
        case 2:                            /* Interrupt Source Override (5.2.12.5), 10 bytes */
            if (e[1] != 10)
                return *err = "MADT override entry length is not 10", -1;
            if (a->niso < KACPI_MAX_ISO)
                a->iso[a->niso++] = (struct kacpi_iso){ e[2], e[3], rd32(e + 4), rd16(e + 8) };
            break;
        case 4:                            /* Local APIC NMI (5.2.12.7), 6 bytes */
            if (e[1] != 6)
                return *err = "MADT local APIC NMI entry length is not 6", -1;
            if (e[2] == 0xff)
                a->nmi_lint = e[5];
            break;
        case 9:                            /* Processor Local x2APIC (5.2.12.12), 16 bytes */
            if (e[1] != 16)
                return *err = "MADT local x2APIC entry length is not 16", -1;
            a->n_x2apic_entries++;
            if ((rd32(e + 8) & 1) && a->ncpus < KACPI_MAX_CPUS) {
                a->uid[a->ncpus] = rd32(e + 12);
                a->apic_id[a->ncpus++] = rd32(e + 4);
            }
            break;
        case 10:                           /* Local x2APIC NMI (5.2.12.13), 12 bytes */
            break;
        default:
            a->unknown_entries++;
            break;
        }
        off += e[1];
    }
    return 0;
}

int kacpi_read(struct kacpi *a, const char **err)
{
    memset(a, 0, sizeof *a);
    a->nmi_lint = -1;
    a->rsdp = find_rsdp();
    if (!a->rsdp)
        return *err = "no RSDP with a valid checksum in 0xE0000-0xFFFFF", -1;
    const uint8_t *r = phys_ptr(a->rsdp);
    a->rsdp_revision = r[15];
    a->rsdt = rd32(r + 16);
    if (a->rsdp_revision >= 2) {           /* 5.2.5.3: Length at 20, XSDT at 24, checksum 32 */
        uint32_t rlen = rd32(r + 20);
        if (rlen < 36 || sum8(r, rlen))
            return *err = "RSDP extended checksum (all 36 bytes) is not 0", -1;
        a->xsdt = rd64(r + 24);
    }
    const uint8_t *rsdt = sdt(a->rsdt, "RSDT", err);
    if (!rsdt)
        return -1;
    uint32_t n = (rd32(rsdt + 4) - 36) / 4;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t pa = rd32(rsdt + 36 + 4 * k);
        if (!memcmp(phys_ptr(pa), "APIC", 4))
            a->madt = pa;
    }
    if (a->xsdt) {
        const uint8_t *x = sdt(a->xsdt, "XSDT", err);
        if (!x)
            return -1;
        uint32_t nx = (rd32(x + 4) - 36) / 8;
        a->xsdt_matches_rsdt = nx == n;
        for (uint32_t k = 0; k < nx && k < n; k++)
            if (rd64(x + 36 + 8 * k) != rd32(rsdt + 36 + 4 * k))
                a->xsdt_matches_rsdt = 0;
    }
    if (!a->madt)
        return *err = "the RSDT lists no MADT (signature APIC)", -1;
    const uint8_t *m = sdt(a->madt, "APIC", err);
    if (!m)
        return -1;
    return read_madt(a, m, err);
}

uint32_t kacpi_isa_gsi(const struct kacpi *a, uint8_t irq, uint16_t *flags)
{
    for (unsigned k = 0; k < a->niso; k++)
        if (a->iso[k].bus == 0 && a->iso[k].source == irq) {
            if (flags)
                *flags = a->iso[k].flags;
            return a->iso[k].gsi;
        }
    if (flags)
        *flags = 0;
    return irq;
}
