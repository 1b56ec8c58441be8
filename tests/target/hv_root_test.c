/* hv_root_test.c — the root partition as the hypervisor starts it (docs/HYPERVISOR.md "Boot"
 * step 4, "Memory", "Running VPs"), run by tests/target/hv_root.cfg: hv/hvsim-hv.elf is the
 * kernel, this program (a 32-bit Multiboot2 kernel converted to ELF64) is module 0.
 *
 * Checked against the Multiboot2 specification and docs/HYPERVISOR.md, not against what the
 * hypervisor did: the entry state (EAX magic, protected mode, paging off, flat segments); the
 * boot information (loader name "hvsim-hv", command line = module 0's string from hv_root.cfg,
 * module 1 with its string and bytes); the memory map marks the hypervisor's image (linked at
 * 16 MiB) and its pool (the top of RAM, hv_root.cfg's mem) reserved; the devices are the root's
 * (COM1's scratch register); CPUID.1:ECX[31] (hypervisor present) = 1 and ECX[5] (VMX) = 0; a
 * read of the hypervisor's memory raises #GP(0); the virtual xAPIC: ID 0 on VP 0, version 14H,
 * TPR read-back, a self-IPI delivered once interrupts are enabled; the virtual APIC's priority
 * rules (SDM Vol. 3 11.8: IRR/ISR order, PPR, a lower class held until EOI, TPR), software
 * disable (11.4.7.2), ESR (11.5.3) and the TLFS synthetic EOI/TPR MSRs. Ends through the
 * debug-exit port (the root owns the ports).
 */
#include "lib/kernel.h"
#include "lib/test.h"
#include "mb_checks.h"

#define RAM_SIZE (128ull << 20)                 /* hv_root.cfg: mem = 128M */
#define HV_IMAGE 0x1000000u                     /* hv/hv.ld: linked at 16 MiB */
#define APIC 0xFEE00000u
/* hvsim's loader gives a module the string "PATH ARGS" (docs/BOOT.md); the .cfg's ARGS: */
static const char want_cmdline[] = "hv_root_test.kernel first=1 second";
static const char want_mod1[] = "hello.txt hello module";

static volatile uint32_t gp_count, gp_error, gp_resume;
static volatile uint32_t ud_count, ud_resume;
static volatile uint32_t ipi_count;

static void on_ud(struct kframe *f)
{
    ud_count++;
    f->eip = ud_resume;
}

/* RDMSR / WRMSR msr; returns 1 if it raised #GP. */
static int rdmsr_faults(uint32_t msr)
{
    uint32_t before = gp_count, lo, hi;
    __asm__ volatile("movl $1f, %2\n\t"
                     "rdmsr\n"
                     "1:"
                     : "=a"(lo), "=d"(hi), "=m"(gp_resume) : "c"(msr) : "memory");
    (void)lo;
    (void)hi;
    return gp_count != before;
}

static int wrmsr_faults(uint32_t msr, uint32_t lo, uint32_t hi)
{
    uint32_t before = gp_count;
    __asm__ volatile("movl $1f, %0\n\t"
                     "wrmsr\n"
                     "1:"
                     : "=m"(gp_resume) : "c"(msr), "a"(lo), "d"(hi) : "memory");
    return gp_count != before;
}

static void on_gp(struct kframe *f)
{
    gp_count++;
    gp_error = f->error;
    f->eip = gp_resume;
}

static void on_ipi(struct kframe *f)
{
    (void)f;
    ipi_count++;
    *(volatile uint32_t *)phys_ptr(APIC + 0xB0) = 0;   /* EOI */
}

/* ---- the virtual local APIC (docs/HYPERVISOR.md "Virtual local APIC"; SDM Vol. 3 11.8) ---- */
#define VEC_LO 0x50                     /* class 5 */
#define VEC_HI 0x60                     /* class 6 */
#define VEC_NOEOI 0x70                  /* its handler sends no EOI */
static volatile uint32_t seq[8], nseq;
static volatile uint32_t hi_isr, hi_irr_lo, hi_ppr, lo_before_eoi, lo_after_eoi;

static uint32_t apic_reg(uint32_t off) { return *(volatile uint32_t *)phys_ptr(APIC + off); }
static void apic_set(uint32_t off, uint32_t v) { *(volatile uint32_t *)phys_ptr(APIC + off) = v; }
static void self_ipi(uint32_t vec) { apic_set(0x300, (1u << 18) | vec); }   /* fixed, self */
/* bit `vec` of the 256-bit ISR (100H) / IRR (200H) register set (table 11-1) */
static uint32_t apic_bit(uint32_t base, uint32_t vec)
{
    return (apic_reg(base + 0x10 * (vec >> 5)) >> (vec & 31)) & 1;
}
static void window(void) { __asm__ volatile("sti; nop; nop; cli" ::: "memory"); }

static void on_lo(struct kframe *f)
{
    (void)f;
    if (nseq < 8)
        seq[nseq++] = VEC_LO;
    apic_set(0xB0, 0);
}

/* 11.8.3.1-11.8.5: while 60H is in service PPR = 60H and the class-5 vector waits in the IRR,
 * even with IF = 1; after the EOI it is delivered (nested, here). */
static void on_hi(struct kframe *f)
{
    (void)f;
    if (nseq < 8)
        seq[nseq++] = VEC_HI;
    hi_isr = apic_bit(0x100, VEC_HI);
    hi_irr_lo = apic_bit(0x200, VEC_LO);
    hi_ppr = apic_reg(0xA0);
    uint32_t n = nseq;
    window();
    lo_before_eoi = nseq - n;
    apic_set(0xB0, 0);
    window();
    lo_after_eoi = nseq - n;
}

static volatile uint32_t noeoi_count;
static void on_noeoi(struct kframe *f)
{
    (void)f;
    noeoi_count++;
}

static uint64_t rdmsr64(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static void vapic_checks(void)
{
    kidt_set(VEC_LO, on_lo);
    kidt_set(VEC_HI, on_hi);
    kidt_set(VEC_NOEOI, on_noeoi);
    /* two self-IPIs with IF = 0: both wait in the IRR, the higher one is taken first */
    nseq = 0;
    self_ipi(VEC_LO);
    self_ipi(VEC_HI);
    t_eq("vapic: IRR has both vectors while IF = 0",
         apic_bit(0x200, VEC_LO) + apic_bit(0x200, VEC_HI), 2);
    window();
    t_eq("vapic: the higher vector is delivered first", seq[0], VEC_HI);
    t_eq("vapic: in its handler its ISR bit is set", hi_isr, 1);
    t_eq("vapic: in its handler the lower vector is in the IRR", hi_irr_lo, 1);
    t_eq("vapic: in its handler PPR = 60H (ISRV[7:4] << 4)", hi_ppr, 0x60);
    t_eq("vapic: a lower class is not delivered before the EOI", lo_before_eoi, 0);
    t_eq("vapic: after the EOI the lower vector is delivered", lo_after_eoi, 1);
    t_eq("vapic: two deliveries in all", nseq, 2);
    t_eq("vapic: ISR empty after both EOIs", apic_bit(0x100, VEC_HI) + apic_bit(0x100, VEC_LO),
         0);
    t_eq("vapic: PPR 0 with nothing in service", apic_reg(0xA0), 0);

    /* 11.8.3: TPR 50H blocks class 5, lowering it to 40H delivers */
    nseq = 0;
    apic_set(0x80, 0x50);
    t_eq("vapic: PPR = TPR with nothing in service", apic_reg(0xA0), 0x50);
    self_ipi(VEC_LO);
    window();
    t_eq("vapic: TPR 50H blocks vector 50H", nseq, 0);
    t_eq("vapic: the blocked vector stays in the IRR", apic_bit(0x200, VEC_LO), 1);
    apic_set(0x80, 0x40);
    window();
    t_eq("vapic: TPR 40H lets vector 50H in", nseq, 1);
    apic_set(0x80, 0);

    /* 11.4.7.2: software-disabled, a fixed self-IPI is dropped and every LVT is masked */
    nseq = 0;
    apic_set(0x350, 0x700);             /* LVT LINT0: ExtINT, not masked */
    apic_set(0xF0, 0xFF);
    t_eq("vapic: SVR bit 8 clear masks LVT LINT0", (apic_reg(0x350) >> 16) & 1, 1);
    self_ipi(VEC_LO);
    window();
    t_eq("vapic: a software-disabled APIC drops a fixed self-IPI",
         nseq + apic_bit(0x200, VEC_LO), 0);
    apic_set(0xF0, 0x1FF);
    window();
    t_eq("vapic: the dropped IPI does not come back on enable", nseq, 0);
    apic_set(0x350, 0x10000);

    /* 11.5.3: a self-IPI with vector 5 sets ESR bit 5 (send illegal vector) after a write */
    apic_set(0x280, 0);
    self_ipi(0x05);
    t_eq("vapic: ESR reads 0 until written", apic_reg(0x280), 0);
    apic_set(0x280, 0);
    t_eq("vapic: ESR bit 5 after an illegal vector is sent", apic_reg(0x280), 0x20);
    apic_set(0x280, 0);
    t_eq("vapic: ESR clear after another write", apic_reg(0x280), 0);

    /* TLFS synthetic APIC MSRs: TPR 40000072H is the TPR; EOI 40000070H ends the in-service
     * vector; EOI is write-only (#GP on read) */
    t_check(!wrmsr_faults(0x40000072, 0x30, 0), "vapic: WRMSR HV_X64_MSR_TPR accepted",
            "count %u", gp_count);
    t_eq("vapic: HV_X64_MSR_TPR is the TPR register", apic_reg(0x80), 0x30);
    apic_set(0x80, 0x20);
    t_eq("vapic: RDMSR HV_X64_MSR_TPR reads the TPR", rdmsr64(0x40000072), 0x20);
    apic_set(0x80, 0);
    t_check(rdmsr_faults(0x40000070), "vapic: RDMSR HV_X64_MSR_EOI raises #GP", "count %u",
            gp_count);
    self_ipi(VEC_NOEOI);
    window();
    t_eq("vapic: a vector whose handler sends no EOI", noeoi_count, 1);
    t_eq("vapic: stays in service (ISR bit, PPR 70H)",
         apic_bit(0x100, VEC_NOEOI) << 8 | apic_reg(0xA0), 0x170);
    t_check(!wrmsr_faults(0x40000070, 0, 0), "vapic: WRMSR HV_X64_MSR_EOI accepted", "count %u",
            gp_count);
    t_eq("vapic: HV_X64_MSR_EOI cleared the ISR bit",
         apic_bit(0x100, VEC_NOEOI) << 8 | apic_reg(0xA0), 0);
}

/* Read a 32-bit word at addr; returns 1 if it raised #GP (and the handler skipped it). */
static int read_faults(uint32_t addr, uint32_t *error)
{
    uint32_t before = gp_count, v;
    __asm__ volatile("movl $1f, %1\n\t"
                     "movl (%2), %0\n"
                     "1:"
                     : "=&r"(v), "=m"(gp_resume) : "r"(addr) : "memory");
    (void)v;
    *error = gp_error;
    return gp_count != before;
}

static int ends_with(const char *s, const char *tail)
{
    if (!s)
        return 0;
    uint32_t ls = 0, lt = 0;
    while (s[ls])
        ls++;
    while (tail[lt])
        lt++;
    if (lt > ls)
        return 0;
    for (uint32_t i = 0; i < lt; i++)
        if (s[ls - lt + i] != tail[i])
            return 0;
    return ls == lt || s[ls - lt - 1] == '/' || s[ls - lt - 1] == ' ';
}

static const struct mb2_mmap_entry *mm_find(const struct mb2_tag_mmap *mm, uint64_t a)
{
    const uint8_t *p = (const uint8_t *)(mm + 1), *end = (const uint8_t *)mm + mm->size;
    for (; p + mm->entry_size <= end; p += mm->entry_size) {
        const struct mb2_mmap_entry *e = (const void *)p;
        if (a >= e->base_addr && a - e->base_addr < e->length)
            return e;
    }
    return 0;
}

int main(void)
{
    t_begin("hv_root");
    kidt_init();
    mbc_entry_state(MB2_BOOT_MAGIC);

    const struct mb2_info_header *h = phys_ptr(mb_entry.ebx);
    uint32_t p = mb_entry.ebx + 8, end = mb_entry.ebx + h->total_size;
    const char *cmdline = 0, *loader = 0;
    const struct mb2_tag_mmap *mm = 0;
    const struct mb2_tag_module *mod = 0;
    unsigned n_mods = 0, ended = 0;
    while (p + 8 <= end) {
        const struct mb2_tag *t = phys_ptr(p);
        if (t->size < 8)
            break;
        if (t->type == 0) {
            ended = 1;
            break;
        }
        if (t->type == 1) cmdline = (const char *)t + 8;
        if (t->type == 2) loader = (const char *)t + 8;
        if (t->type == 3) { mod = (const void *)t; n_mods++; }
        if (t->type == 6) mm = (const void *)t;
        p += (t->size + 7) & ~7u;
    }
    t_check(ended, "info: tags end with the end tag", "no end tag in %u bytes", h->total_size);
    mbc_loader_name(loader ? loader : "(none)");
    mbc_string("info: boot loader name is hvsim-hv", loader, "hvsim-hv");
    t_check(ends_with(cmdline, want_cmdline), "info: command line is module 0's string",
            "got \"%s\"", cmdline ? cmdline : "(none)");
    t_eq("info: one module (module 1 of the hypervisor)", n_mods, 1);
    if (mod) {
        t_check(ends_with(mod->string, want_mod1), "info: the module's string", "got \"%s\"",
                mod->string);
        const char *bytes = phys_ptr(mod->mod_start);
        t_check(mod->mod_end - mod->mod_start >= 5 && bytes[0] == 'H' && bytes[4] == 'o',
                "info: the module's bytes are data/hello.txt", "[%x, %x)", mod->mod_start,
                mod->mod_end);
    }
    t_check(mm && mm->entry_size == 24, "info: memory map with 24-byte entries", "%s",
            mm ? "bad entry size" : "no memory map");
    if (mm) {
        const struct mb2_mmap_entry *e = mm_find(mm, HV_IMAGE);
        t_check(e && e->type == 2, "mmap: the hypervisor image (16 MiB) is reserved",
                "type %u", e ? e->type : 0);
        e = mm_find(mm, RAM_SIZE - 4096);
        t_check(e && e->type == 2, "mmap: the hypervisor pool (top of RAM) is reserved",
                "type %u", e ? e->type : 0);
        e = mm_find(mm, mb_entry.ebx);
        t_check(e && e->type == 2, "mmap: the boot information page is reserved", "type %u",
                e ? e->type : 0);
        e = mm_find(mm, 0x200000);
        t_check(e && e->type == 1, "mmap: RAM at 2 MiB is available", "type %u",
                e ? e->type : 0);
    }

    /* the root owns the devices: COM1's scratch register keeps what is written (16550) */
    outb(COM1 + UART_SCR, 0x5A);
    t_eq("device: COM1 scratch register reads back", inb(COM1 + UART_SCR), 0x5A);

    uint32_t r[4];
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(1), "c"(0));
    t_check(r[2] & (1u << 31), "cpuid: CPUID.1:ECX[31] (hypervisor present) = 1", "ECX 0x%x", r[2]);
    t_check(!(r[2] & (1u << 5)), "cpuid: CPUID.1:ECX[5] (VMX) = 0", "ECX 0x%x", r[2]);
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(0x40000000), "c"(0));
    tprintf("# CPUID 0x40000000: max leaf 0x%x\n", r[0]);

    kidt_set(13, on_gp);
    uint32_t err = 0xFFFF;
    t_check(read_faults(HV_IMAGE, &err) && err == 0, "memory: reading the hypervisor image "
            "raises #GP(0)", "count %u error 0x%x", gp_count, err);
    t_check(read_faults((uint32_t)RAM_SIZE - 4096, &err) && err == 0,
            "memory: reading the hypervisor pool raises #GP(0)", "count %u", gp_count);
    t_check(!read_faults(0x200000, &err), "memory: reading root RAM does not fault", "count %u",
            gp_count);

    /* VMX is not offered to the root (SDM Vol. 3 23.7, Appendix A), nor x2APIC */
    t_check(rdmsr_faults(0x3A), "msr: RDMSR IA32_FEATURE_CONTROL raises #GP", "count %u",
            gp_count);
    t_check(rdmsr_faults(0x480), "msr: RDMSR IA32_VMX_BASIC raises #GP", "count %u", gp_count);
    t_check(wrmsr_faults(0x808, 0, 0), "msr: WRMSR x2APIC TPR (808H) raises #GP", "count %u",
            gp_count);
    t_check(!rdmsr_faults(0x10), "msr: RDMSR IA32_TIME_STAMP_COUNTER passes", "count %u",
            gp_count);
    uint32_t cr4;
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    t_check(!(cr4 & (1u << 13)), "cr4: CR4.VMXE reads 0", "CR4 0x%x", cr4);
    {
        uint32_t before = gp_count;
        __asm__ volatile("movl $1f, %0\n\t"
                         "mov %1, %%cr4\n"
                         "1:"
                         : "=m"(gp_resume) : "r"(cr4 | (1u << 13)) : "memory");
        t_check(gp_count == before + 1, "cr4: setting CR4.VMXE raises #GP", "count %u",
                gp_count);
    }
    /* TLFS: hypercalls need long mode; VMCALL in 32-bit protected mode is #UD */
    kidt_set(6, on_ud);
    __asm__ volatile("movl $1f, %0\n\t"
                     "vmcall\n"
                     "1:"
                     : "=m"(ud_resume) : : "memory");
    t_eq("vmcall: in 32-bit mode raises #UD", ud_count, 1);

    volatile uint32_t *apic = phys_ptr(APIC);
    t_eq("xapic: ID register is 0 on VP 0", apic[0x20 / 4] >> 24, 0);
    t_eq("xapic: version register 14H", apic[0x30 / 4] & 0xFF, 0x14);
    apic[0x80 / 4] = 0x20;
    t_eq("xapic: TPR reads back", apic[0x80 / 4] & 0xFF, 0x20);
    apic[0x80 / 4] = 0;
    apic[0xF0 / 4] = 0x1FF;   /* SVR: software enable, spurious vector FF */
    t_eq("xapic: SVR reads back", apic[0xF0 / 4] & 0x1FF, 0x1FF);
    kidt_set(0x40, on_ipi);
    apic[0x300 / 4] = (1u << 18) | 0x40;   /* fixed, self */
    t_eq("xapic: a self-IPI waits while IF = 0", ipi_count, 0);
    __asm__ volatile("sti; nop; nop; cli" ::: "memory");
    t_eq("xapic: the self-IPI is delivered once IF = 1", ipi_count, 1);
    /* HLT with an interrupt pending: the VP halts and wakes with the interrupt delivered */
    apic[0x300 / 4] = (1u << 18) | 0x40;
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    t_eq("hlt: a pending self-IPI wakes the VP and is delivered", ipi_count, 2);
    vapic_checks();
    return t_finish();
}
