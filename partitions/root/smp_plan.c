/* smp_plan.c — the MADT walk and a root AP's initial context (see smp_plan.h; ACPI 6.3 5.2.12,
 * TLFS 7.8.1, SDM Vol. 3 9.8.5 for the long-mode state). */
#include "partitions/root/smp_plan.h"

#include "krt/krt.h"

#define MADT_FIXED 44                       /* header (36) + local APIC address + flags */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int smp_madt_apic_ids(const uint8_t *madt, uint32_t len, uint32_t bsp, uint32_t *ids,
                      uint32_t max, int *more, char *err, size_t errlen)
{
    uint32_t n = 1;
    *more = 0;
    if (max == 0 || len < MADT_FIXED) {
        krt_snprintf(err, errlen, "MADT of %u bytes: shorter than its fixed part", len);
        return -1;
    }
    ids[0] = bsp;
    for (uint32_t off = MADT_FIXED; off < len;) {
        if (len - off < 2) {
            krt_snprintf(err, errlen, "MADT entry at offset %u: truncated", off);
            return -1;
        }
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || elen > len - off) {
            krt_snprintf(err, errlen, "MADT entry at offset %u has length %u: outside the table",
                         off, elen);
            return -1;
        }
        uint32_t id = 0, flags = 0;
        int cpu = 0;
        if (type == 0 && elen >= 8) {               /* Processor Local APIC */
            id = madt[off + 3];
            flags = rd32(madt + off + 4);
            cpu = 1;
        } else if (type == 9 && elen >= 16) {       /* Processor Local x2APIC */
            id = rd32(madt + off + 4);
            flags = rd32(madt + off + 8);
            cpu = 1;
        }
        off += elen;
        if (!cpu || !(flags & 1) || id == bsp || id >= 0xFF)
            continue;
        for (uint32_t k = 1; k < n && k < max; k++)
            if (ids[k] == id) {
                krt_snprintf(err, errlen, "MADT lists APIC ID %u twice", id);
                return -1;
            }
        if (n < max)
            ids[n] = id;
        else
            *more = 1;
        n++;
    }
    return (int)(n < max ? n : max);
}

static struct hv_x64_segment_register seg(uint16_t sel, uint32_t limit, uint16_t attr)
{
    return (struct hv_x64_segment_register){ .base = 0, .limit = limit, .selector = sel,
                                             .attributes = attr };
}

void smp_root_ap_context(const struct smp_root_state *s, uint64_t rip, uint64_t rsp,
                         struct hv_initial_vp_context *ctx)
{
    *ctx = (struct hv_initial_vp_context){ 0 };
    ctx->rip = rip;
    ctx->rsp = rsp;
    ctx->rflags = 0x2;                              /* bit 1 reserved-set; IF = 0 */
    ctx->cs = seg(s->code_sel, 0xFFFFFFFF, 0xA09B); /* L, P, S, execute/read, accessed, G */
    ctx->ds = ctx->es = ctx->fs = ctx->gs = ctx->ss = seg(s->data_sel, 0xFFFFFFFF, 0xC093);
    ctx->tr = seg(0, 0xFFFF, 0x008B);               /* busy 64-bit TSS, P */
    ctx->ldtr = seg(0, 0, 0);                       /* not present: unusable */
    ctx->gdtr.base = s->gdt_base;
    ctx->gdtr.limit = s->gdt_limit;
    ctx->idtr.base = s->idt_base;
    ctx->idtr.limit = s->idt_limit;
    ctx->efer = s->efer;
    ctx->cr0 = s->cr0;
    ctx->cr3 = s->cr3;
    ctx->cr4 = s->cr4;
    ctx->msr_cr_pat = s->pat;
}
