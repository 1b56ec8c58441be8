/* vmx_vmcs.c — the VMCS: the encoding -> field map generated from vmx_fields.h, field access with
 * the width rules of SDM Vol. 3 24.11.2 (16/32/64/natural, full and high access), the processor's
 * cached copy of the current VMCS and hvsim's VMCS memory format (vmx.h, docs/VMX.md), and the
 * VMX instruction conventions of 30.2 (VMsucceed, VMfailInvalid, VMfailValid).
 *
 * Invariants:
 *  - A field value in the cache is always truncated to the field's width, so VMREAD returns
 *    exactly what the field holds and a VMCLEAR image never carries bits the field lacks.
 *  - Only the current VMCS is cached; its region is written back (vmx_vmcs_flush) before the
 *    processor stops referring to it (VMCLEAR, VMXOFF, VMPTRLD of another VMCS).
 */
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/vmx.h"
#include "sim/bus.h"

/* Map key of an encoding: width, type and index (bits 14:13, 11:10, 9:1) packed in 13 bits. */
#define VMX_KEY(e) ((VMCS_ENC_WIDTH(e) << 11) | (VMCS_ENC_TYPE(e) << 9) | VMCS_ENC_INDEX(e))

static const uint8_t field_of_key[1u << 13] = {
#define VMX_FIELD_KEY(name, enc, gate) [VMX_KEY(enc)] = VMCS_##name + 1,
    VMX_FIELDS(VMX_FIELD_KEY)
#undef VMX_FIELD_KEY
};
_Static_assert(VMX_NFIELDS < 255, "field_of_key holds index + 1 in a byte");

static const uint16_t encoding_of[VMX_NFIELDS] = {
#define VMX_FIELD_ENCODING(name, enc, gate) [VMCS_##name] = (enc),
    VMX_FIELDS(VMX_FIELD_ENCODING)
#undef VMX_FIELD_ENCODING
};

int vmx_field_index(uint64_t e)
{
    /* bits 63:15 and 12 are reserved (must be 0); high access only for 64-bit fields */
    if ((e >> 15) || (e & (1u << 12)))
        return -1;
    if (VMCS_ENC_HIGH(e) && VMCS_ENC_WIDTH(e) != VMCS_W64)
        return -1;
    return (int)field_of_key[VMX_KEY(e)] - 1;
}

uint32_t vmx_field_encoding(int index)
{
    return index >= 0 && index < VMX_NFIELDS ? encoding_of[index] : 0xffffffffu;
}

static uint64_t width_mask(uint32_t e)
{
    switch (VMCS_ENC_WIDTH(e)) {
    case VMCS_W16: return 0xffffull;
    case VMCS_W32: return 0xffffffffull;
    default: return ~0ull;
    }
}

uint64_t vmx_vmcs_read(const struct cpu *c, uint32_t e)
{
    uint64_t v = c->vmx.vmcs[vmx_field_index(e)];
    return VMCS_ENC_HIGH(e) ? v >> 32 : v;
}

/* SDM 24.11.2: a 16- or 32-bit field takes the low bits of the value; a high access writes bits
 * 63:32 of a 64-bit field and keeps 31:0; a full access writes all 64 bits (a 32-bit source,
 * outside 64-bit mode, arrives zero-extended: the high bits are cleared). */
void vmx_vmcs_write(struct cpu *c, uint32_t e, uint64_t value)
{
    uint64_t *f = &c->vmx.vmcs[vmx_field_index(e)];
    if (VMCS_ENC_HIGH(e))
        *f = (*f & 0xffffffffull) | (value << 32);
    else
        *f = value & width_mask(e);
}

void vmx_vmcs_load(struct cpu *c, uint64_t pa)
{
    c->vmx.launched = bus_read(c->bus, pa + VMX_VMCS_OFF_LAUNCH, 4) == 1;
    for (int k = 0; k < VMX_NFIELDS; k++)
        c->vmx.vmcs[k] = bus_read(c->bus, pa + VMX_VMCS_OFF_FIELDS + 8u * k, 8) &
                         width_mask(encoding_of[k]);
}

void vmx_vmcs_flush(struct cpu *c)
{
    uint64_t pa = c->vmx.vmcs_ptr;
    if (!c->vmx.on || pa == VMX_NO_VMCS)
        return;
    bus_write(c->bus, pa + VMX_VMCS_OFF_LAUNCH, c->vmx.launched ? 1 : 0, 4);
    bus_write(c->bus, pa + VMX_VMCS_OFF_FORMAT, VMX_VMCS_FORMAT, 4);
    for (int k = 0; k < VMX_NFIELDS; k++)
        bus_write(c->bus, pa + VMX_VMCS_OFF_FIELDS + 8u * k, c->vmx.vmcs[k], 8);
}

void vmx_reset(struct cpu *c)
{
    /* RESET leaves VMX operation; cached VMCS data is lost, as on hardware */
    memset(&c->vmx, 0, sizeof c->vmx);
}

bool vmx_init_blocked(const struct cpu *c)
{
    return c->vmx.on && !c->vmx.nonroot;
}

/* ------------------------------------------------------------------ SDM 30.2 conventions */

static void set_arith(struct cpu *c, uint64_t flags)
{
    cpu_set_rflags(c, (cpu_get_rflags(c) & ~(uint64_t)RF_ARITH) | flags);
}

void vmx_succeed(struct cpu *c) { set_arith(c, 0); }
void vmx_fail_invalid(struct cpu *c) { set_arith(c, RF_CF); }

void vmx_fail_valid(struct cpu *c, enum vmx_insn_error err)
{
    set_arith(c, RF_ZF);
    c->vmx.vmcs[VMCS_VM_INSN_ERROR] = (uint32_t)err;
}

void vmx_fail(struct cpu *c, enum vmx_insn_error err)
{
    if (c->vmx.vmcs_ptr != VMX_NO_VMCS)
        vmx_fail_valid(c, err);
    else
        vmx_fail_invalid(c);
}
