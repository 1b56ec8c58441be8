/* mmio_emul.c — the child's device page (registers, stop rules and completion: mmio_emul.h).
 * Message layout: TLFS 11.10 / hv/abi/tlfs.h struct hv_x64_memory_intercept_message. */
#include "partitions/root/mmio_emul.h"

#include "krt/krt.h"

#define CS_ATTR_L  (1u << 13)       /* TLFS segment attributes = VMX access rights (SDM Vol. 3
                                     * 24.4.1): L 13, D/B 14 */
#define CS_ATTR_DB (1u << 14)

void mmio_emul_reset(struct mmio_emul *d)
{
    d->scratch = 0;
}

bool mmio_emul_owns(uint64_t gpa)
{
    return gpa - MMIO_EMUL_GPA < MMIO_EMUL_SIZE;
}

uint64_t mmio_emul_merge(uint64_t old, uint64_t value, unsigned size, bool high8)
{
    if (high8)
        return (old & ~0xFF00ull) | (value & 0xFF) << 8;
    switch (size) {
    case 1: return (old & ~0xFFull) | (value & 0xFF);
    case 2: return (old & ~0xFFFFull) | (value & 0xFFFF);
    case 4: return value & 0xFFFFFFFFull;          /* zero-extended (Vol. 1 3.4.1.1) */
    default: return value;
    }
}

int mmio_emul_decode(const uint8_t *payload, size_t len, struct mmio_emul_req *r, char *why,
                     size_t whylen)
{
    struct hv_x64_memory_intercept_message mi;
    *r = (struct mmio_emul_req){ 0 };
    if (len < sizeof mi) {
        krt_snprintf(why, whylen, "malformed memory intercept (%zu bytes)", len);
        return -1;
    }
    memcpy(&mi, payload, sizeof mi);
    r->vp = mi.header.vp_index;
    r->rip = mi.header.rip;
    r->offset = (uint32_t)(mi.guest_physical_address - MMIO_EMUL_GPA);
    if (!mmio_emul_owns(mi.guest_physical_address)) {
        krt_snprintf(why, whylen, "GPA 0x%llx is not the device page",
                     (unsigned long long)mi.guest_physical_address);
        return -1;
    }
    uint8_t type = mi.header.intercept_access_type;
    if (type > HV_INTERCEPT_ACCESS_WRITE) {
        krt_snprintf(why, whylen, "%s of the device page",
                     type == HV_INTERCEPT_ACCESS_EXECUTE ? "execution" : "unknown access");
        return -1;
    }
    /* the code segment's mode (SDM Vol. 3 3.4.5, 5.2.1) */
    enum krt_mov_mode mode = KRT_MOV_MODE16;
    bool lm = (mi.header.execution_state & HV_X64_EXEC_EFER_LMA) &&
              (mi.header.cs_segment.attributes & CS_ATTR_L);
    if (lm)
        mode = KRT_MOV_MODE64;
    else if (mi.header.cs_segment.attributes & CS_ATTR_DB)
        mode = KRT_MOV_MODE32;
    unsigned nb = mi.instruction_byte_count > 16 ? 16 : mi.instruction_byte_count;
    enum krt_mov_status st = krt_mov_decode(mi.instruction_bytes, nb, mode, &r->mov);
    if (st == KRT_MOV_SHORT) {
        krt_snprintf(why, whylen, "the instruction at RIP 0x%llx is cut short (%u bytes)",
                     (unsigned long long)r->rip, nb);
        return -1;
    }
    if (st != KRT_MOV_OK) {
        krt_snprintf(why, whylen, "the instruction at RIP 0x%llx (byte 0x%02x) is not an "
                     "emulated MOV", (unsigned long long)r->rip, nb ? mi.instruction_bytes[0] : 0);
        return -1;
    }
    if (r->mov.store != (type == HV_INTERCEPT_ACCESS_WRITE)) {
        krt_snprintf(why, whylen, "the instruction at RIP 0x%llx does not do the %s reported",
                     (unsigned long long)r->rip, type ? "write" : "read");
        return -1;
    }
    r->next_rip = r->rip + r->mov.len;
    if (!lm)
        r->next_rip &= 0xFFFFFFFFull;
    if (r->mov.reg >= 0) {
        r->reg_name = HV_X64_REGISTER_RAX + (uint32_t)r->mov.reg;
        r->need_reg = r->mov.store || r->mov.size < 4 || r->mov.high8;
    }
    return 0;
}

/* Byte k of the register file as read (mmio_emul.h). */
static uint8_t read_byte(const struct mmio_emul *d, uint32_t k)
{
    if (k < 4)
        return (uint8_t)(MMIO_EMUL_ID >> (8 * k));
    if (k >= MMIO_EMUL_REG_SCRATCH && k < MMIO_EMUL_REG_SCRATCH + 8)
        return (uint8_t)(d->scratch >> (8 * (k - MMIO_EMUL_REG_SCRATCH)));
    return 0;
}

int mmio_emul_access(struct mmio_emul *d, const struct mmio_emul_req *r, uint64_t reg,
                     struct mmio_emul_result *res, char *why, size_t whylen)
{
    const struct krt_mov *m = &r->mov;
    *res = (struct mmio_emul_result){ 0 };
    if (r->offset % m->size != 0 || r->offset + m->size > MMIO_EMUL_SIZE) {
        krt_snprintf(why, whylen, "unaligned %u-byte access at offset 0x%x of the device page",
                     m->size, r->offset);
        return -1;
    }
    if (m->store) {
        uint64_t v = m->reg < 0 ? m->imm : m->high8 ? reg >> 8 : reg;
        for (uint32_t k = 0; k < m->size; k++) {
            uint32_t off = r->offset + k;
            uint8_t byte = (uint8_t)(v >> (8 * k));
            if (off == MMIO_EMUL_REG_DATA) {
                res->has_out = true;
                res->out = byte;
            } else if (off >= MMIO_EMUL_REG_SCRATCH && off < MMIO_EMUL_REG_SCRATCH + 8) {
                unsigned sh = 8 * (off - MMIO_EMUL_REG_SCRATCH);
                d->scratch = (d->scratch & ~(0xFFull << sh)) | (uint64_t)byte << sh;
            }   /* ID and reserved bytes: ignored */
        }
        return 0;
    }
    uint64_t v = 0;
    for (uint32_t k = 0; k < m->size; k++)
        v |= (uint64_t)read_byte(d, r->offset + k) << (8 * k);
    res->set_reg = true;
    res->reg_value = mmio_emul_merge(reg, v, m->size, m->high8);
    return 0;
}
