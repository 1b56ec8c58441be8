/* operand.c — generic operand access for handlers that are not specialised by operand form.
 *
 * Invariant: memory operands go through vread/vwrite (segmentation, paging, counting); register
 * writes follow the x86 width rules of reg_write (mem.h); immediates are i->imm truncated to the
 * operand size (the decoder sign-extended them from their encoded width).
 */
#include "cpu/mem.h"

uint64_t opnd_read(struct cpu *c, const struct insn *i, int n)
{
    const struct opnd *o = &i->op[n];
    switch (o->kind) {
    case OPK_REG:
        return reg_read(c, o->reg, o->size);
    case OPK_REGH:
        return *cpu_reg8h(c, o->reg);
    case OPK_MEM:
        return vread(c, i->seg, insn_ea(c, i), o->size);
    case OPK_IMM:
        return trunc_sz((uint64_t)i->imm, o->size ? o->size : i->osz);
    case OPK_SEG:
        return c->seg[o->reg].sel;
    default:
        return 0;
    }
}

void opnd_write(struct cpu *c, const struct insn *i, int n, uint64_t v)
{
    const struct opnd *o = &i->op[n];
    switch (o->kind) {
    case OPK_REG:
        reg_write(c, o->reg, v, o->size);
        break;
    case OPK_REGH:
        *cpu_reg8h(c, o->reg) = (uint8_t)v;
        break;
    case OPK_MEM:
        vwrite(c, i->seg, insn_ea(c, i), v, o->size);
        break;
    default:
        break;
    }
}

void opnd_check_write(struct cpu *c, const struct insn *i, int n)
{
    const struct opnd *o = &i->op[n];
    if (o->kind == OPK_MEM)
        vcheck(c, i->seg, insn_ea(c, i), o->size, ACC_WRITE);
}
