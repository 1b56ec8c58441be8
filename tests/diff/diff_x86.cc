/* diff_x86.cc — the x86 instruction encoder of the differential tests (see diff_x86.h).
 * Cites SDM Vol. 2: 2.1.5 (ModRM/SIB), 2.2.1 (REX), Table 2-1 (16-bit addressing). */
#include "tests/diff/diff_x86.h"

#include <assert.h>

namespace diff {

static void note_reg8(Enc &e, int r)
{
    if (reg8_is_high(r))
        e.rex_forbid = true;
    else if (r >= 4 && r <= 7)
        e.rex_force = true;             /* SPL, BPL, SIL, DIL exist only with REX */
}

static int enc_num(int r, int size)
{
    return size == 1 && reg8_is_high(r) ? reg8_gpr(r) + 4 : r;
}

void Enc::reg_field(int rr, int size)
{
    if (size == 1)
        note_reg8(*this, rr);
    int n = enc_num(rr, size);
    has_modrm = true;
    reg = n & 7;
    r = n >= 8;
}

void Enc::rm_reg(int rr, int size)
{
    if (size == 1)
        note_reg8(*this, rr);
    int n = enc_num(rr, size);
    has_modrm = true;
    mod = 3;
    rm = n & 7;
    b = n >= 8;
}

void Enc::opreg(int rr, int size)
{
    if (size == 1)
        note_reg8(*this, rr);
    int n = enc_num(rr, size);
    op.back() = (uint8_t)((op.back() & ~7) | (n & 7));
    b = n >= 8;
}

void Enc::opsize(int size)
{
    if (size == 2)
        pfx.insert(pfx.begin(), 0x66);
    else if (size == 8)
        w = true;
}

/* 16-bit addressing, SDM Vol. 2 Table 2-1: rm by (base, index). */
static int rm16(int base, int index)
{
    if (base == RBX && index == RSI) return 0;
    if (base == RBX && index == RDI) return 1;
    if (base == RBP && index == RSI) return 2;
    if (base == RBP && index == RDI) return 3;
    if (base == NOREG && index == RSI) return 4;
    if (base == NOREG && index == RDI) return 5;
    if (base == RBP && index == NOREG) return 6;
    if (base == RBX && index == NOREG) return 7;
    return -1;
}

void Enc::mem(const MemOp &m, int code_size)
{
    has_modrm = true;
    if (m.seg >= 0)
        pfx.push_back((uint8_t)m.seg);
    if (m.asz != code_size)
        pfx.push_back(0x67);
    disp = m.disp;
    if (m.asz == 2) {
        if (m.base == NOREG && m.index == NOREG) {       /* [disp16] */
            mod = 0; rm = 6; dsz = 2;
            return;
        }
        int n = rm16(m.base, m.index);
        assert(n >= 0);
        rm = (uint8_t)n;
        dsz = m.dsz;
        if (n == 6 && dsz == 0)
            dsz = 1;                                    /* [bp] needs a disp8 of 0 */
        mod = dsz == 0 ? 0 : dsz == 1 ? 1 : 2;
        return;
    }
    if (m.base == REG_RIP) {                            /* [rip + disp32], 2.2.1.6 */
        mod = 0; rm = 5; dsz = 4; riprel = true;
        return;
    }
    if (m.base == NOREG && m.index == NOREG && code_size == 4 && !m.sib_abs) {
        mod = 0; rm = 5; dsz = 4;                       /* [disp32] without SIB */
        return;
    }
    bool need_sib = m.index != NOREG || m.base == NOREG || (m.base & 7) == 4;
    if (need_sib) {
        has_sib = true;
        rm = 4;
        ss = (uint8_t)m.scale;
        sidx = m.index == NOREG ? 4 : (m.index & 7);
        x = m.index != NOREG && m.index >= 8;
        if (m.base == NOREG) {                          /* [index*s + disp32] */
            sbase = 5; mod = 0; dsz = 4;
            return;
        }
        sbase = m.base & 7;
        b = m.base >= 8;
    } else {
        rm = m.base & 7;
        b = m.base >= 8;
    }
    dsz = m.dsz;
    if (dsz == 0 && (m.base & 7) == 5)
        dsz = 1;                                        /* [rbp]/[r13] need a disp8 of 0 */
    mod = dsz == 0 ? 0 : dsz == 1 ? 1 : 2;
}

int Enc::disp_offset() const
{
    int n = (int)pfx.size() + (mpfx ? 1 : 0) + (needs_rex() ? 1 : 0) + (int)op.size();
    return n + (has_modrm ? 1 : 0) + (has_sib ? 1 : 0);
}

std::vector<uint8_t> Enc::encode() const
{
    std::vector<uint8_t> o(pfx);
    if (mpfx)
        o.push_back(mpfx);
    if (needs_rex()) {
        assert(!rex_forbid);
        o.push_back((uint8_t)(0x40 | (w << 3) | (r << 2) | (x << 1) | (int)b));
    }
    o.insert(o.end(), op.begin(), op.end());
    if (has_modrm)
        o.push_back((uint8_t)(mod << 6 | (reg & 7) << 3 | (rm & 7)));
    if (has_sib)
        o.push_back((uint8_t)(ss << 6 | (sidx & 7) << 3 | (sbase & 7)));
    for (int i = 0; i < dsz; i++)
        o.push_back((uint8_t)(disp >> (8 * i)));
    for (int i = 0; i < isz; i++)
        o.push_back((uint8_t)(imm >> (8 * i)));
    for (int i = 0; i < isz2; i++)
        o.push_back((uint8_t)(imm2 >> (8 * i)));
    return o;
}

} // namespace diff
