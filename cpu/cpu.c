/* cpu.c — processor lifecycle: power-on/reset state (SDM Vol. 3 10.1, Table 10-1), RFLAGS access
 * with lazy flags, flat-mode setups for loaders and tests, and the register dump for reports.
 *
 * Invariant: after cpu_init/cpu_power_up_reset every field of struct cpu has a defined value (the struct
 * is zeroed first), so no host memory contents can reach the simulated machine.
 */
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "cpu/flags.h"
#include "cpu/model.h"
#include "mmu/mmu.h"
#include "sim/bus.h"

#define RFLAGS_VALID (RF_ARITH | RF_TF | RF_IF | RF_DF | RF_IOPL | RF_NT | RF_RF | RF_VM | RF_AC | \
                      RF_VIF | RF_VIP | RF_ID)

int cpu_init(struct cpu *c, int id, struct bus *bus, struct dcache *dc, const struct cpu_model *m)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->cycle_limit = UINT64_MAX;
    c->bus = bus;
    c->dcache = dc;
    c->model = m ? m : model_default();
    if (!c->model || mmu_init(c) != 0)
        return -1;
    cpu_power_up_reset(c);
    return 0;
}

void cpu_destroy(struct cpu *c)
{
    mmu_destroy(c);
}

static void seg_set(struct segment *s, uint16_t sel, uint64_t base, uint32_t limit, uint32_t ar)
{
    s->sel = sel;
    s->base = base;
    s->limit = limit;
    s->ar = ar;
}

void cpu_power_up_reset(struct cpu *c)
{
    /* Plumbing (bus, caches, model, id) is kept; architectural state is set afresh. */
    vmx_reset(c);
    memset(&c->gpr, 0, sizeof c->gpr);
    c->lf = (struct lazy_flags){ 0 };
    c->rflags = RF_FIXED1;
    c->rip = 0xfff0;
    seg_set(&c->seg[SEG_CS], 0xf000, 0xffff0000ull, 0xffff, 0x9b);
    for (int s = 0; s < SEG_NSEG; s++)
        if (s != SEG_CS)
            seg_set(&c->seg[s], 0, 0, 0xffff, 0x93);
    seg_set(&c->ldtr, 0, 0, 0xffff, 0x82);
    seg_set(&c->tr, 0, 0, 0xffff, 0x8b);
    c->gdtr = (struct dtr){ 0, 0xffff };
    c->idtr = (struct dtr){ 0, 0xffff };
    c->cr0 = CR0_ET | CR0_NW | CR0_CD;        /* 0x60000010 */
    c->cr2 = c->cr3 = c->cr4 = c->cr8 = 0;
    memset(c->dr, 0, sizeof c->dr);
    c->dr[6] = 0xffff0ff0;
    c->dr[7] = 0x400;
    memset(&c->msr, 0, sizeof c->msr);
    c->msr.pat = 0x0007040600070406ull;
    c->msr.apic_base = 0xfee00000ull | (1u << 11) | (c->id == 0 ? (1u << 8) : 0);
    c->msr.misc_enable = 1;                   /* fast strings */
    c->msr.xcr0 = 1;                          /* x87 state is always enabled */
    uint32_t sig[4];
    model_cpuid(c->model, 1, 0, sig);
    c->gpr[R_RDX] = sig[0];                   /* EDX = processor signature after reset */
    c->tsc_offset = 0;
    c->nmi_pending = c->nmi_blocked = false;
    c->delivering = -1;
    c->halted = false;
    c->wait_sipi = false;                     /* APs wait for SIPI once an APIC is attached */
    c->intr_shadow = 0;
    c->stop = STOP_NONE;
    c->stop_msg[0] = 0;
    cpu_update_mode(c);
    mmu_flush_all(c, true);
}

uint64_t cpu_get_rflags(struct cpu *c)
{
    return flags_get(c);
}

void cpu_set_rflags(struct cpu *c, uint64_t v)
{
    c->lf.op = LF_NONE;
    c->rflags = (v & RFLAGS_VALID) | RF_FIXED1;
}

/* Flat segments (base 0, limit 4 GiB) with the selectors of cpu_setup_gdt's table, CPL 0. */
static void setup_flat(struct cpu *c, uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
                       uint16_t cs_sel, uint32_t cs_ar)
{
    c->cr0 = cr0;
    c->cr3 = cr3;
    c->cr4 = cr4;
    c->msr.efer = efer;
    seg_set(&c->seg[SEG_CS], cs_sel, 0, 0xffffffffu, cs_ar);
    for (int s = 0; s < SEG_NSEG; s++)
        if (s != SEG_CS)
            seg_set(&c->seg[s], 0x10, 0, 0xffffffffu, 0xc093);   /* data, read/write */
    seg_set(&c->tr, 0x18, 0, 0x67, 0x8b);                        /* busy TSS */
    cpu_set_rflags(c, 0);
    cpu_update_mode(c);
    mmu_flush_all(c, true);
}

void cpu_setup_flat64(struct cpu *c, uint64_t cr3)
{
    setup_flat(c, CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG, cr3,
               CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE,
               0x08, 0xa09b);                                    /* 64-bit code, DPL 0 */
}

void cpu_setup_flat32(struct cpu *c)
{
    setup_flat(c, CR0_PE | CR0_MP | CR0_ET | CR0_NE, 0, CR4_OSFXSR | CR4_OSXMMEXCPT, 0,
               0x28, 0xc09b);                                    /* 32-bit code, DPL 0 */
}

int cpu_setup_gdt(struct cpu *c, uint64_t gdt_pa)
{
    /* null, 0x08 code64, 0x10 data, 0x18 TSS (16 bytes in long mode), 0x28 code32 */
    uint64_t tss = gdt_pa + 0x100;
    uint64_t gdt[6] = {
        0,
        0x00af9b000000ffffull,
        0x00cf93000000ffffull,
        0x0000890000000067ull | ((tss & 0xffffff) << 16) | ((tss >> 24 & 0xff) << 56),
        tss >> 32,
        0x00cf9b000000ffffull,
    };
    uint8_t zero[0x68] = { 0 };
    if (bus_copy_to(c->bus, gdt_pa, gdt, sizeof gdt) || bus_copy_to(c->bus, tss, zero, sizeof zero))
        return -1;
    c->gdtr = (struct dtr){ gdt_pa, sizeof gdt - 1 };
    c->tr.base = tss;
    c->tr.sel = 0x18;
    c->tr.limit = 0x67;
    c->tr.ar = 0x8b;
    return 0;
}

int cpu_dump(const struct cpu *c, char *buf, size_t len)
{
    static const char *names[16] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
                                     "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
    static const char *snames[6] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    struct cpu tmp = *c;                 /* materialise lazy flags without changing c */
    uint64_t fl = cpu_get_rflags(&tmp);
    size_t o = 0;
#define P(...) do { int w_ = snprintf(buf + o, o < len ? len - o : 0, __VA_ARGS__); \
                    if (w_ > 0) o += (size_t)w_; } while (0)
    for (int r = 0; r < 16; r++)
        P("%-3s=%016llx%s", names[r], (unsigned long long)c->gpr[r], (r % 4 == 3) ? "\n" : " ");
    P("RIP=%016llx RFLAGS=%016llx CPL=%u mode=%u\n", (unsigned long long)c->rip,
      (unsigned long long)fl, c->cpl, c->mode);
    for (int s = 0; s < 6; s++)
        P("%s =%04x base=%016llx limit=%08x ar=%05x\n", snames[s], c->seg[s].sel,
          (unsigned long long)c->seg[s].base, c->seg[s].limit, c->seg[s].ar);
    P("GDTR=%016llx/%05x IDTR=%016llx/%05x TR=%04x LDTR=%04x\n",
      (unsigned long long)c->gdtr.base, c->gdtr.limit, (unsigned long long)c->idtr.base,
      c->idtr.limit, c->tr.sel, c->ldtr.sel);
    P("CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx EFER=%016llx\n",
      (unsigned long long)c->cr0, (unsigned long long)c->cr2, (unsigned long long)c->cr3,
      (unsigned long long)c->cr4, (unsigned long long)c->msr.efer);
#undef P
    return (int)(o < len ? o : len);
}
