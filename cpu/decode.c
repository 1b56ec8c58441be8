/* decode.c — Capstone output to struct insn (the compact internal form, insn.h).
 *
 * Called only on a decode-cache miss. Capstone (with detail on) gives the length, the
 * instruction id, the prefixes and the explicit operands; this file maps them to operand
 * descriptors, resolves the memory operand's default segment (SDM Vol. 1 3.7.4: SS for RSP/RBP
 * bases, DS otherwise, or the override), takes immediates from the raw bytes (sign-extended from
 * their encoded width) and relative branch displacements from the encoding, then lets the
 * registered op_desc pick the handler.
 *
 * Invariants: the result depends only on the bytes and the code size; an encoding Capstone does
 * not decode becomes an insn whose handler raises #UD; a decoded instruction with no registered
 * handler becomes one that stops the machine with a clear "not implemented" report.
 */
#include "cpu/decode.h"

#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "cpu/cpu.h"
#include "cpu/ops.h"

/* Capstone register -> (kind, number, size). Built once. */
struct regmap { uint8_t kind, reg, size; };
static struct regmap regmap[X86_REG_ENDING];

static void map(x86_reg r, uint8_t kind, uint8_t reg, uint8_t size)
{
    regmap[r] = (struct regmap){ kind, reg, size };
}

static void regmap_init(void)
{
    static const x86_reg r64[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
        X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI, X86_REG_R8, X86_REG_R9, X86_REG_R10,
        X86_REG_R11, X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 };
    static const x86_reg r32[16] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
        X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI, X86_REG_R8D, X86_REG_R9D,
        X86_REG_R10D, X86_REG_R11D, X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D };
    static const x86_reg r16[16] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
        X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI, X86_REG_R8W, X86_REG_R9W,
        X86_REG_R10W, X86_REG_R11W, X86_REG_R12W, X86_REG_R13W, X86_REG_R14W, X86_REG_R15W };
    static const x86_reg r8[16] = { X86_REG_AL, X86_REG_CL, X86_REG_DL, X86_REG_BL,
        X86_REG_SPL, X86_REG_BPL, X86_REG_SIL, X86_REG_DIL, X86_REG_R8B, X86_REG_R9B,
        X86_REG_R10B, X86_REG_R11B, X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B };
    for (int k = 0; k < 16; k++) {
        map(r64[k], OPK_REG, (uint8_t)k, 8);
        map(r32[k], OPK_REG, (uint8_t)k, 4);
        map(r16[k], OPK_REG, (uint8_t)k, 2);
        map(r8[k], OPK_REG, (uint8_t)k, 1);
    }
    map(X86_REG_AH, OPK_REGH, 0, 1);
    map(X86_REG_CH, OPK_REGH, 1, 1);
    map(X86_REG_DH, OPK_REGH, 2, 1);
    map(X86_REG_BH, OPK_REGH, 3, 1);
    map(X86_REG_ES, OPK_SEG, SEG_ES, 2);
    map(X86_REG_CS, OPK_SEG, SEG_CS, 2);
    map(X86_REG_SS, OPK_SEG, SEG_SS, 2);
    map(X86_REG_DS, OPK_SEG, SEG_DS, 2);
    map(X86_REG_FS, OPK_SEG, SEG_FS, 2);
    map(X86_REG_GS, OPK_SEG, SEG_GS, 2);
    for (int k = 0; k < 16; k++) {
        map((x86_reg)(X86_REG_CR0 + k), OPK_CR, (uint8_t)k, 8);
        map((x86_reg)(X86_REG_DR0 + k), OPK_DR, (uint8_t)k, 8);
    }
}

static uint8_t seg_of_prefix(uint8_t p)
{
    switch (p) {
    case 0x26: return SEG_ES;
    case 0x2e: return SEG_CS;
    case 0x36: return SEG_SS;
    case 0x3e: return SEG_DS;
    case 0x64: return SEG_FS;
    case 0x65: return SEG_GS;
    default: return SEG_NONE;
    }
}

static void op_unimplemented(struct cpu *c, const struct insn *i)
{
    snprintf(c->stop_msg, sizeof c->stop_msg,
             "instruction '%s' at RIP %#llx is not implemented by hvsim",
             decode_mnemonic(i->id), (unsigned long long)c->insn_start);
    cpu_abort(c, STOP_SHUTDOWN_UNSUPPORTED);
}

static const struct decoder_handles *handles;

const char *decode_mnemonic(unsigned id)
{
    const char *n = handles ? cs_insn_name((csh)handles->h64, id) : NULL;
    return n ? n : "(invalid)";
}

int decoder_init(struct decoder_handles *dh)
{
    static const cs_mode modes[3] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };
    uintptr_t *out[3] = { &dh->h16, &dh->h32, &dh->h64 };
    static int regmap_done;
    if (!regmap_done) {
        regmap_init();
        regmap_done = 1;
    }
    ops_register_all();
    for (int k = 0; k < 3; k++) {
        csh h;
        if (cs_open(CS_ARCH_X86, modes[k], &h) != CS_ERR_OK)
            return -1;
        cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
        *out[k] = (uintptr_t)h;
    }
    dh->scratch = cs_malloc((csh)dh->h64);
    if (!handles)
        handles = dh;
    return dh->scratch ? 0 : -1;
}

void decoder_fini(struct decoder_handles *dh)
{
    if (dh->scratch)
        cs_free((cs_insn *)dh->scratch, 1);
    csh h;
    h = (csh)dh->h16; cs_close(&h);
    h = (csh)dh->h32; cs_close(&h);
    h = (csh)dh->h64; cs_close(&h);
    if (handles == dh)
        handles = NULL;
    memset(dh, 0, sizeof *dh);
}

static int64_t sext_bytes(const uint8_t *p, unsigned n)
{
    switch (n) {
    case 1: return (int8_t)p[0];
    case 2: { int16_t v; memcpy(&v, p, 2); return v; }
    case 4: { int32_t v; memcpy(&v, p, 4); return v; }
    case 8: { int64_t v; memcpy(&v, p, 8); return v; }
    default: return 0;
    }
}

/* Default operand size for instructions with no explicit operand (SDM Vol. 1 3.6.1). */
static uint8_t default_osz(unsigned code_size, uint8_t pfx)
{
    if (code_size == 8)
        return (pfx & PFX_REXW) ? 8 : (pfx & PFX_OPSIZE) ? 2 : 4;
    if (code_size == 4)
        return (pfx & PFX_OPSIZE) ? 2 : 4;
    return (pfx & PFX_OPSIZE) ? 4 : 2;
}

static bool is_sp_bp(x86_reg r)
{
    switch (r) {
    case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP:
    case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP:
        return true;
    default:
        return false;
    }
}

/* Length of a ModRM operand starting at p[0] (the ModRM byte), SDM Vol. 2 2.1.5 Tables 2-1..2-3. */
static unsigned modrm_len(const uint8_t *p, size_t avail, unsigned asz)
{
    if (avail < 1)
        return 0;
    unsigned mod = p[0] >> 6, rm = p[0] & 7, n = 1;
    if (mod == 3)
        return 1;
    if (asz == 2) {
        if (mod == 0 && rm == 6) return 3;
        return 1 + (mod == 1 ? 1 : mod == 2 ? 2 : 0);
    }
    if (rm == 4) {                              /* SIB */
        if (avail < 2)
            return 0;
        n++;
        if (mod == 0 && (p[1] & 7) == 5)
            return n + 4;
    } else if (mod == 0 && rm == 5) {
        return n + 4;                           /* disp32 / RIP-relative */
    }
    return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/* Capstone 4.0.2 does not decode the reserved-NOP (hint) encodings 0F 18 /4-7 and 0F 19..0F 1F in
 * most of their register and some memory forms, which processors execute as NOPs (SDM Vol. 2
 * Table A-3, "NOP Ev" / "Reserved-NOP"). Recognise them here. Returns the length, or 0. */
static unsigned hint_nop_len(const uint8_t *b, size_t avail, unsigned code_size)
{
    unsigned k = 0, asz = code_size == 2 ? 2 : 4;
    bool adsize = false;
    while (k < avail && k < 14) {             /* (a LOCK prefix is not accepted: #UD) */
        uint8_t x = b[k];
        if (x == 0x66 || x == 0xf2 || x == 0xf3 || seg_of_prefix(x) != SEG_NONE) {
            k++;
        } else if (x == 0x67) {
            adsize = true;
            k++;
        } else {
            break;
        }
    }
    if (code_size == 8 && k < avail && (b[k] & 0xf0) == 0x40)
        k++;                                    /* REX */
    if (code_size == 8)
        asz = adsize ? 4 : 8;
    else if (adsize)
        asz = code_size == 2 ? 4 : 2;
    if (k + 2 >= avail || b[k] != 0x0f || b[k + 1] < 0x18 || b[k + 1] > 0x1f)
        return 0;
    if (b[k + 1] == 0x18 && ((b[k + 2] >> 3) & 7) < 4 && (b[k + 2] >> 6) != 3)
        return 0;                               /* PREFETCHh: Capstone decodes those */
    unsigned m = modrm_len(b + k + 2, avail - k - 2, asz);
    return m && k + 2 + m <= 15 ? k + 2 + m : 0;
}

int decode_one(const struct decoder_handles *dh, unsigned code_size, const uint8_t *bytes,
               size_t avail, struct insn *out)
{
    csh h = (csh)(code_size == 8 ? dh->h64 : code_size == 4 ? dh->h32 : dh->h16);
    cs_insn *ci = (cs_insn *)dh->scratch;
    const uint8_t *p = bytes;
    size_t n = avail;
    uint64_t addr = 0;

    memset(out, 0, sizeof *out);
    out->base = out->index = MEM_NOREG;
    out->seg = SEG_DS;
    if (!cs_disasm_iter(h, &p, &n, &addr, ci)) {
        unsigned hl = hint_nop_len(bytes, avail, code_size);
        if (hl && hl <= avail) {
            out->fn = op_table[X86_INS_NOP].fn;
            out->len = (uint8_t)hl;
            out->cls = CLS_NOP;
            out->id = X86_INS_NOP;
            out->osz = default_osz(code_size, 0);
            out->asz = (uint8_t)(code_size == 2 ? 2 : code_size);
            return 0;
        }
        if (avail < 15)
            return -1;          /* maybe truncated: the caller retries with more bytes */
        out->fn = op_ud;
        out->len = 1;
        out->cls = CLS_OTHER;
        out->id = X86_INS_INVALID;
        return 0;
    }
    const cs_x86 *x = &ci->detail->x86;
    out->id = (uint16_t)ci->id;
    out->len = (uint8_t)ci->size;
    out->asz = x->addr_size;
    /* Prefixes from the raw bytes (SDM Vol. 2 2.1.1): Capstone's prefix[] drops some (the F3 of
     * RDPID), and the last of F2/F3 is the one that counts. */
    uint8_t ovr = SEG_NONE;
    for (unsigned k = 0; k < ci->size; k++) {
        uint8_t b = ci->bytes[k];
        if (b == 0xf0) out->pfx |= PFX_LOCK;
        else if (b == 0xf3) out->pfx = (uint8_t)((out->pfx & ~PFX_REPNE) | PFX_REP);
        else if (b == 0xf2) out->pfx = (uint8_t)((out->pfx & ~PFX_REP) | PFX_REPNE);
        else if (b == 0x66) out->pfx |= PFX_OPSIZE;
        else if (b == 0x67) out->pfx |= PFX_ADSIZE;
        else if (seg_of_prefix(b) != SEG_NONE) ovr = seg_of_prefix(b);
        else break;
    }
    if (x->rex) out->pfx |= PFX_REX;
    if (x->rex & 8) out->pfx |= PFX_REXW;
    if (ovr != SEG_NONE)
        out->pfx |= PFX_SEGOVR;
    out->modrm = x->modrm;
    /* The opcode byte after any 0F / 0F 38 / 0F 3A escape. */
    if (x->opcode[0] == 0x0f)
        out->opc = (x->opcode[1] == 0x38 || x->opcode[1] == 0x3a) ? x->opcode[2] : x->opcode[1];
    else
        out->opc = x->opcode[0];
    out->osz = default_osz(code_size, out->pfx);

    /* immediates from the raw bytes */
    if (x->encoding.imm_size && x->encoding.imm_offset + x->encoding.imm_size <= ci->size)
        out->imm = sext_bytes(ci->bytes + x->encoding.imm_offset, x->encoding.imm_size);

    bool relative = cs_insn_group(h, ci, CS_GRP_BRANCH_RELATIVE);
    bool have_mem = false;
    int nimm = 0;
    for (int k = 0; k < x->op_count && k < 3; k++) {
        const cs_x86_op *o = &x->operands[k];
        struct opnd *d = &out->op[k];
        d->size = o->size;
        switch (o->type) {
        case X86_OP_REG:
            if (o->reg < X86_REG_ENDING && regmap[o->reg].kind) {
                d->kind = regmap[o->reg].kind;
                d->reg = regmap[o->reg].reg;
                d->size = regmap[o->reg].size;
            } else {
                d->kind = OPK_OTHER;
                d->reg = 0;
            }
            break;
        case X86_OP_IMM:
            d->kind = OPK_IMM;
            if (relative) {
                /* Capstone gives the target for address 0: target - len is the displacement. */
                int64_t rel = o->imm - (int64_t)ci->size;
                bool rel16 = code_size != 8 && ((code_size == 2) != !!(out->pfx & PFX_OPSIZE));
                out->imm = rel16 ? (int16_t)rel : (int32_t)rel;
            } else if (nimm == 0) {
                if (!x->encoding.imm_size)
                    out->imm = o->imm;         /* implicit immediate, e.g. the 1 of D1 /4 */
            } else {
                out->imm2 = (uint64_t)o->imm;  /* second immediate: ENTER level, far selector */
            }
            nimm++;
            break;
        case X86_OP_MEM:
            d->kind = OPK_MEM;
            if (!have_mem) {
                have_mem = true;
                out->disp = o->mem.disp;
                if (o->mem.base == X86_REG_RIP || o->mem.base == X86_REG_EIP)
                    out->base = MEM_RIP;
                else if (o->mem.base != X86_REG_INVALID && regmap[o->mem.base].kind == OPK_REG)
                    out->base = regmap[o->mem.base].reg;
                if (o->mem.index != X86_REG_INVALID && regmap[o->mem.index].kind == OPK_REG) {
                    out->index = regmap[o->mem.index].reg;
                    out->scale = (uint8_t)__builtin_ctz((unsigned)(o->mem.scale ? o->mem.scale : 1));
                }
                out->seg = ovr != SEG_NONE ? ovr : is_sp_bp(o->mem.base) ? SEG_SS : SEG_DS;
            }
            break;
        default:
            d->kind = OPK_NONE;
            break;
        }
        out->nops = (uint8_t)(k + 1);
    }
    if (!have_mem && ovr != SEG_NONE)
        out->seg = ovr;                       /* string instructions: the source override */
    /* ENTER imm16, imm8: both immediates are unsigned. */
    if (ci->id == X86_INS_ENTER && ci->size >= 4) {
        out->imm = ci->bytes[ci->size - 3] | (ci->bytes[ci->size - 2] << 8);
        out->imm2 = ci->bytes[ci->size - 1];
    }
    if (out->nops && (out->op[0].kind == OPK_REG || out->op[0].kind == OPK_MEM ||
                      out->op[0].kind == OPK_REGH) && out->op[0].size)
        out->osz = out->op[0].size;

    const struct op_desc *od = ci->id < op_table_size ? &op_table[ci->id] : NULL;
    if (!od || (!od->fn && !od->select)) {
        out->fn = op_unimplemented;
        out->cls = CLS_OTHER;
        return 0;
    }
    out->fn = od->fn;
    out->cls = od->cls;
    if (od->select && od->select(out) < 0) {
        out->fn = op_ud;
        out->cls = CLS_OTHER;
    }
    if (!out->fn)
        out->fn = op_unimplemented;
    return 0;
}

bool decode_ends_block(const struct insn *i)
{
    switch (i->cls) {
    case CLS_BRANCH: case CLS_CALLRET: case CLS_FAR: case CLS_INT: case CLS_SERIAL:
    case CLS_SYSTEM: case CLS_IO:
        return true;
    default:
        return i->fn == op_ud || i->fn == op_unimplemented;
    }
}

int decode_disasm(unsigned code_size, const uint8_t *bytes, size_t len, uint64_t addr,
                  char *buf, size_t buflen)
{
    csh h;
    cs_mode m = code_size == 8 ? CS_MODE_64 : code_size == 4 ? CS_MODE_32 : CS_MODE_16;
    if (cs_open(CS_ARCH_X86, m, &h) != CS_ERR_OK)
        return -1;
    cs_insn *ci;
    size_t n = cs_disasm(h, bytes, len, addr, 1, &ci);
    int r = -1;
    if (n == 1) {
        snprintf(buf, buflen, "%s %s", ci->mnemonic, ci->op_str);
        r = (int)ci->size;
        cs_free(ci, n);
    }
    cs_close(&h);
    return r;
}
