/* x86_mov.c — the MOV decoder of krt/x86_mov.h (forms, modes, registers and invariants there;
 * SDM Vol. 2A chapter 2 "Instruction format" cited below). */
#include "krt/x86_mov.h"

#define MAX_LEN 15              /* SDM Vol. 2A 2.3.11 */

static bool legacy_prefix(uint8_t p)
{
    switch (p) {
    case 0x66: case 0x67:                               /* groups 3, 4 */
    case 0xF0: case 0xF2: case 0xF3:                    /* group 1 */
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:  /* group 2 */
        return true;
    default:
        return false;
    }
}

/* Bytes of ModR/M, SIB and displacement from the ModR/M byte at b[i] (SDM Vol. 2A 2.1.5 tables
 * 2-1, 2-2, 2-3); 0 if b ends first. addr16: 16-bit addressing (no SIB; mod 0 r/m 110 = disp16). */
static size_t modrm_bytes(const uint8_t *b, size_t n, size_t i, bool addr16)
{
    uint8_t modrm = b[i];
    unsigned mod = modrm >> 6, rm = modrm & 7;
    size_t k = 1;
    if (addr16) {
        if (mod == 0 && rm == 6)
            k += 2;
        else
            k += mod == 1 ? 1 : mod == 2 ? 2 : 0;
        return i + k <= n ? k : 0;
    }
    if (rm == 4 && mod != 3) {                          /* SIB follows (table 2-3) */
        if (i + 1 >= n)
            return 0;
        k++;
        if (mod == 0 && (b[i + 1] & 7) == 5)           /* no base: disp32 */
            k += 4;
    } else if (mod == 0 && rm == 5) {                   /* disp32, RIP-relative in 64-bit mode */
        k += 4;
    }
    k += mod == 1 ? 1 : mod == 2 ? 4 : 0;
    return i + k <= n ? k : 0;
}

enum krt_mov_status krt_mov_decode(const uint8_t *b, size_t n, enum krt_mov_mode mode,
                                   struct krt_mov *m)
{
    size_t i = 0;
    bool opsz = false, adsz = false;
    uint8_t rex = 0;
    *m = (struct krt_mov){ 0 };
    /* prefixes (2.1.1); a REX counts only right before the opcode (2.2.1) */
    for (;; i++) {
        if (i >= n)
            return KRT_MOV_SHORT;
        if (i >= MAX_LEN)
            return KRT_MOV_OTHER;
        uint8_t p = b[i];
        if (mode == KRT_MOV_MODE64 && (p & 0xF0) == 0x40) {
            rex = p;
            continue;
        }
        if (!legacy_prefix(p))
            break;
        rex = 0;
        if (p == 0x66)
            opsz = true;
        else if (p == 0x67)
            adsz = true;
    }
    uint8_t op = b[i++];
    /* operand size (Vol. 1 3.6, table 3-4) and address size (3.6.1) */
    unsigned osize, asize;
    if (mode == KRT_MOV_MODE64) {
        osize = (rex & 8) ? 8 : opsz ? 2 : 4;
        asize = adsz ? 4 : 8;
    } else if (mode == KRT_MOV_MODE32) {
        osize = opsz ? 2 : 4;
        asize = adsz ? 2 : 4;
    } else {
        osize = opsz ? 4 : 2;
        asize = adsz ? 4 : 2;
    }
    size_t len;
    switch (op) {
    case 0xA0: case 0xA1: case 0xA2: case 0xA3:         /* moffs: AL / rAX (Vol. 2B MOV) */
        m->size = (uint8_t)((op & 1) ? osize : 1);
        m->store = op >= 0xA2;
        m->reg = 0;
        len = i + asize;
        break;
    case 0x88: case 0x89: case 0x8A: case 0x8B:
    case 0xC6: case 0xC7: {
        if (i >= n)
            return KRT_MOV_SHORT;
        uint8_t modrm = b[i];
        unsigned regf = (modrm >> 3) & 7;
        if ((modrm >> 6) == 3)
            return KRT_MOV_OTHER;                       /* register form: no memory access */
        if (op >= 0xC6 && regf != 0)
            return KRT_MOV_OTHER;                       /* C6/C7 /0 only */
        size_t k = modrm_bytes(b, n, i, asize == 2);
        if (k == 0)
            return KRT_MOV_SHORT;
        i += k;
        m->size = (uint8_t)((op & 1) ? osize : 1);
        m->store = op != 0x8A && op != 0x8B;
        if (op >= 0xC6) {
            unsigned ib = m->size == 8 ? 4 : m->size;   /* imm8, imm16, imm32 */
            if (i + ib > n)
                return i + ib > MAX_LEN ? KRT_MOV_OTHER : KRT_MOV_SHORT;
            uint64_t v = 0;
            for (unsigned q = 0; q < ib; q++)
                v |= (uint64_t)b[i + q] << (8 * q);
            if (m->size == 8 && (v & 0x80000000u))
                v |= 0xFFFFFFFF00000000ull;             /* imm32 sign-extended (Vol. 2B MOV) */
            m->imm = v;
            m->reg = -1;
            i += ib;
        } else {
            unsigned r = regf | ((rex & 4) ? 8u : 0u);   /* REX.R (2.2.1.2) */
            if (m->size == 1 && !rex && r >= 4) {       /* AH, CH, DH, BH */
                m->high8 = true;
                r -= 4;
            }
            m->reg = (int8_t)r;
        }
        len = i;
        break;
    }
    default:
        return KRT_MOV_OTHER;
    }
    if (len > MAX_LEN)
        return KRT_MOV_OTHER;
    if (len > n)
        return KRT_MOV_SHORT;
    m->len = (uint8_t)len;
    return KRT_MOV_OK;
}
