/* vmx_io_msr.c — I/O instructions and MSR accesses in VMX non-root operation: unconditional
 * I/O exiting, I/O bitmaps (precedence over unconditional exiting, accesses spanning two ports,
 * wrap-around at FFFFH), string I/O with REP (guest-linear address, VM-exit instruction
 * information), MSR bitmaps (low and high ranges, read and write halves, MSRs outside both).
 *
 * Expected values (SDM Vol. 3): 25.1.3 (I/O: with "use I/O bitmaps" = 1 the unconditional
 * control is ignored and an access exits iff the bit of any port it touches is set in bitmap A
 * (0000H-7FFFH) or B (8000H-FFFFH), or it wraps around FFFFH; MSRs: with "use MSR bitmaps" = 1
 * RDMSR exits iff ECX is in 00000000H-00001FFFH or C0000000H-C0001FFFH and its bit in the
 * read-low (offset 0) / read-high (1024) bitmap is set, or ECX is in neither range; WRMSR the
 * same with write-low (2048) / write-high (3072)); 27.2.1 Table 27-5 (I/O qualification: 2:0
 * size - 1, 3 direction 1 = IN, 4 string, 5 REP, 6 operand encoding 1 = immediate, 31:16 port),
 * the guest-linear address of the string operand (27.2.1), 27.2.5 / Table 27-8 (INS/OUTS
 * instruction information, if IA32_VMX_BASIC[54]: 9:7 address size 2 = 64-bit, 17:15 segment
 * 3 = DS for OUTS).
 */
#include "lib/vmx_lib.h"

#define GSTEP(n, insn) "gs_" #n ":\n\t" insn "\n" "ge_" #n ":\n\tvmcall\n"
#define DECL(n) extern char gs_##n[], ge_##n[]
#define AT(n) gs_##n, ge_##n
__asm__(".text\n"
        GSTEP(out80, "outb %al, $0x80")
        GSTEP(inw_dx, "inw (%dx), %ax")
        GSTEP(inl_dx, "inl (%dx), %eax")
        GSTEP(rep_outsb, "rep outsb")
        GSTEP(bm_out80, "outb %al, $0x80")
        GSTEP(bm_in84, "inb $0x84, %al")
        GSTEP(bm_in8001, "inb (%dx), %al")
        GSTEP(bm_span, "inw (%dx), %ax")
        GSTEP(bm_wrap, "inw (%dx), %ax")
        GSTEP(rdmsr_x, "rdmsr")
        GSTEP(rdmsr_n, "rdmsr")
        GSTEP(wrmsr_x, "wrmsr")
        GSTEP(rdmsr_hi_x, "rdmsr")
        GSTEP(rdmsr_hi_n, "rdmsr")
        GSTEP(rdmsr_out, "rdmsr")
        GSTEP(wrmsr_hi_x, "wrmsr"));
DECL(out80); DECL(inw_dx); DECL(inl_dx); DECL(rep_outsb); DECL(bm_out80); DECL(bm_in84);
DECL(bm_in8001); DECL(bm_span); DECL(bm_wrap); DECL(rdmsr_x); DECL(rdmsr_n); DECL(wrmsr_x);
DECL(rdmsr_hi_x); DECL(rdmsr_hi_n); DECL(rdmsr_out); DECL(wrmsr_hi_x);

static uint8_t io_a[4096] __attribute__((aligned(4096)));
static uint8_t io_b[4096] __attribute__((aligned(4096)));
static uint8_t msr_bm[4096] __attribute__((aligned(4096)));
static char out_buf[4] = "ab";
static uint32_t proc_base;

static void set_bit(uint8_t *bm, unsigned n) { bm[n / 8] |= (uint8_t)(1u << (n % 8)); }

static void uncond(void)
{
    vmwrite(F_PROC, proc_base | PROC_UNCOND_IO);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}
static void uncond_dx3f8(void) { uncond(); vmx_gregs.rdx = 0x3f8; }
static void uncond_dx70(void) { uncond(); vmx_gregs.rdx = 0x70; }
static void uncond_outs(void)
{
    uncond();
    vmx_gregs.rdx = 0x80;
    vmx_gregs.rcx = 2;
    vmx_gregs.rsi = va_pa(out_buf);
}
static void check_outs(void)
{
    t_eq("REP OUTSB: guest-linear address = DS:RSI", vmread(F_GUEST_LINEAR), va_pa(out_buf));
    if ((vmx_basic_msr >> 54) & 1)
        t_eq("REP OUTSB: instruction information (64-bit address size, DS)",
             vmread(F_EXIT_INSN_INFO) & ((7u << 7) | (7u << 15)), (2u << 7) | (3u << 15));
    t_eq("REP OUTSB exit: guest RCX unchanged (not executed)", vmx_gregs.rcx, 2);
}
static void bitmaps(void)
{
    /* the unconditional control is also 1: the bitmaps take precedence */
    vmwrite(F_PROC, proc_base | PROC_UNCOND_IO | PROC_IO_BITMAPS);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
}
static void bitmaps_dx8001(void) { bitmaps(); vmx_gregs.rdx = 0x8001; }
static void bitmaps_dx7fff(void) { bitmaps(); vmx_gregs.rdx = 0x7fff; }
static void bitmaps_dxffff(void) { bitmaps(); vmx_gregs.rdx = 0xffff; }
static void msr(uint32_t ecx)
{
    vmwrite(F_PROC, proc_base | PROC_MSR_BITMAPS);
    memset(&vmx_gregs, 0, sizeof vmx_gregs);
    vmx_gregs.rcx = ecx;
}
static void msr_10(void) { msr(0x10); }             /* TSC: read bit set */
static void msr_174(void) { msr(0x174); }           /* SYSENTER_CS: read clear, write set */
static void msr_efer(void) { msr(0xc0000080u); }    /* EFER: read-high bit set */
static void msr_fsbase(void) { msr(0xc0000100u); }  /* FS base: read-high bit clear */
static void msr_out(void) { msr(0x40000000u); }     /* in neither range */
static void msr_star(void) { msr(0xc0000081u); vmx_gregs.rax = 0; }  /* write-high bit set */
static void check_msr_read(void)
{
    t_eq("RDMSR not exiting reads the MSR (IA32_SYSENTER_CS = 0)", vmx_gregs.rax, 0);
}

static const struct vmx_step steps[] = {
    { "unconditional I/O exiting: OUT imm8: exit 30, qualification 00800040H", AT(out80),
      EXIT_IO, 0x00800040, 1, F_PROC, PROC_UNCOND_IO, uncond, 0 },
    { "IN AX, DX (port 3F8H): qualification 03F80009H", AT(inw_dx), EXIT_IO, 0x03f80009, 1,
      F_PROC, PROC_UNCOND_IO, uncond_dx3f8, 0 },
    { "IN EAX, DX (port 70H): qualification 0070000BH", AT(inl_dx), EXIT_IO, 0x0070000b, 1,
      F_PROC, PROC_UNCOND_IO, uncond_dx70, 0 },
    { "REP OUTSB (port 80H): qualification 00800030H", AT(rep_outsb), EXIT_IO, 0x00800030, 1,
      F_PROC, PROC_UNCOND_IO, uncond_outs, check_outs },
    { "I/O bitmap A bit 80H: OUT exits", AT(bm_out80), EXIT_IO, 0x00800040, 1, F_PROC,
      PROC_IO_BITMAPS, bitmaps, 0 },
    { "I/O bitmap bit 84H clear: IN does not exit although unconditional exiting is 1",
      AT(bm_in84), EXIT_NONE, 0, 0, F_PROC, PROC_IO_BITMAPS, bitmaps, 0 },
    { "I/O bitmap B bit 8001H: IN AL, DX exits, qualification 80010008H", AT(bm_in8001),
      EXIT_IO, 0x80010008, 1, F_PROC, PROC_IO_BITMAPS, bitmaps_dx8001, 0 },
    { "I/O bitmaps: IN AX at 7FFFH touches 8000H (bit set in B): exit", AT(bm_span), EXIT_IO,
      0x7fff0009, 1, F_PROC, PROC_IO_BITMAPS, bitmaps_dx7fff, 0 },
    { "I/O bitmaps: IN AX at FFFFH wraps around: exit", AT(bm_wrap), EXIT_IO, 0xffff0009, 1,
      F_PROC, PROC_IO_BITMAPS, bitmaps_dxffff, 0 },
    { "MSR bitmap read-low bit 10H: RDMSR exits (31)", AT(rdmsr_x), EXIT_RDMSR, 0, 1, F_PROC,
      PROC_MSR_BITMAPS, msr_10, 0 },
    { "MSR bitmap read-low bit 174H clear: RDMSR does not exit", AT(rdmsr_n), EXIT_NONE, 0, 0,
      F_PROC, PROC_MSR_BITMAPS, msr_174, check_msr_read },
    { "MSR bitmap write-low bit 174H: WRMSR exits (32)", AT(wrmsr_x), EXIT_WRMSR, 0, 1, F_PROC,
      PROC_MSR_BITMAPS, msr_174, 0 },
    { "MSR bitmap read-high bit C0000080H: RDMSR exits", AT(rdmsr_hi_x), EXIT_RDMSR, 0, 1,
      F_PROC, PROC_MSR_BITMAPS, msr_efer, 0 },
    { "MSR bitmap read-high bit C0000100H clear: RDMSR does not exit", AT(rdmsr_hi_n), EXIT_NONE,
      0, 0, F_PROC, PROC_MSR_BITMAPS, msr_fsbase, 0 },
    { "RDMSR of 40000000H (outside both ranges) exits", AT(rdmsr_out), EXIT_RDMSR, 0, 1, F_PROC,
      PROC_MSR_BITMAPS, msr_out, 0 },
    { "MSR bitmap write-high bit C0000081H: WRMSR exits", AT(wrmsr_hi_x), EXIT_WRMSR, 0, 1,
      F_PROC, PROC_MSR_BITMAPS, msr_star, 0 },
};

int main(void)
{
    t_begin("vmx_io_msr");
    if (vmx_enable() != VMX_OK || vmcs_init_default((void (*)(void))gs_out80,
                                                    VMX_GUEST_STACK_TOP))
        return t_check(0, "VMXON and the default VMCS", "failed"), t_finish();
    proc_base = vmx_ctl_adjust(F_PROC, 0);
    set_bit(io_a, 0x80);
    set_bit(io_b, 0x8000 - 0x8000);
    set_bit(io_b, 0x8001 - 0x8000);
    vmwrite(F_IO_BITMAP_A, va_pa(io_a));
    vmwrite(F_IO_BITMAP_B, va_pa(io_b));
    set_bit(msr_bm, 0x10);                          /* read low */
    set_bit(msr_bm + 2048, 0x174);                  /* write low */
    set_bit(msr_bm + 1024, 0x80);                   /* read high: C0000080H */
    set_bit(msr_bm + 3072, 0x81);                   /* write high: C0000081H */
    vmwrite(F_MSR_BITMAP, va_pa(msr_bm));
    vmx_run_steps(steps, sizeof steps / sizeof steps[0]);
    return t_finish();
}
