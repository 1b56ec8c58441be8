/* ops_bcd.c — decimal adjust instructions AAA AAS AAD AAM DAA DAS (SDM Vol. 2 pages of each).
 * They are invalid in 64-bit mode, where Capstone does not decode them.
 *
 * Undefined flags follow Unicorn (QEMU): AAA/AAS leave OF SF ZF PF unchanged; AAM/AAD set SF ZF
 * PF from AL and clear CF OF AF; DAA/DAS clear OF.
 *
 * Invariant: AAM with an immediate of 0 raises #DE before changing anything.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

static inline unsigned al_of(const struct cpu *c) { return c->gpr[R_RAX] & 0xff; }
static inline unsigned ah_of(const struct cpu *c) { return (c->gpr[R_RAX] >> 8) & 0xff; }

static inline void set_ax(struct cpu *c, unsigned al, unsigned ah)
{
    reg_write(c, R_RAX, (al & 0xff) | (ah & 0xff) << 8, 2);
}

/* AAA: IF (AL & 0Fh) > 9 or AF: AX += 106h, AF = CF = 1 ELSE AF = CF = 0; AL &= 0Fh. */
static void op_aaa(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t f = flags_get(c);
    unsigned al = al_of(c), ah = ah_of(c);
    if ((al & 0xf) > 9 || (f & RF_AF)) {
        ah += 1 + (al > 0xf9);      /* AX + 106h: carry out of AL into AH */
        al = (al + 6) & 0xf;
        f |= RF_AF | RF_CF;
    } else {
        al &= 0xf;
        f &= ~(uint64_t)(RF_AF | RF_CF);
    }
    set_ax(c, al, ah);
    flags_set_all(c, f);
}

/* AAS: IF (AL & 0Fh) > 9 or AF: AX -= 6, AH -= 1, AF = CF = 1 ELSE AF = CF = 0; AL &= 0Fh. */
static void op_aas(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t f = flags_get(c);
    unsigned al = al_of(c), ah = ah_of(c);
    if ((al & 0xf) > 9 || (f & RF_AF)) {
        ah -= 1 + (al < 6);         /* AX - 6 borrows from AH, then AH - 1 */
        al = (al - 6) & 0xf;
        f |= RF_AF | RF_CF;
    } else {
        al &= 0xf;
        f &= ~(uint64_t)(RF_AF | RF_CF);
    }
    set_ax(c, al, ah);
    flags_set_all(c, f);
}

/* DAA (SDM Vol. 2 DAA operation). */
static void op_daa(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t f = flags_get(c), nf = 0;
    unsigned al = al_of(c), old = al;
    if ((al & 0xf) > 9 || (f & RF_AF)) {
        al = (al + 6) & 0xff;
        nf |= RF_AF;
    }
    if (old > 0x99 || (f & RF_CF)) {
        al = (al + 0x60) & 0xff;
        nf |= RF_CF;
    }
    reg_write(c, R_RAX, al, 1);
    flags_set_all(c, nf | flags_zsp(al, 1));
}

/* DAS (SDM Vol. 2 DAS operation). */
static void op_das(struct cpu *c, const struct insn *i)
{
    (void)i;
    uint64_t f = flags_get(c), nf = 0;
    unsigned al = al_of(c), old = al;
    if ((al & 0xf) > 9 || (f & RF_AF)) {
        nf |= RF_AF;
        if (al < 6 || (f & RF_CF))
            nf |= RF_CF;
        al = (al - 6) & 0xff;
    }
    if (old > 0x99 || (f & RF_CF)) {
        al = (al - 0x60) & 0xff;
        nf |= RF_CF;
    }
    reg_write(c, R_RAX, al, 1);
    flags_set_all(c, nf | flags_zsp(al, 1));
}

/* The base of AAM/AAD: the immediate byte (Capstone omits the operand when it is 10). */
static unsigned bcd_base(const struct insn *i)
{
    return i->nops ? (uint8_t)i->imm : 10;
}

/* AAM imm8: AH := AL / imm8; AL := AL mod imm8. */
static void op_aam(struct cpu *c, const struct insn *i)
{
    unsigned base = bcd_base(i), al = al_of(c);
    if (base == 0)
        cpu_fault_noerr(c, VEC_DE);
    set_ax(c, al % base, al / base);
    lf_set(c, LF_LOGIC, 1, al % base, 0, 0);
}

/* AAD imm8: AL := (AL + AH * imm8) & FFh; AH := 0. */
static void op_aad(struct cpu *c, const struct insn *i)
{
    unsigned al = (al_of(c) + ah_of(c) * bcd_base(i)) & 0xff;
    set_ax(c, al, 0);
    lf_set(c, LF_LOGIC, 1, al, 0, 0);
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

void ops_bcd_register(void)
{
    op_reg(X86_INS_AAA, op_aaa, sel_nolock, CLS_ALU);
    op_reg(X86_INS_AAS, op_aas, sel_nolock, CLS_ALU);
    op_reg(X86_INS_DAA, op_daa, sel_nolock, CLS_ALU);
    op_reg(X86_INS_DAS, op_das, sel_nolock, CLS_ALU);
    op_reg(X86_INS_AAM, op_aam, sel_nolock, CLS_MUL);
    op_reg(X86_INS_AAD, op_aad, sel_nolock, CLS_MUL);
}
