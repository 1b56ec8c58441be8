/* diff_form.h — table-driven instruction forms (SDM Vol. 2 opcode-map notation: Eb/Ev, Gb/Gv,
 * Ib/Iz/Iv, AL/rAX, /digit) and the generic generator that instantiates one with random operand
 * size, registers, memory addressing, immediate and LOCK prefix.
 *
 * Invariant: a Form lists exactly the operand sizes and operand kinds the SDM allows for that
 * opcode in the modes it is marked for; gen_form() never writes RSP/ESP through an operand.
 */
#ifndef HVSIM_DIFF_FORM_H
#define HVSIM_DIFF_FORM_H

#include <stdint.h>

#include "tests/diff/diff_gen.h"

namespace diff {

enum Opd : uint8_t {
    O_NONE, O_E, O_G, O_M, O_I, O_ACC, O_ONE, O_CL, O_R,   /* O_R: register in opcode bits */
};
enum ImmKind : uint8_t { I_NONE, I_B, I_W, I_Z, I_V };
enum : uint8_t { SZ_B = 1, SZ_W = 2, SZ_D = 4, SZ_Q = 8, SZ_WDQ = 14, SZ_DQ = 12 };
enum : uint16_t {
    F_LOCK = 1,     /* LOCK allowed with a memory destination */
    F_RO = 2,       /* first operand is only read (CMP, TEST, BT) */
    F_BOTHW = 4,    /* both operands written (XCHG, XADD) */
    F_32 = 8,       /* 32-bit mode only */
    F_F3 = 16,      /* mandatory F3 prefix */
    F_REG = 32,     /* E operand: register form only */
    F_MEM = 64,     /* E operand: memory form only */
    F_NOACC = 128,  /* O_R must not be rAX (90+r: 90 is NOP) */
    F_64 = 256,     /* 64-bit mode only */
};

struct Form {
    const char *mn;
    uint8_t op[3];
    uint8_t nop;
    int8_t digit;           /* /digit, or -1 */
    Opd o[3];
    uint8_t sizes;          /* SZ_* mask */
    uint8_t ssize;          /* fixed size of the E source (MOVZX/MOVSX/MOVSXD), 0 = osz */
    ImmKind imm;
    uint16_t fl;
};

struct FormOpts {
    int osz = 0;            /* 0: random among the allowed sizes */
    int count = -1;         /* shift count for flag effects */
    uint32_t excl_mem = 0;  /* registers addressing must not use */
    uint32_t excl_reg = 0;  /* registers not to pick as operands */
    int mem = -1;           /* 1: memory form, 0: register form, -1: random */
    int lock = -1;          /* 1: LOCK, 0: none, -1: random when allowed */
    bool fixed_imm = false;
    uint64_t imm = 0;
    unsigned align = 1;
    Area area = Area::Data;
    int force_g = -1;       /* register for the G / opcode-register operand */
    bool no_riprel = false; /* no RIP-relative memory operand */
};

struct FormResult {
    int osz = 0;
    bool is_mem = false;
    MemOp m;
    uint64_t ea = 0;
    int e_reg = -1, g_reg = -1;
    uint64_t imm = 0;
};

/* Sizes of f usable in the builder's mode; form_ok: f exists in that mode. */
uint8_t form_sizes(const Form &f, int mode);
bool form_ok(const Form &f, int mode);
/* A random operand size of f valid in b's mode. */
int form_pick_size(Builder &b, const Form &f);
/* A random form of the table valid in b's mode. */
const Form &pick_form(Builder &b, const Form *t, unsigned n);
/* Instantiate f (emits set-up and the instruction). */
FormResult gen_form(Builder &b, const Form &f, const FormOpts &o = FormOpts());
/* Same, but first lets `prep` emit set-up that depends on the chosen registers (called after
 * the operands are chosen and before the instruction is emitted). */
template <class F> FormResult gen_form_with(Builder &b, const Form &f, const FormOpts &o, F prep);

/* Internal two-phase API used by gen_form_with. */
struct FormPlan {
    Enc e;
    std::string mn;
    FormResult r;
    bool uc_nolock = false;
};
FormPlan plan_form(Builder &b, const Form &f, const FormOpts &o);
void emit_plan(Builder &b, FormPlan &p, const FormOpts &o);

template <class F> FormResult gen_form_with(Builder &b, const Form &f, const FormOpts &o, F prep)
{
    FormPlan p = plan_form(b, f, o);
    prep(p.r);
    emit_plan(b, p, o);
    return p.r;
}

/* The form tables, by group. */
const Form *forms_alu(unsigned *n);
const Form *forms_mov(unsigned *n);
const Form *forms_shift(unsigned *n);

} // namespace diff
#endif
