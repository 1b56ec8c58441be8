/* stack.c — PUSH and POP of one value on SS:rSP (see stack.h for the width rules and the
 * fault-before-commit invariant). SDM Vol. 2 PUSH, POP; Vol. 1 6.2.3. */
#include "cpu/stack.h"

void stack_push(struct cpu *c, uint64_t value, unsigned size)
{
    uint64_t sp = stack_off(c, -(int64_t)size);
    vwrite(c, SEG_SS, sp, value, size);
    stack_set_sp(c, sp);
}

uint64_t stack_pop(struct cpu *c, unsigned size)
{
    uint64_t v = vread(c, SEG_SS, stack_sp(c), size);
    stack_set_sp(c, stack_off(c, (int64_t)size));
    return v;
}
