/* madt.c — pure checks of ACPI structures (bootparse.h): the RSDP (ACPI 6.3 5.2.5.3), a system
 * description table header (5.2.6) and the MADT's processor entries (5.2.12; 5.2.12.2 Processor
 * Local APIC: type 0, length 8, APIC ID +3, flags +4; 5.2.12.12 Processor Local x2APIC: type 9,
 * length 16, x2APIC ID +4, flags +8; flags bit 0 = enabled).
 * Untrusted input: every entry's length must be at least 2 and lie inside the table; an entry
 * shorter than its type's layout is ignored; an enabled ID listed twice is an error.
 * Plain C: compiled into the image and into the host unit tests.
 */
#include "hv/boot/bootparse.h"
#include "krt/krt.h"

#define SDT_HDR 36
#define MADT_FIXED 44

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

int hv_acpi_rsdp_ok(const uint8_t *p, size_t avail)
{
    if (avail < 20 || memcmp(p, "RSD PTR ", 8) != 0 || sum(p, 20) != 0)
        return 0;
    if (p[15] >= 2) {
        if (avail < 36)
            return 0;
        uint32_t len = rd32(p + 20);
        if (len < 36 || len > avail || sum(p, len) != 0)
            return 0;
    }
    return 1;
}

uint32_t hv_acpi_table_len(const uint8_t *t, size_t avail)
{
    if (avail < SDT_HDR)
        return 0;
    uint32_t len = rd32(t + 4);
    if (len < SDT_HDR || len > avail || sum(t, len) != 0)
        return 0;
    return len;
}

#define FAIL(...) do { krt_snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int hv_madt_lapics(const uint8_t *madt, uint32_t len, uint32_t bsp, uint32_t *ids, uint32_t max,
                   uint32_t *n, bool *bsp_listed, uint32_t *skipped, char *err, size_t errlen)
{
    *n = 0;
    *bsp_listed = false;
    *skipped = 0;
    if (errlen)
        err[0] = '\0';
    if (len < MADT_FIXED)
        FAIL("ACPI MADT of %u bytes: shorter than its fixed part (%u)", len, MADT_FIXED);
    for (uint32_t off = MADT_FIXED; off < len;) {
        if (len - off < 2)
            FAIL("ACPI MADT entry at offset %u: truncated", off);
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || elen > len - off)
            FAIL("ACPI MADT entry at offset %u (type %u) has length %u: outside the table of %u "
                 "bytes", off, type, elen, len);
        uint32_t id = 0, flags = 0;
        bool cpu = false;
        if (type == 0 && elen >= 8) {
            id = madt[off + 3];
            flags = rd32(madt + off + 4);
            cpu = true;
        } else if (type == 9 && elen >= 16) {
            id = rd32(madt + off + 4);
            flags = rd32(madt + off + 8);
            cpu = true;
        }
        off += elen;
        if (!cpu || !(flags & 1))
            continue;
        if (id == bsp) {
            if (*bsp_listed)
                FAIL("ACPI MADT lists APIC ID %u twice", id);
            *bsp_listed = true;
            continue;
        }
        if (id >= 0xFF) {
            (*skipped)++;
            continue;
        }
        for (uint32_t k = 0; k < *n; k++)
            if (ids[k] == id)
                FAIL("ACPI MADT lists APIC ID %u twice", id);
        if (*n == max)
            FAIL("ACPI MADT lists more than %u processors", max + 1);
        ids[(*n)++] = id;
    }
    return 0;
}
