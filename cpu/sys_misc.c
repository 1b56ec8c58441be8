/* sys_misc.c — processor identification and extended state: CPUID, XGETBV, XSETBV, FXSAVE,
 * FXRSTOR, XSAVE, XRSTOR, and the SMAP flag instructions STAC/CLAC (SDM Vol. 2 pages of each;
 * Vol. 1 13.3 for XCR0; Vol. 1 10.5.1 for the FXSAVE image; Vol. 1 13.4-13.8 for the XSAVE area).
 *
 * Invariants: x87/SSE register state is not modelled. FXSAVE always stores the image of an
 * initialised FPU/SSE unit (FCW 037FH, empty tags, MXCSR 1F80H, zero registers, MXCSR_MASK from
 * the model); FXRSTOR checks the image (alignment, MXCSR reserved bits) and discards it. XSAVE
 * stores the same legacy image for the requested components and, every component being in its
 * initial configuration (XINUSE = 0), clears their XSTATE_BV bits; XRSTOR checks the header and
 * MXCSR (Vol. 1 13.8) and discards the image.
 */
#include "cpu/ops.h"
#include "cpu/sys_ctl.h"
#include "cpu/vmx_intercept.h"

static void op_cpuid(struct cpu *c, const struct insn *i)
{
    if (c->vmx.nonroot)         /* VM exit 10, unconditional (SDM Vol. 3 25.1.2) */
        vmx_icpt_simple(c, i, VMX_EXIT_CPUID);
    uint32_t r[4];
    sys_cpuid(c, (uint32_t)c->gpr[R_RAX], (uint32_t)c->gpr[R_RCX], r);
    c->gpr[R_RAX] = r[0];
    c->gpr[R_RBX] = r[1];
    c->gpr[R_RCX] = r[2];
    c->gpr[R_RDX] = r[3];
}

/* XCR0 bits the model supports: CPUID.(EAX=0DH,ECX=0):EDX:EAX. */
static uint64_t xcr0_supported(const struct cpu *c)
{
    uint32_t r[4];
    sys_cpuid(c, 0xd, 0, r);
    return r[0] | (uint64_t)r[3] << 32;
}

static void need_osxsave(struct cpu *c)
{
    if (!sys_has(c, F_XSAVE) || !(c->cr4 & CR4_OSXSAVE))
        cpu_fault_noerr(c, VEC_UD);
}

/* XGETBV: ECX = 0 reads XCR0; ECX = 1 (XINUSE) only where CPUID.(0DH,1):EAX[2] says so. */
static void op_xgetbv(struct cpu *c, const struct insn *i)
{
    (void)i;
    need_osxsave(c);
    uint32_t r[4];
    sys_cpuid(c, 0xd, 1, r);
    uint32_t n = (uint32_t)c->gpr[R_RCX];
    uint64_t v;
    if (n == 0)
        v = c->msr.xcr0;
    else if (n == 1 && (r[0] & 4))
        v = c->msr.xcr0;        /* every enabled component may be in use */
    else
        cpu_fault(c, VEC_GP, 0);
    c->gpr[R_RAX] = (uint32_t)v;
    c->gpr[R_RDX] = v >> 32;
}

/* XSETBV (SDM Vol. 2 XSETBV; Vol. 1 13.3): CPL 0, ECX = 0, x87 bit set, only supported bits,
 * AVX (2) needs SSE (1), the AVX-512 bits 7:5 together and with AVX, the MPX bits 4:3 together. */
static void op_xsetbv(struct cpu *c, const struct insn *i)
{
    need_osxsave(c);
    sys_need_cpl0(c);
    if (c->vmx.nonroot)         /* VM exit 55, unconditional (SDM Vol. 3 25.1.2) */
        vmx_icpt_simple(c, i, VMX_EXIT_XSETBV);
    uint64_t v = (uint32_t)c->gpr[R_RAX] | c->gpr[R_RDX] << 32;
    if ((uint32_t)c->gpr[R_RCX] != 0 || !(v & 1) || (v & ~xcr0_supported(c)))
        cpu_fault(c, VEC_GP, 0);
    if ((v & 4) && !(v & 2))
        cpu_fault(c, VEC_GP, 0);
    if ((v & 0xe0) && ((v & 0xe0) != 0xe0 || !(v & 4)))
        cpu_fault(c, VEC_GP, 0);
    if (((v >> 3) & 3) == 1 || ((v >> 3) & 3) == 2)
        cpu_fault(c, VEC_GP, 0);
    c->msr.xcr0 = v;
    c->block_end = true;
}

/* Common checks of FXSAVE/FXRSTOR; returns the segment offset of the 512-byte image. */
static uint64_t fx_image(struct cpu *c, const struct insn *i, unsigned acc)
{
    if (!sys_has(c, F_FXSR))
        cpu_fault_noerr(c, VEC_UD);
    if (c->cr0 & (CR0_TS | CR0_EM))
        cpu_fault_noerr(c, VEC_NM);
    uint64_t ea = insn_ea(c, i);
    uint64_t lin = seg_lin(c, i->seg, ea, 512, acc);
    if (lin & 15)
        cpu_fault(c, VEC_GP, 0);   /* "regardless of segment" */
    /* the image spans at most two pages: check both ends before any byte is written */
    vcheck(c, i->seg, ea, 1, acc);
    vcheck(c, i->seg, trunc_sz(ea + 511, i->asz), 1, acc);
    return ea;
}

/* FXSAVE/FXSAVE64: bytes 0-287 (non-64-bit: XMM0-7) or 0-415 (64-bit mode: XMM0-15); bytes
 * 416-511 are not written (SDM Vol. 1 Table 10-2, 10-3). */
static void op_fxsave(struct cpu *c, const struct insn *i)
{
    uint64_t ea = fx_image(c, i, ACC_WRITE);
    unsigned len = c->mode == MODE_LONG64 ? 416 : 288;
    for (unsigned off = 0; off < len; off += 8) {
        uint64_t q = 0;
        if (off == 0)
            q = 0x037f;                                    /* FCW; FSW, FTW, FOP = 0 */
        else if (off == 24)
            q = 0x1f80 | (uint64_t)c->model->mxcsr_mask << 32;   /* MXCSR, MXCSR_MASK */
        vwrite(c, i->seg, trunc_sz(ea + off, i->asz), q, 8);
    }
}

static void op_fxrstor(struct cpu *c, const struct insn *i)
{
    uint64_t ea = fx_image(c, i, ACC_READ);
    uint32_t mxcsr = (uint32_t)vread(c, i->seg, trunc_sz(ea + 24, i->asz), 4);
    if (mxcsr & ~c->model->mxcsr_mask)
        cpu_fault(c, VEC_GP, 0);
}

/* XSAVE/XRSTOR common checks (SDM Vol. 2 XSAVE, XRSTOR "Protected Mode Exceptions"): #UD
 * without CPUID.XSAVE or CR4.OSXSAVE, #NM with CR0.TS, #GP(0) if the area is not 64-byte aligned.
 * The area checked is the legacy region and the header (576 bytes): the model's XCR0 holds no
 * component beyond SSE. Returns the segment offset of the area. */
static uint64_t xsave_area(struct cpu *c, const struct insn *i, unsigned acc)
{
    need_osxsave(c);
    if (c->cr0 & CR0_TS)
        cpu_fault_noerr(c, VEC_NM);
    uint64_t ea = insn_ea(c, i);
    uint64_t lin = seg_lin(c, i->seg, ea, 576, acc);
    if (lin & 63)
        cpu_fault(c, VEC_GP, 0);
    vcheck(c, i->seg, ea, 1, acc);
    vcheck(c, i->seg, trunc_sz(ea + 575, i->asz), 1, acc);
    return ea;
}

/* The requested-feature bitmap: XCR0 AND EDX:EAX (Vol. 1 13.6, 13.8). */
static uint64_t xsave_rfbm(const struct cpu *c)
{
    return c->msr.xcr0 & ((uint32_t)c->gpr[R_RAX] | c->gpr[R_RDX] << 32);
}

/* XSAVE/XSAVE64 (Vol. 1 13.7): component 0 (x87: bytes 0-23 and 32-159) and component 1 (SSE:
 * XMM registers at 160, eight outside 64-bit mode) if requested; MXCSR and MXCSR_MASK (24-31)
 * if RFBM[1] or RFBM[2]; XSTATE_BV[i] = XINUSE[i] = 0 for requested i, its other bits and the
 * rest of the header unchanged. */
static void op_xsave(struct cpu *c, const struct insn *i)
{
    uint64_t ea = xsave_area(c, i, ACC_WRITE);
    uint64_t rfbm = xsave_rfbm(c);
    unsigned xmm_end = 160 + (c->mode == MODE_LONG64 ? 16 : 8) * 16;
    for (unsigned off = 0; off < xmm_end; off += 8) {
        uint64_t q = 0;
        if (off == 24) {
            if (!(rfbm & 6))
                continue;
            q = 0x1f80 | (uint64_t)c->model->mxcsr_mask << 32;   /* MXCSR, MXCSR_MASK */
        } else if (off < 160) {
            if (!(rfbm & 1))
                continue;
            if (off == 0)
                q = 0x037f;                                /* FCW; FSW, FTW, FOP = 0 */
        } else if (!(rfbm & 2)) {
            continue;
        }
        vwrite(c, i->seg, trunc_sz(ea + off, i->asz), q, 8);
    }
    uint64_t bv = vread(c, i->seg, trunc_sz(ea + 512, i->asz), 8);
    vwrite(c, i->seg, trunc_sz(ea + 512, i->asz), bv & ~rfbm, 8);
}

/* XRSTOR/XRSTOR64 (Vol. 1 13.8): the standard form only (no XSAVEC in the model): #GP(0) if
 * XCOMP_BV[63] is set, if header bytes 8-23 are not zero, if XSTATE_BV has a bit outside XCR0,
 * or if MXCSR (read when RFBM[1] or RFBM[2]) sets a bit outside MXCSR_MASK. */
static void op_xrstor(struct cpu *c, const struct insn *i)
{
    uint64_t ea = xsave_area(c, i, ACC_READ);
    uint64_t rfbm = xsave_rfbm(c);
    uint64_t bv = vread(c, i->seg, trunc_sz(ea + 512, i->asz), 8);
    uint64_t comp = vread(c, i->seg, trunc_sz(ea + 520, i->asz), 8);
    uint64_t rsvd = vread(c, i->seg, trunc_sz(ea + 528, i->asz), 8);
    if (comp || rsvd || (bv & ~c->msr.xcr0))
        cpu_fault(c, VEC_GP, 0);
    if (rfbm & 6) {
        uint32_t mxcsr = (uint32_t)vread(c, i->seg, trunc_sz(ea + 24, i->asz), 4);
        if (mxcsr & ~c->model->mxcsr_mask)
            cpu_fault(c, VEC_GP, 0);
    }
}

/* STAC/CLAC: #UD unless CPL = 0 and CPUID reports SMAP (SDM Vol. 2 STAC, CLAC). */
static void op_stac_clac(struct cpu *c, const struct insn *i)
{
    if (c->cpl != 0 || !sys_has(c, F_SMAP))
        cpu_fault_noerr(c, VEC_UD);
    if (i->id == X86_INS_STAC)
        c->rflags |= RF_AC;
    else
        c->rflags &= ~(uint64_t)RF_AC;
    c->block_end = true;
}

static int sel_nolock(struct insn *i)
{
    return (i->pfx & PFX_LOCK) ? -1 : 0;
}

static int sel_mem_only(struct insn *i)
{
    return (i->pfx & PFX_LOCK) || !i->nops || i->op[0].kind != OPK_MEM ? -1 : 0;
}

void sys_misc_register(void)
{
    op_reg(X86_INS_CPUID, op_cpuid, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_XGETBV, op_xgetbv, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_XSETBV, op_xsetbv, sel_nolock, CLS_SERIAL);
    op_reg(X86_INS_FXSAVE, op_fxsave, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_FXSAVE64, op_fxsave, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_FXRSTOR, op_fxrstor, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_FXRSTOR64, op_fxrstor, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_XSAVE, op_xsave, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_XSAVE64, op_xsave, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_XRSTOR, op_xrstor, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_XRSTOR64, op_xrstor, sel_mem_only, CLS_OTHER);
    op_reg(X86_INS_STAC, op_stac_clac, sel_nolock, CLS_SYSTEM);
    op_reg(X86_INS_CLAC, op_stac_clac, sel_nolock, CLS_SYSTEM);
}
