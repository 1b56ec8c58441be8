/* acpi_s5.c — find the ACPI soft-off registers and values (see acpi_s5.h; ACPI 6.3 sections
 * cited below). */
#include "partitions/root/acpi_s5.h"

#include "krt/krt.h"

#define HDR_LEN 36                  /* system description table header (5.2.6) */
#define ACPI_TABLE_MAX (16u << 20)  /* a larger length is taken as corruption, not read */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static uint8_t sum8(const uint8_t *p, uint64_t n)
{
    uint8_t s = 0;
    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* RSDP at pa: signature, the ACPI 1.0 checksum over 20 bytes, and for revision >= 2 the extended
 * checksum over its length (5.2.5.3). */
static const uint8_t *rsdp_at(acpi_map_fn map, void *ctx, uint64_t pa)
{
    const uint8_t *p = map(pa, 20, ctx);
    if (!p || memcmp(p, "RSD PTR ", 8) || sum8(p, 20))
        return 0;
    if (p[15] >= 2) {
        const uint8_t *x = map(pa, 36, ctx);
        if (!x || rd32(x + 20) < 36 || rd32(x + 20) > 4096)   /* 36 in every revision */
            return 0;
        x = map(pa, rd32(x + 20), ctx);
        if (!x || sum8(x, rd32(x + 20)))
            return 0;
        return x;
    }
    return p;
}

static uint64_t rsdp_scan(acpi_map_fn map, void *ctx, const uint8_t **found)
{
    const uint8_t *bda = map(0x40E, 2, ctx);
    uint64_t ebda = bda ? (uint64_t)rd16(bda) << 4 : 0;
    if (ebda >= 0x400 && ebda < 0xA0000)
        for (uint64_t a = ebda; a < ebda + 1024; a += 16)
            if ((*found = rsdp_at(map, ctx, a)))
                return a;
    for (uint64_t a = 0xE0000; a < 0x100000; a += 16)
        if ((*found = rsdp_at(map, ctx, a)))
            return a;
    return 0;
}

/* A whole table at pa with a valid header and checksum (5.2.6), or NULL. */
static const uint8_t *table_at(acpi_map_fn map, void *ctx, uint64_t pa, uint32_t *len)
{
    const uint8_t *h = map(pa, HDR_LEN, ctx);
    if (!h || rd32(h + 4) < HDR_LEN || rd32(h + 4) > ACPI_TABLE_MAX)
        return 0;
    *len = rd32(h + 4);
    const uint8_t *t = map(pa, *len, ctx);
    if (!t || sum8(t, *len))
        return 0;
    return t;
}

/* An AML integer constant at p (20.2.3 ComputationalData): ZeroOp, OneOp, OnesOp, BytePrefix,
 * WordPrefix, DWordPrefix; the low byte is what SLP_TYP needs. Returns bytes used, 0 if none. */
static unsigned aml_int(const uint8_t *p, const uint8_t *end, uint8_t *v)
{
    if (p >= end)
        return 0;
    switch (p[0]) {
    case 0x00: *v = 0; return 1;
    case 0x01: *v = 1; return 1;
    case 0xFF: *v = 0xFF; return 1;
    case 0x0A: if (end - p < 2) return 0; *v = p[1]; return 2;
    case 0x0B: if (end - p < 3) return 0; *v = p[1]; return 3;
    case 0x0C: if (end - p < 5) return 0; *v = p[1]; return 5;
    default: return 0;
    }
}

/* Name (_S5, Package () { SLP_TYPa, SLP_TYPb, ... }) in the DSDT's AML (7.4.2; 20.2.5.4
 * DefPackage := PackageOp PkgLength NumElements PackageElementList; 20.2.4 PkgLength). */
static int find_s5(const uint8_t *aml, uint32_t len, uint8_t *a, uint8_t *b)
{
    const uint8_t *end = aml + len;
    for (const uint8_t *p = aml; end - p >= 5; p++) {
        if (memcmp(p, "_S5_", 4) || p == aml || (p[-1] != 0x08 && p[-1] != '\\'))
            continue;
        const uint8_t *q = p + 4;
        if (q >= end || *q++ != 0x12)
            continue;
        if (q >= end)
            return -1;
        unsigned follow = q[0] >> 6;        /* bytes after the lead byte */
        q += 1 + follow;
        if (q >= end)
            return -1;
        unsigned n = *q++;                  /* NumElements */
        if (n < 2)
            return -1;
        unsigned used = aml_int(q, end, a);
        if (!used)
            return -1;
        q += used;
        if (!aml_int(q, end, b))
            return -1;
        return 0;
    }
    return -1;
}

const uint8_t *acpi_find_table(acpi_map_fn map, void *ctx, uint64_t rsdp_pa, const char *sig,
                               uint32_t *len, char *err, size_t errlen)
{
    const uint8_t *rsdp = 0;
    if (rsdp_pa)
        rsdp = rsdp_at(map, ctx, rsdp_pa);
    else
        rsdp_pa = rsdp_scan(map, ctx, &rsdp);
    if (!rsdp) {
        krt_snprintf(err, errlen, "acpi: no valid RSDP");
        return 0;
    }
    bool x = rsdp[15] >= 2 && rd64(rsdp + 24) != 0;     /* XSDT if present, else the RSDT */
    uint64_t sdt_pa = x ? rd64(rsdp + 24) : rd32(rsdp + 16);
    uint32_t sdt_len;
    const uint8_t *sdt = table_at(map, ctx, sdt_pa, &sdt_len);
    if (!sdt || memcmp(sdt, x ? "XSDT" : "RSDT", 4)) {
        krt_snprintf(err, errlen, "acpi: bad %s at 0x%llx", x ? "XSDT" : "RSDT",
                     (unsigned long long)sdt_pa);
        return 0;
    }
    unsigned esz = x ? 8 : 4;
    for (uint32_t off = HDR_LEN; off + esz <= sdt_len; off += esz) {
        uint64_t pa = x ? rd64(sdt + off) : rd32(sdt + off);
        const uint8_t *t = table_at(map, ctx, pa, len);
        if (t && !memcmp(t, sig, 4))
            return t;
    }
    krt_snprintf(err, errlen, "acpi: no %.4s table", sig);
    return 0;
}

int acpi_s5_find(acpi_map_fn map, void *ctx, uint64_t rsdp_pa, struct acpi_s5 *out, char *err,
                 size_t errlen)
{
    const uint8_t *rsdp = 0;
    if (rsdp_pa)
        rsdp = rsdp_at(map, ctx, rsdp_pa);
    else
        rsdp_pa = rsdp_scan(map, ctx, &rsdp);
    if (!rsdp) {
        krt_snprintf(err, errlen, "acpi: no valid RSDP");
        return -1;
    }
    *out = (struct acpi_s5){ .rsdp = rsdp_pa };
    /* XSDT (8-byte entries) when the RSDP has one, else the RSDT (4-byte entries) */
    bool x = rsdp[15] >= 2 && rd64(rsdp + 24) != 0;
    uint64_t sdt_pa = x ? rd64(rsdp + 24) : rd32(rsdp + 16);
    uint32_t sdt_len;
    const uint8_t *sdt = table_at(map, ctx, sdt_pa, &sdt_len);
    if (!sdt || memcmp(sdt, x ? "XSDT" : "RSDT", 4)) {
        krt_snprintf(err, errlen, "acpi: bad %s at 0x%llx", x ? "XSDT" : "RSDT",
                     (unsigned long long)sdt_pa);
        return -1;
    }
    unsigned esz = x ? 8 : 4;
    const uint8_t *fadt = 0;
    uint32_t fadt_len = 0;
    for (uint32_t off = HDR_LEN; off + esz <= sdt_len && !fadt; off += esz) {
        uint64_t pa = x ? rd64(sdt + off) : rd32(sdt + off);
        const uint8_t *t = table_at(map, ctx, pa, &fadt_len);
        if (t && !memcmp(t, "FACP", 4))
            fadt = t;
    }
    if (!fadt || fadt_len < 72) {
        krt_snprintf(err, errlen, "acpi: no FADT");
        return -1;
    }
    /* FADT (5.2.9, Table 5-34): DSDT 40, PM1a_CNT_BLK 64, PM1b_CNT_BLK 68, X_DSDT 140,
     * X_PM1a_CNT_BLK 172 (a Generic Address Structure, 5.2.3.2: space id 1 = system I/O). */
    uint64_t dsdt_pa = rd32(fadt + 40);
    if (fadt_len >= 148 && rd64(fadt + 140))
        dsdt_pa = rd64(fadt + 140);
    uint64_t pm1a = rd32(fadt + 64), pm1b = rd32(fadt + 68);
    if (!pm1a && fadt_len >= 184 && fadt[172] == 1)
        pm1a = rd64(fadt + 176);
    if (!pm1a || pm1a > 0xFFFF || pm1b > 0xFFFF) {
        krt_snprintf(err, errlen, "acpi: no PM1a control block in I/O space");
        return -1;
    }
    uint32_t dsdt_len;
    const uint8_t *dsdt = table_at(map, ctx, dsdt_pa, &dsdt_len);
    if (!dsdt || memcmp(dsdt, "DSDT", 4)) {
        krt_snprintf(err, errlen, "acpi: bad DSDT at 0x%llx", (unsigned long long)dsdt_pa);
        return -1;
    }
    if (find_s5(dsdt + HDR_LEN, dsdt_len - HDR_LEN, &out->slp_typa, &out->slp_typb) < 0) {
        krt_snprintf(err, errlen, "acpi: no \\_S5 package in the DSDT");
        return -1;
    }
    out->pm1a_cnt = (uint16_t)pm1a;
    out->pm1b_cnt = (uint16_t)pm1b;
    return 0;
}
