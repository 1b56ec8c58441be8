/* ops_string.c — string instructions MOVS CMPS SCAS LODS STOS of every element size, with
 * REP / REPE / REPNE (SDM Vol. 2 pages of each and "REP/REPE/REPZ/REPNE/REPNZ"). INS/OUTS are
 * system handlers.
 *
 * Addressing: the source is seg:rSI with seg = DS or the override (the decoder puts it in
 * i->seg), the destination is always ES:rDI; rSI, rDI and rCX have the address-size width
 * (16-bit: SI/DI/CX, wrapping, upper bits kept; 32-bit: zero-extended into the 64-bit register);
 * they step by the element size, down when RFLAGS.DF = 1.
 *
 * Invariants:
 *  - Each iteration performs its memory accesses first, then commits rSI/rDI/rCX, so a fault in
 *    iteration k leaves the registers exactly as after iteration k-1 and the instruction can be
 *    restarted (SDM Vol. 2 REP: "the registers are left consistent").
 *  - A REP instruction runs at most REP_CHUNK iterations per execution (one with RFLAGS.TF = 1,
 *    so single-stepping traps after each iteration as on hardware); if it is not finished it
 *    rewinds RIP to itself and ends the block, so the run loop can take interrupts and the
 *    instruction resumes where it stopped. (Each chunk retires as one instruction in c->ctr.)
 *  - F2 (REPNE) with MOVS/LODS/STOS acts as REP, as on Intel processors.
 *  - Each element charges model->string_elem cycles.
 */
#include "cpu/ops.h"
#include "cpu/ops_common.h"

#define REP_CHUNK 4096

enum str_kind { K_MOVS, K_CMPS, K_SCAS, K_LODS, K_STOS };

static inline void str_step(struct cpu *c, unsigned r, int64_t delta, unsigned w)
{
    reg_write(c, r, c->gpr[r] + (uint64_t)delta, w);
}

/* One element of kind k; returns "ZF" (operands equal) for CMPS/SCAS. */
OPS_INLINE bool str_one(struct cpu *c, const struct insn *i, unsigned k, unsigned sz,
                        unsigned w, int64_t delta)
{
    uint64_t a, b;
    switch (k) {
    case K_MOVS:
        a = vread(c, i->seg, reg_read(c, R_RSI, w), sz);
        vwrite(c, SEG_ES, reg_read(c, R_RDI, w), a, sz);
        str_step(c, R_RSI, delta, w);
        str_step(c, R_RDI, delta, w);
        return false;
    case K_CMPS:
        a = vread(c, i->seg, reg_read(c, R_RSI, w), sz);
        b = vread(c, SEG_ES, reg_read(c, R_RDI, w), sz);
        str_step(c, R_RSI, delta, w);
        str_step(c, R_RDI, delta, w);
        lf_set(c, LF_SUB, sz, a - b, a, b);
        return a == b;
    case K_SCAS:
        b = vread(c, SEG_ES, reg_read(c, R_RDI, w), sz);
        a = reg_read(c, R_RAX, sz);
        str_step(c, R_RDI, delta, w);
        lf_set(c, LF_SUB, sz, a - b, a, b);
        return a == b;
    case K_LODS:
        a = vread(c, i->seg, reg_read(c, R_RSI, w), sz);
        reg_write(c, R_RAX, a, sz);
        str_step(c, R_RSI, delta, w);
        return false;
    default:
        vwrite(c, SEG_ES, reg_read(c, R_RDI, w), c->gpr[R_RAX], sz);
        str_step(c, R_RDI, delta, w);
        return false;
    }
}

/* aux: kind in bits 2:0, log2(element size) in bits 5:4. */
OPS_INLINE void str_exec(struct cpu *c, const struct insn *i, unsigned k)
{
    unsigned sz = 1u << ((i->aux >> 4) & 3), w = i->asz;
    int64_t delta = (c->rflags & RF_DF) ? -(int64_t)sz : (int64_t)sz;
    uint32_t elem = c->model ? c->model->string_elem : 0;

    if (!(i->pfx & (PFX_REP | PFX_REPNE))) {
        str_one(c, i, k, sz, w, delta);
        c->ctr.cycles += elem;
        return;
    }
    bool cmp = k == K_CMPS || k == K_SCAS, repe = !(i->pfx & PFX_REPNE);
    /* Single-stepping (TF) traps after every iteration, like hardware: one per execution. */
    unsigned limit = (c->rflags & RF_TF) ? 1 : REP_CHUNK;
    for (unsigned n = 0; reg_read(c, R_RCX, w) != 0; n++) {
        if (n == limit) {
            c->rip = c->insn_start;       /* resume here after the run loop had its turn */
            c->block_end = true;
            return;
        }
        bool eq = str_one(c, i, k, sz, w, delta);
        c->ctr.cycles += elem;
        reg_write(c, R_RCX, c->gpr[R_RCX] - 1, w);
        if (cmp && eq != repe)
            return;
    }
}

static void op_movs(struct cpu *c, const struct insn *i) { str_exec(c, i, K_MOVS); }
static void op_cmps(struct cpu *c, const struct insn *i) { str_exec(c, i, K_CMPS); }
static void op_scas(struct cpu *c, const struct insn *i) { str_exec(c, i, K_SCAS); }
static void op_lods(struct cpu *c, const struct insn *i) { str_exec(c, i, K_LODS); }
static void op_stos(struct cpu *c, const struct insn *i) { str_exec(c, i, K_STOS); }

static const struct { uint16_t id; uint8_t kind, size; uint8_t opc; } str_ids[] = {
    { X86_INS_MOVSB, K_MOVS, 1, 0xa4 }, { X86_INS_MOVSW, K_MOVS, 2, 0xa5 },
    { X86_INS_MOVSD, K_MOVS, 4, 0xa5 }, { X86_INS_MOVSQ, K_MOVS, 8, 0xa5 },
    { X86_INS_CMPSB, K_CMPS, 1, 0xa6 }, { X86_INS_CMPSW, K_CMPS, 2, 0xa7 },
    { X86_INS_CMPSD, K_CMPS, 4, 0xa7 }, { X86_INS_CMPSQ, K_CMPS, 8, 0xa7 },
    { X86_INS_SCASB, K_SCAS, 1, 0xae }, { X86_INS_SCASW, K_SCAS, 2, 0xaf },
    { X86_INS_SCASD, K_SCAS, 4, 0xaf }, { X86_INS_SCASQ, K_SCAS, 8, 0xaf },
    { X86_INS_LODSB, K_LODS, 1, 0xac }, { X86_INS_LODSW, K_LODS, 2, 0xad },
    { X86_INS_LODSD, K_LODS, 4, 0xad }, { X86_INS_LODSQ, K_LODS, 8, 0xad },
    { X86_INS_STOSB, K_STOS, 1, 0xaa }, { X86_INS_STOSW, K_STOS, 2, 0xab },
    { X86_INS_STOSD, K_STOS, 4, 0xab }, { X86_INS_STOSQ, K_STOS, 8, 0xab },
};

static const insn_fn str_fn[5] = { op_movs, op_cmps, op_scas, op_lods, op_stos };

/* X86_INS_MOVSD and X86_INS_CMPSD are also the SSE2 scalar-double instructions (F2 0F 10/11,
 * F2 0F C2): only the string opcodes are ours; the SSE forms are #UD here. */
static int sel_string(struct insn *i)
{
    if (i->pfx & PFX_LOCK)
        return -1;
    for (unsigned k = 0; k < sizeof str_ids / sizeof str_ids[0]; k++) {
        if (str_ids[k].id != i->id)
            continue;
        if (i->opc != str_ids[k].opc)
            return -1;
        i->aux = (uint8_t)(str_ids[k].kind | size_log2(str_ids[k].size) << 4);
        i->fn = str_fn[str_ids[k].kind];
        i->osz = str_ids[k].size;
        return 0;
    }
    return -1;
}

void ops_string_register(void)
{
    for (unsigned k = 0; k < sizeof str_ids / sizeof str_ids[0]; k++)
        op_reg(str_ids[k].id, str_fn[str_ids[k].kind], sel_string, CLS_STRING);
}
