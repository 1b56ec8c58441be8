/* pm_image.c — a child's initial memory and long-mode registers (layout and invariants:
 * pm_image.h). Paging structures: SDM Vol. 3 4.5 (4-level paging); segment descriptors: 3.4.5,
 * 7.2.3 (64-bit TSS descriptor); long-mode activation state: 9.8.5. */
#include "partitions/root/pm_image.h"

#include "krt/krt.h"
#include "partitions/root/mmio_emul.h"

#define PTE_P   0x1ull
#define PTE_RW  0x2ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PAGE   4096ull

/* Page-table pages for identity-mapping [0, size): PTs, PDs, PDPTs (one PML4 entry covers
 * 512 GiB: sizes are far below), the PML4; then a PD and a PT for the APIC page (its PDPT entry,
 * 3, is beyond the RAM's: memory is at most 1 GiB) and a PT for the device page (the same PD:
 * both are in the 4th GiB). */
_Static_assert(PM_APIC_GPA >> 30 == 3 && MMIO_EMUL_GPA >> 30 == 3 &&
               (PM_APIC_GPA >> 21) != (MMIO_EMUL_GPA >> 21), "one PD, two PTs");
static uint64_t table_pages(uint64_t size)
{
    uint64_t pages = (size + PAGE - 1) / PAGE;
    uint64_t pts = (pages + 511) / 512, pds = (pts + 511) / 512;
    return pts + pds + 1 + 1 + 3;
}

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* GDT at PM_GDT_GPA (SDM Vol. 3 3.4.5): code 08H (L=1, D=0, P, DPL 0, type execute/read,
 * accessed), data 10H (type read/write, accessed, D/B, G), TSS 18H (16 bytes in long mode, type
 * 0xB busy 64-bit TSS, limit 0x67, 7.2.3). */
static void write_gdt(uint8_t *mem)
{
    uint8_t *g = mem + PM_GDT_GPA;
    put64(g + 0x00, 0);
    put64(g + 0x08, 0x00AF9B000000FFFFull);
    put64(g + 0x10, 0x00CF93000000FFFFull);
    uint64_t b = PM_TSS_GPA;
    uint64_t lo = 0x67 | (b & 0xFFFFFF) << 16 | 0x8Bull << 40 | ((b >> 24) & 0xFF) << 56;
    put64(g + 0x18, lo);
    put64(g + 0x20, b >> 32);
    /* TSS (7.7): all zero but the I/O map base, placed past the limit (no I/O bitmap). */
    uint8_t *t = mem + PM_TSS_GPA;
    t[0x66] = 0x68;
}

/* Identity map [PAGE, size) with 4 KiB pages; tables in [tables, ...). Returns the PML4. */
static uint64_t write_tables(uint8_t *mem, uint64_t size, uint64_t tables)
{
    uint64_t pages = (size + PAGE - 1) / PAGE;
    uint64_t pts = (pages + 511) / 512, pds = (pts + 511) / 512;
    uint64_t pt0 = tables, pd0 = pt0 + pts * PAGE, pdpt = pd0 + pds * PAGE, pml4 = pdpt + PAGE;
    for (uint64_t k = 1; k < pages; k++)            /* page 0 stays not present */
        put64(mem + pt0 + k * 8, k * PAGE | PTE_P | PTE_RW);
    for (uint64_t k = 0; k < pts; k++)
        put64(mem + pd0 + k * 8, (pt0 + k * PAGE) | PTE_P | PTE_RW);
    for (uint64_t k = 0; k < pds; k++)
        put64(mem + pdpt + k * 8, (pd0 + k * PAGE) | PTE_P | PTE_RW);
    put64(mem + pml4, pdpt | PTE_P | PTE_RW);
    /* the local APIC page, identity, supervisor, RW, PCD | PWT (SDM Vol. 3 4.9.2: UC with the
     * power-up PAT; 11.4.1: the APIC page must be strong uncacheable) */
    uint64_t apd = pml4 + PAGE, apt = apd + PAGE;
    put64(mem + pdpt + ((PM_APIC_GPA >> 30) & 511) * 8, apd | PTE_P | PTE_RW);
    put64(mem + apd + ((PM_APIC_GPA >> 21) & 511) * 8, apt | PTE_P | PTE_RW);
    put64(mem + apt + ((PM_APIC_GPA >> 12) & 511) * 8,
          PM_APIC_GPA | PTE_P | PTE_RW | PTE_PCD | PTE_PWT);
    /* the device page the root emulates (mmio_emul.h), identity, supervisor, RW, PCD | PWT (UC:
     * every access reaches the device, SDM Vol. 3 13.3) */
    uint64_t dpt = apt + PAGE;
    put64(mem + apd + ((MMIO_EMUL_GPA >> 21) & 511) * 8, dpt | PTE_P | PTE_RW);
    put64(mem + dpt + ((MMIO_EMUL_GPA >> 12) & 511) * 8,
          MMIO_EMUL_GPA | PTE_P | PTE_RW | PTE_PCD | PTE_PWT);
    return pml4;
}

int pm_image_build(uint8_t *mem, uint64_t size, uint32_t vps, const void *elf, size_t elf_len,
                   const char *cmdline, struct pm_image *img, char *err, size_t errlen)
{
    if (vps < 1 || vps > PM_MAX_VPS) {
        krt_snprintf(err, errlen, "%u VPs: expected 1 to %u", vps, PM_MAX_VPS);
        return -1;
    }
    uint64_t stacks = vps * PM_STACK_SIZE;
    if (size % PAGE || size >= (1ull << 30) + PAGE || size < PM_LOW_END + stacks + PAGE) {
        krt_snprintf(err, errlen, "memory of %llu bytes is too small, too large or not whole "
                     "pages", (unsigned long long)size);
        return -1;
    }
    uint64_t tables = size - stacks - table_pages(size) * PAGE;
    if (size - stacks < table_pages(size) * PAGE + PM_LOW_END || tables < PM_LOW_END) {
        krt_snprintf(err, errlen, "memory of %llu bytes has no room for the image",
                     (unsigned long long)size);
        return -1;
    }
    size_t clen = strlen(cmdline);
    if (clen >= PM_CMDLINE_MAX) {
        krt_snprintf(err, errlen, "command line of %zu bytes is longer than %u", clen,
                     PM_CMDLINE_MAX - 1);
        return -1;
    }
    struct krt_elf64 e;
    char eerr[96];
    if (krt_elf64_open(&e, elf, elf_len, eerr, sizeof eerr) != KRT_ELF_OK) {
        krt_snprintf(err, errlen, "image: %s", eerr);
        return -1;
    }
    if (e.entry != e.entry_paddr) {
        krt_snprintf(err, errlen, "image: entry 0x%llx is not identity-mapped",
                     (unsigned long long)e.entry);
        return -1;
    }
    /* check every segment before writing anything */
    struct krt_elf64_seg s;
    uint64_t lo = ~0ull, hi = 0;
    for (unsigned cur = 0, k = 0; krt_elf64_next_load(&e, &cur, &s); k++) {
        if (s.vaddr != s.paddr) {
            krt_snprintf(err, errlen, "image: segment %u: vaddr 0x%llx != paddr 0x%llx", k,
                         (unsigned long long)s.vaddr, (unsigned long long)s.paddr);
            return -1;
        }
        if (s.paddr < PM_LOW_END || s.paddr > tables || s.memsz > tables - s.paddr) {
            krt_snprintf(err, errlen,
                         "image: segment %u [0x%llx, +0x%llx) is outside the child's free memory "
                         "[0x%llx, 0x%llx)",
                         k, (unsigned long long)s.paddr, (unsigned long long)s.memsz,
                         (unsigned long long)PM_LOW_END, (unsigned long long)tables);
            return -1;
        }
        if (s.paddr < lo)
            lo = s.paddr;
        if (s.paddr + s.memsz > hi)
            hi = s.paddr + s.memsz;
    }
    memset(mem, 0, size);
    for (unsigned cur = 0; krt_elf64_next_load(&e, &cur, &s);)
        memcpy(mem + s.paddr, (const uint8_t *)elf + s.offset, s.filesz);   /* rest stays 0 */
    write_gdt(mem);
    memcpy(mem + PM_CMDLINE_GPA, cmdline, clen + 1);
    *img = (struct pm_image){ .size = size, .vps = vps, .entry = e.entry, .rsp = size,
                              .tables = tables, .load_lo = lo, .load_hi = hi };
    img->cr3 = write_tables(mem, size, tables);
    return 0;
}

/* ---------------------------------------------------------------- registers */

/* TLFS segment attributes: the VMX access-rights bits 15:0 without 11:8 (SDM Vol. 3 24.4.1):
 * type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15. */
#define ATTR_CODE64 0xA09B          /* execute/read accessed, S, P, L, G */
#define ATTR_DATA   0xC093          /* read/write accessed, S, P, D/B, G */
#define ATTR_TSS    0x008B          /* busy 64-bit TSS, P */
#define ATTR_LDT    0x0082          /* LDT, P (selector 0: never used) */

#define CR0_PE 0x1ull
#define CR0_MP 0x2ull
#define CR0_ET 0x10ull
#define CR0_NE 0x20ull
#define CR0_WP 0x10000ull
#define CR0_PG 0x80000000ull
#define CR4_PAE 0x20ull
#define EFER_LME 0x100ull
#define EFER_LMA 0x400ull
#define PAT_DEFAULT 0x0007040600070406ull   /* the power-up value (SDM Vol. 3 13.12.4) */

static struct hv_x64_segment_register seg(uint16_t sel, uint64_t base, uint32_t limit,
                                          uint16_t attr)
{
    return (struct hv_x64_segment_register){ base, limit, sel, attr };
}

void pm_image_initial_context(const struct pm_image *img, uint32_t k,
                              struct hv_initial_vp_context *ctx)
{
    struct hv_x64_segment_register data = seg(PM_SEL_DATA, 0, 0xFFFFFFFF, ATTR_DATA);
    *ctx = (struct hv_initial_vp_context){ 0 };
    ctx->rip = img->entry;
    ctx->rsp = img->rsp - (uint64_t)k * PM_STACK_SIZE;
    ctx->rflags = 0x2;
    ctx->cs = seg(PM_SEL_CODE, 0, 0xFFFFFFFF, ATTR_CODE64);
    ctx->ds = ctx->es = ctx->fs = ctx->gs = ctx->ss = data;
    ctx->tr = seg(PM_SEL_TSS, PM_TSS_GPA, 0x67, ATTR_TSS);
    ctx->ldtr = seg(0, 0, 0xFFFF, ATTR_LDT);
    ctx->gdtr.limit = 0x27;
    ctx->gdtr.base = PM_GDT_GPA;
    ctx->idtr.limit = 0;            /* no IDT: an exception in the child is a triple fault */
    ctx->idtr.base = 0;
    ctx->efer = EFER_LME | EFER_LMA;
    ctx->cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    ctx->cr3 = img->cr3;
    ctx->cr4 = CR4_PAE;
    ctx->msr_cr_pat = PAT_DEFAULT;
}

void pm_image_registers(const struct pm_image *img, uint32_t k,
                        struct hv_register_assoc regs[PM_NREGS])
{
    struct hv_initial_vp_context c;
    pm_image_initial_context(img, k, &c);
    const struct {
        uint32_t name;
        uint64_t v;
    } r64[] = {
        { HV_X64_REGISTER_RIP, c.rip },   { HV_X64_REGISTER_RSP, c.rsp },
        { HV_X64_REGISTER_RFLAGS, c.rflags }, { HV_X64_REGISTER_RDI, PM_CMDLINE_GPA },
        { HV_X64_REGISTER_RSI, k },
        { HV_X64_REGISTER_CR0, c.cr0 },   { HV_X64_REGISTER_CR3, c.cr3 },
        { HV_X64_REGISTER_CR4, c.cr4 },   { HV_X64_REGISTER_EFER, c.efer },
        { HV_X64_REGISTER_PAT, c.msr_cr_pat },
    };
    const struct {
        uint32_t name;
        struct hv_x64_segment_register s;
    } rseg[] = {
        { HV_X64_REGISTER_CS, c.cs }, { HV_X64_REGISTER_SS, c.ss }, { HV_X64_REGISTER_DS, c.ds },
        { HV_X64_REGISTER_ES, c.es }, { HV_X64_REGISTER_FS, c.fs }, { HV_X64_REGISTER_GS, c.gs },
        { HV_X64_REGISTER_TR, c.tr }, { HV_X64_REGISTER_LDTR, c.ldtr },
    };
    unsigned n = 0;
    memset(regs, 0, PM_NREGS * sizeof regs[0]);
    for (unsigned k = 0; k < sizeof r64 / sizeof r64[0]; k++, n++) {
        regs[n].name = r64[k].name;
        regs[n].value.reg64 = r64[k].v;
    }
    for (unsigned k = 0; k < sizeof rseg / sizeof rseg[0]; k++, n++) {
        regs[n].name = rseg[k].name;
        regs[n].value.segment = rseg[k].s;
    }
    regs[n].name = HV_X64_REGISTER_GDTR;
    regs[n++].value.table = c.gdtr;
    regs[n].name = HV_X64_REGISTER_IDTR;
    regs[n++].value.table = c.idtr;
}
