/* acpi.c — the logical processors from ACPI at boot (boot.h hv_acpi_find_lps; ACPI 6.3 5.2.5.1
 * "Finding the RSDP on IA-PC Systems", 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12 MADT), over the pure checks
 * of madt.c.
 *
 * The RSDP is searched on 16-byte boundaries in the first KiB of the EBDA (segment at 40EH) and
 * in [E0000H, FFFFFH]. The XSDT is used when the RSDP has one (revision >= 2), else the RSDT.
 * Every table must lie inside the identity map (below 64 GiB, entry.S) and pass
 * hv_acpi_table_len (at most 1 MiB); a bad table is skipped with a log line.
 * LPs: the BSP is LP 0 whatever its place in the MADT; then every other enabled processor in
 * MADT order (hv_madt_lapics). Without an RSDP or a MADT the hypervisor runs on the BSP alone (a
 * log line says so); a malformed MADT, or one that does not list the BSP, is a panic.
 */
#include "hv/boot/boot.h"
#include "hv/boot/bootparse.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define IDMAP_END (64ull << 30)
#define SDT_MAX (1u << 20)

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint64_t rsdp_scan(uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a + 20 <= end; a += 16)
        if (hv_acpi_rsdp_ok(hv_hpa_ptr(a), (size_t)(0x100000 - a)))
            return a;
    return 0;
}

static uint64_t find_rsdp(void)
{
    uint64_t ebda = (uint64_t)*(volatile uint16_t *)hv_hpa_ptr(0x40E) << 4;
    uint64_t r = 0;
    if (ebda >= 0x400 && ebda < 0xA0000)
        r = rsdp_scan(ebda, ebda + 1024 < 0xA0000 ? ebda + 1024 : 0xA0000);
    if (!r)
        r = rsdp_scan(0xE0000, 0x100000);
    return r;
}

/* The table at addr if it is sound (*len its length), else NULL. */
static const uint8_t *table(uint64_t addr, uint32_t *len)
{
    if (addr == 0 || addr >= IDMAP_END - 36)
        return NULL;
    uint64_t avail = IDMAP_END - addr < SDT_MAX ? IDMAP_END - addr : SDT_MAX;
    const uint8_t *t = hv_hpa_ptr(addr);
    *len = hv_acpi_table_len(t, (size_t)avail);
    if (*len == 0) {
        hv_log("hv: ACPI table at %#lx (%.4s): bad length or checksum, skipped\n",
               (unsigned long)addr, (const char *)t);
        return NULL;
    }
    return t;
}

static const uint8_t *find_madt(uint64_t rsdp, uint32_t *len)
{
    const uint8_t *p = hv_hpa_ptr(rsdp);
    bool x = p[15] >= 2 && rd64(p + 24) != 0;
    uint32_t rlen;
    const uint8_t *root = table(x ? rd64(p + 24) : rd32(p + 16), &rlen);
    if (!root)
        return NULL;
    unsigned esz = x ? 8 : 4;
    for (uint32_t off = 36; off + esz <= rlen; off += esz) {
        uint64_t a = x ? rd64(root + off) : rd32(root + off);
        if (a == 0 || a >= IDMAP_END - 36 || memcmp(hv_hpa_ptr(a), "APIC", 4) != 0)
            continue;
        const uint8_t *m = table(a, len);
        if (m)
            return m;
    }
    return NULL;
}

void hv_acpi_find_lps(uint32_t bsp_apic_id)
{
    hv_nlps = 1;
    hv_lps[0].index = 0;
    hv_lps[0].apic_id = bsp_apic_id;
    uint64_t rsdp = find_rsdp();
    hv_boot.rsdp = rsdp;
    uint32_t len = 0;
    const uint8_t *m = rsdp ? find_madt(rsdp, &len) : NULL;
    if (!m) {
        hv_log("hv: no ACPI %s: running on the BSP alone\n", rsdp ? "MADT" : "RSDP");
        return;
    }
    uint32_t ids[HV_MAX_LPS - 1], n, skipped;
    bool bsp_listed;
    char err[160];
    if (hv_madt_lapics(m, len, bsp_apic_id, ids, HV_MAX_LPS - 1, &n, &bsp_listed, &skipped, err,
                       sizeof err) != 0)
        hv_panic("%s", err);
    if (!bsp_listed)
        hv_panic("the boot processor's APIC ID %u is not an enabled processor in the ACPI MADT",
                 bsp_apic_id);
    if (skipped)
        hv_log("hv: %u processors with x2APIC IDs >= 255 ignored (xAPIC mode)\n", skipped);
    for (uint32_t k = 0; k < n; k++) {
        hv_lps[hv_nlps].index = hv_nlps;
        hv_lps[hv_nlps].apic_id = ids[k];
        hv_nlps++;
    }
}
