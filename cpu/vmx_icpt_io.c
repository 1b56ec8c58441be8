/* vmx_icpt_io.c — I/O instructions and RDMSR/WRMSR in VMX non-root operation: unconditional
 * I/O exiting and the I/O bitmaps (SDM Vol. 3 24.6.4, 25.1.3), the MSR bitmaps (24.6.9, 25.1.3),
 * the I/O exit qualification (Table 27-5), and for INS/OUTS the guest-linear address and the
 * instruction-information field (27.2.1, Table 24-13; present because IA32_VMX_BASIC[54] = 1).
 *
 * Invariants:
 *  - The bitmaps are read at their physical addresses through the bus, never through guest
 *    paging or EPT, and never written.
 *  - An I/O hook runs after the IOPL / TSS I/O-permission checks (25.1.1: those #GP take
 *    priority) and before any port or memory access, so INS/OUTS exits take priority over their
 *    memory faults as 25.1.1 requires.
 */
#include "cpu/vmx_intercept.h"

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "cpu/model.h"
#include "sim/bus.h"

/* ------------------------------------------------------------------ I/O (25.1.3) */

static bool io_bit(const struct cpu *c, uint32_t port)
{
    uint64_t base = c->vmx.vmcs[port & 0x8000 ? VMCS_IO_BITMAP_B : VMCS_IO_BITMAP_A];
    uint32_t byte = (uint32_t)bus_read(c->bus, base + ((port & 0x7fff) >> 3), 1);
    return (byte >> (port & 7)) & 1;
}

bool vmx_io_bitmap_exit(const struct cpu *c, uint16_t port, unsigned size)
{
    if ((uint32_t)port + size > 0x10000)        /* wraps around the 16-bit port space */
        return true;
    for (unsigned k = 0; k < size; k++)
        if (io_bit(c, (uint32_t)port + k))
            return true;
    return false;
}

bool vmx_io_exits(const struct cpu *c, uint16_t port, unsigned size)
{
    uint32_t p = vmx_proc_ctls(c);
    if (p & VMX_PROC_USE_IO_BITMAPS)            /* the bitmaps override unconditional exiting */
        return vmx_io_bitmap_exit(c, port, size);
    return (p & VMX_PROC_UNCOND_IO_EXITING) != 0;
}

void vmx_icpt_io(struct cpu *c, const struct insn *i, uint16_t port, unsigned size, bool in,
                 bool imm)
{
    if (vmx_io_exits(c, port, size))
        vmx_exit_insn(c, i, VMX_EXIT_IO_INSTRUCTION,
                      vmx_qual_io(port, size, in, false, false, imm), 0);
}

void vmx_icpt_string_io(struct cpu *c, const struct insn *i, uint16_t port, unsigned size,
                        bool in, bool rep)
{
    if (!vmx_io_exits(c, port, size))
        return;
    /* 27.2.1: the linear address of the element the instruction would access next: ES:rDI for
     * INS, seg:rSI for OUTS, the offset truncated to the address size; 63:32 clear outside
     * 64-bit mode. No segment checks: the exit takes priority over their faults (25.1.1). */
    int seg = in ? SEG_ES : i->seg;
    uint64_t off = trunc_sz(c->gpr[in ? R_RDI : R_RSI], i->asz);
    uint64_t lin;
    if (c->mode == MODE_LONG64)
        lin = (seg >= SEG_FS ? c->seg[seg].base : 0) + off;
    else
        lin = (uint32_t)(c->seg[seg].base + off);
    struct vmx_exit_req r = {
        .reason = VMX_EXIT_IO_INSTRUCTION,
        .qual = vmx_qual_io(port, size, in, true, rep, false),
        .gla = lin,
        .insn_len = i->len,
        .insn_info = (c->model->vmx.basic & VMX_BASIC_INOUT) ? vmx_insn_info_io(i, !in) : 0,
    };
    vmx_exit_raise(c, &r);
}

/* ------------------------------------------------------------------ MSRs (24.6.9, 25.1.3) */

/* Offsets of the four 1-KiB bitmaps in the MSR-bitmap page. */
#define MSRBM_READ_LOW   0
#define MSRBM_READ_HIGH  1024
#define MSRBM_WRITE_LOW  2048
#define MSRBM_WRITE_HIGH 3072

bool vmx_msr_exits(const struct cpu *c, uint32_t msr, bool write)
{
    if (!(vmx_proc_ctls(c) & VMX_PROC_USE_MSR_BITMAPS))
        return true;
    uint32_t off;
    if (msr <= 0x1fff)
        off = write ? MSRBM_WRITE_LOW : MSRBM_READ_LOW;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        off = write ? MSRBM_WRITE_HIGH : MSRBM_READ_HIGH;
    else
        return true;                            /* outside both ranges: always exits */
    uint32_t n = msr & 0x1fff;
    uint64_t pa = c->vmx.vmcs[VMCS_MSR_BITMAP] + off + (n >> 3);
    return ((bus_read(c->bus, pa, 1) >> (n & 7)) & 1) != 0;
}

void vmx_icpt_msr(struct cpu *c, const struct insn *i, bool write)
{
    if (vmx_msr_exits(c, (uint32_t)c->gpr[R_RCX], write))
        vmx_exit_insn(c, i, write ? VMX_EXIT_WRMSR : VMX_EXIT_RDMSR, 0, 0);
}
