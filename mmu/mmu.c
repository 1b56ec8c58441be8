/* mmu.c — linear-address accesses (slow paths), translation through the modelled TLBs, and the
 * TLB maintenance operations (INVLPG, INVPCID, MOV to CR0/CR3/CR4, EFER), SDM Vol. 3 chapter 4.
 *
 * Invariants (in addition to those of mmu.h):
 *  - With CR0.PG = 0 the linear address is the physical address (bits 31:0; A20 is not
 *    modelled) and no TLB is looked up or counted.
 *  - The deny table and the current PCID in c->tlb always correspond to tlb->cr0/cr3/cr4/efer;
 *    every slow path first re-derives them if the CPU's registers moved without a call to
 *    mmu_cr_write (applying the flush rules for what changed).
 *  - A translation used for an access always comes from an L1 entry that permits it: a cached
 *    entry that denies the access (or lacks D for a write) is dropped and the access re-walks,
 *    and only the walk can fault (so a fault always reflects memory, and the page fault
 *    invalidates the faulting page's entries as SDM 4.10.4.1 says).
 *  - VMX (SDM Vol. 3 29.4): the TLB context is (VPID, EPT context, PCID), set by mmu_vmx_switch
 *    from the current VMCS. Under EPT a walk that fails in EPT raises the EPT violation or
 *    misconfiguration VM exit (vmx_exit_raise); an access to the APIC-access page raises the
 *    APIC-access VM exit or is virtualized (mmu/vapic.c) and is never cached, so neither a TLB
 *    hit nor a fast slot serves it.
 */
#include "mmu/mmu.h"

#include <stdlib.h>

#include "cpu/cpu.h"
#include "cpu/dcache.h"
#include "mmu/ept.h"
#include "mmu/paging.h"
#include "mmu/tlb.h"
#include "sim/bus.h"

/* ---------------------------------------------------------------- physical accesses */

static void code_hook(struct cpu *c, uint64_t pa, uint64_t len)
{
    if (c->dcache && dcache_page_has_code(c->dcache, pa))
        dcache_code_write(c->dcache, pa, len);
}

uint64_t mmu_phys_read(struct cpu *c, uint64_t pa, unsigned size)
{
    uint8_t *p = bus_ram_ptr(c->bus, pa, size);
    return p ? mmu_ld_(p, size) : bus_read(c->bus, pa, size);
}

void mmu_phys_write(struct cpu *c, uint64_t pa, uint64_t v, unsigned size)
{
    uint8_t *p = bus_ram_ptr(c->bus, pa, size);
    if (p) {
        mmu_st_(p, v, size);
        code_hook(c, pa, size);
    } else {
        bus_write(c->bus, pa, v, size);
    }
}

/* Bytes [pa, pa+n) within one page: RAM by copy, anything else byte by byte over the bus. */
static void phys_read_bytes(struct cpu *c, uint64_t pa, uint8_t *dst, unsigned n)
{
    uint8_t *p = bus_ram_ptr(c->bus, pa, n);
    if (p) {
        memcpy(dst, p, n);
        return;
    }
    for (unsigned k = 0; k < n; k++)
        dst[k] = (uint8_t)bus_read(c->bus, pa + k, 1);
}

static void phys_write_bytes(struct cpu *c, uint64_t pa, const uint8_t *src, unsigned n)
{
    uint8_t *p = bus_ram_ptr(c->bus, pa, n);
    if (p) {
        memcpy(p, src, n);
        code_hook(c, pa, n);
        return;
    }
    for (unsigned k = 0; k < n; k++)
        bus_write(c->bus, pa + k, src[k], 1);
}

/* ---------------------------------------------------------------- context and flushes */

/* Alignment checking (SDM Vol. 3 6.15, interrupt 17): a data access at CPL 3 with CR0.AM = 1
 * and RFLAGS.AC = 1 to an address not aligned to its size raises #AC(0). Implicit supervisor
 * accesses and instruction fetches are never checked. While it applies, the fast slots deny every
 * data access (fdeny has TF_V), so the check costs nothing on the common path. */
static bool ac_applies(uint64_t cr0, unsigned acc, bool user_cpl, bool ac)
{
    return (cr0 & CR0_AM) && user_cpl && ac && !(acc & ACC_IMPLICIT_SUPER) &&
           (acc & ACC_KIND) != ACC_FETCH;
}

static inline void alignment_check(struct cpu *c, uint64_t lin, unsigned size, unsigned acc)
{
    if ((lin & (size - 1)) && (size & (size - 1)) == 0 &&
        ac_applies(c->cr0, acc, c->cpl == 3, (c->rflags & RF_AC) != 0))
        cpu_fault(c, VEC_AC, 0);
}

/* Re-derive the deny table and the current PCID from the CPU's control registers. */
static void rebuild(struct cpu *c)
{
    struct tlb *t = c->tlb;
    for (unsigned acc = 0; acc < 8; acc++)
        for (unsigned x = 0; x < 8; x++) {
            t->deny[acc][x] = mmu_deny_for(c->cr0, c->cr4, acc, (x >> 1) == 3, x & 1);
            t->fdeny[acc][x] = t->deny[acc][x] |
                               (ac_applies(c->cr0, acc, (x >> 1) == 3, x & 1) ? TF_V : 0);
        }
    /* 4.10.1: the current PCID is CR3[11:0] with CR4.PCIDE=1 (4-level paging only), else 0.
     * With paging off under EPT, accesses use guest-physical mappings (29.4.1). */
    uint16_t pcid = 0;
    if ((c->cr4 & CR4_PCIDE) && pg_mode_of(c->cr0, c->cr4, c->msr.efer) == PG_4L)
        pcid = (uint16_t)(c->cr3 & 0xfff);
    else if (t->ept_on && !(c->cr0 & CR0_PG))
        pcid = TLB_PCID_GPA;
    if (pcid != t->pcid) {
        t->pcid = pcid;
        tlb_fast_clear(t);
    }
    t->cr0 = c->cr0;
    t->cr3 = c->cr3;
    t->cr4 = c->cr4;
    t->efer = c->msr.efer;
}

bool mmu_pae_paging(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
    return pg_mode_of(cr0, cr4, efer) == PG_PAE;
}

bool mmu_pdptes_reload_needed(uint64_t old_cr0, uint64_t old_cr4, uint64_t cr0, uint64_t cr4,
                              uint64_t efer)
{
    return mmu_pae_paging(cr0, cr4, efer) &&
           (((old_cr0 ^ cr0) & (CR0_PG | CR0_CD | CR0_NW)) ||
            ((old_cr4 ^ cr4) & (CR4_PAE | CR4_PGE | CR4_PSE | CR4_SMEP)));
}

int mmu_load_pdptes_at(struct cpu *c, uint64_t cr3)
{
    /* 4.4.1: four 8-byte PDPTEs at CR3[31:5]; reserved: 63:MAXPHYADDR, 8:5, 2:1 (Table 4-8). */
    uint64_t rsvd = (~0ull << c->tlb->max_phys_bits) | 0x1e6ull;
    uint64_t base = cr3 & 0xffffffe0ull, v[4];
    if (c->tlb->ept_on) {
        /* 29.3.2: under EPT the PDPTE load reads guest-physical memory (GLA not valid) */
        struct vmx_exit_req x;
        uint64_t hpa;
        if (!mmu_ept_pse(c, base, 0, false, false, WALK_COUNT | WALK_COMMIT, &hpa, &x))
            vmx_exit_raise(c, &x);
        base = hpa;
    }
    for (int k = 0; k < 4; k++) {
        v[k] = mmu_phys_read(c, base + 8u * k, 8);
        if ((v[k] & PTE_P) && (v[k] & rsvd))
            return -1;
    }
    memcpy(c->tlb->pdpte, v, sizeof v);
    return 0;
}

int mmu_load_pdptes(struct cpu *c)
{
    return mmu_load_pdptes_at(c, c->cr3);
}

void mmu_flush_all(struct cpu *c, bool include_global)
{
    tlb_inval_ctx(c->tlb, -1, include_global);
    rebuild(c);
}

void mmu_flush_pcid(struct cpu *c, uint16_t pcid, bool include_global)
{
    tlb_inval_ctx(c->tlb, pcid, include_global);
}

static uint64_t canon_or_trunc(const struct cpu *c, uint64_t lin, bool *ok)
{
    if (c->msr.efer & EFER_LMA) {
        *ok = ((lin + (1ull << 47)) >> 48) == 0;
        return lin;
    }
    *ok = true;
    return (uint32_t)lin;
}

void mmu_invlpg(struct cpu *c, uint64_t lin)
{
    bool ok;
    lin = canon_or_trunc(c, lin, &ok);
    if (ok)     /* INVLPG of a non-canonical address is a no-op (Vol. 2 INVLPG) */
        tlb_inval_page(c->tlb, lin, c->tlb->pcid, true);
}

void mmu_invpcid(struct cpu *c, unsigned type, uint16_t pcid, uint64_t lin)
{
    struct tlb *t = c->tlb;
    switch (type) {
    case 0: tlb_inval_page(t, lin, pcid, false); break;  /* individual address, not globals */
    case 1: tlb_inval_ctx(t, pcid, false); break;        /* single context, not globals */
    case 2: tlb_inval_ctx(t, -1, true); break;           /* all contexts, with globals */
    default: tlb_inval_ctx(t, -1, false); break;         /* 3: all contexts, not globals */
    }
}

void mmu_cr_write(struct cpu *c, uint64_t old_cr0, uint64_t old_cr3, uint64_t old_cr4,
                  uint64_t old_efer)
{
    struct tlb *t = c->tlb;
    uint64_t cr0 = c->cr0, cr4 = c->cr4, efer = c->msr.efer;
    /* 4.10.4.1. Beyond the SDM's required invalidations we also flush everything when CR0.WP,
     * CR4.PSE or EFER.NXE/LMA change (the processor is free to invalidate more). */
    bool all = ((old_cr0 & CR0_PG) && !(cr0 & CR0_PG)) ||
               ((old_cr0 ^ cr0) & CR0_WP) ||
               ((old_cr4 ^ cr4) & (CR4_PGE | CR4_PAE | CR4_PSE)) ||
               ((old_cr4 & CR4_PCIDE) && !(cr4 & CR4_PCIDE)) ||
               ((old_efer ^ efer) & (EFER_NXE | EFER_LMA));
    bool cur = !(old_cr4 & CR4_SMEP) && (cr4 & CR4_SMEP);
    if (mmu_pdptes_reload_needed(old_cr0, old_cr4, cr0, cr4, efer) ||
        (mmu_pae_paging(cr0, cr4, efer) && old_cr3 != c->cr3))
        (void)mmu_load_pdptes(c);   /* the MOV-to-CR path checked the reserved bits before */
    if (all)
        tlb_inval_ctx(t, -1, true);
    rebuild(c);
    if (!all && cur)
        tlb_inval_ctx(t, t->pcid, true);
    else if (!all && old_cr3 != c->cr3)     /* a CR3 load by a task switch or VMX transition */
        tlb_inval_ctx(t, t->pcid, false);
}

void mmu_cr3_write(struct cpu *c, uint64_t old_cr3, bool noflush)
{
    struct tlb *t = c->tlb;
    (void)old_cr3;
    if (t->cr0 != c->cr0 || t->cr4 != c->cr4 || t->efer != c->msr.efer)
        mmu_cr_write(c, t->cr0, c->cr3, t->cr4, t->efer);
    if (mmu_pae_paging(c->cr0, c->cr4, c->msr.efer))
        (void)mmu_load_pdptes(c);
    rebuild(c);
    /* 4.10.4.1 MOV to CR3: with PCIDE=0 drop the non-global entries of PCID 000H; with
     * PCIDE=1 those of the new PCID unless bit 63 of the source was 1. */
    if (!(c->cr4 & CR4_PCIDE) || !noflush)
        tlb_inval_ctx(t, t->pcid, false);
}

/* Control registers moved behind our back (reset, setup helpers, VMX later): apply the rules. */
static inline void sync(struct cpu *c)
{
    struct tlb *t = c->tlb;
    if (__builtin_expect(t->cr0 != c->cr0 || t->cr3 != c->cr3 || t->cr4 != c->cr4 ||
                         t->efer != c->msr.efer, 0))
        mmu_cr_write(c, t->cr0, t->cr3, t->cr4, t->efer);
}

/* ---------------------------------------------------------------- translation */

static _Noreturn void page_fault(struct cpu *c, uint64_t lin, uint32_t ec)
{
    /* a #PF in VMX non-root operation that causes a VM exit leaves CR2 unchanged (SDM Vol. 3
     * 27.1): keep the old value for vmx_event.c to restore if the exception bitmap exits */
    if (c->vmx.nonroot) {
        c->vmx.pf_cr2 = c->cr2;
        c->vmx.pf_cr2_saved = true;
    }
    c->cr2 = lin;   /* SDM 4.7: CR2 holds the linear address that caused the fault */
    cpu_fault(c, VEC_PF, ec);
}

static _Noreturn void noncanonical(struct cpu *c, unsigned acc)
{
    /* SDM Vol. 3 6.15 / Vol. 1 3.3.7.1: #SS(0) for stack references, else #GP(0). */
    cpu_fault(c, (acc & ACC_STACK) ? VEC_SS : VEC_GP, 0);
}

/* Walk (counted, committing A/D) and install the translation in the STLB and the L1 TLB. */
/* Returns NULL, with *vpa set, when the access is a virtualized access to the APIC-access page
 * (mmu/vapic.c): nothing is cached for it. `size` is the access size (0: not virtualizable). */
static struct tlb_entry *walk_fill(struct cpu *c, uint64_t lin, unsigned acc, unsigned size,
                                   struct tlb_array *l1, uint64_t *vpa)
{
    struct tlb *t = c->tlb;
    struct walk_out o;
    uint32_t ec;
    int r = mmu_walk(c, lin, acc, WALK_COUNT | WALK_COMMIT, &o, &ec);
    if (r == -1)
        page_fault(c, lin, ec);
    if (r == -2)
        vmx_exit_raise(c, &o.exit);
    if (__builtin_expect(t->apic_page != TLB_NO_APIC_PAGE, 0) &&
        mmu_apic_access(c, lin, acc, size, &o, vpa))
        return NULL;
    struct tlb_entry ne;
    memset(&ne, 0, sizeof ne);
    ne.vbase = lin & ~((1ull << o.shift) - 1);
    ne.pbase = o.pbase;
    ne.pcid = t->pcid;
    ne.vpid = t->vpid;
    ne.ept = t->ept;
    ne.shift = o.shift;
    ne.flags = o.flags;
    tlb_insert(t, &t->stlb, &ne);
    return tlb_insert(t, l1, &ne);
}

static void fast_fill(struct cpu *c, struct tlb_fast *tab, struct tlb_entry *e, uint64_t lin,
                      uint64_t pa)
{
    uint64_t page = lin & ~0xfffull, pa_page = pa & ~0xfffull;
    uint8_t *host = bus_ram_ptr(c->bus, pa_page, 4096);
    if (!host)
        return;     /* MMIO or unbacked: every access takes the slow path */
    struct tlb_fast *f = &tab[(lin >> 12) & (TLB_FAST_SLOTS - 1)];
    f->tag = page;
    f->addend = (uintptr_t)host - (uintptr_t)page;
    f->pa_page = pa_page;
    f->e = e;
    f->flags = e->flags;
}

/* Translate lin for an access of kind acc and `size` bytes (0 for bulk parts) that stays within
 * one 4 KiB page. Counts the TLB lookups, charges STLB and walk costs, faults. Returns the
 * physical address; *virt (if not NULL) tells whether the access was virtualized to the
 * virtual-APIC page (SDM Vol. 3 29.4.2, 29.4.3). */
static uint64_t xlate_v(struct cpu *c, uint64_t lin, unsigned acc, unsigned size, bool *virt)
{
    struct tlb *t = c->tlb;
    if (!(c->cr0 & CR0_PG) && !t->ept_on)
        return (uint32_t)lin;
    sync(c);
    bool ok;
    lin = canon_or_trunc(c, lin, &ok);
    if (!ok)
        noncanonical(c, acc);

    bool fetch = (acc & ACC_KIND) == ACC_FETCH;
    struct tlb_array *l1 = fetch ? &t->itlb : &t->dtlb;
    struct tlb_entry *e = tlb_lookup(t, l1, lin);
    uint64_t vpa = 0;
    if (e) {
        if (fetch)
            c->ctr.itlb_hits++;
        else
            c->ctr.dtlb_hits++;
    } else {
        if (fetch)
            c->ctr.itlb_misses++;
        else
            c->ctr.dtlb_misses++;
        struct tlb_entry *s = tlb_lookup(t, &t->stlb, lin);
        if (s) {
            c->ctr.stlb_hits++;
            c->ctr.cycles += t->stlb_cost;
            e = tlb_insert(t, l1, s);
        } else {
            c->ctr.stlb_misses++;
            e = walk_fill(c, lin, acc, size, l1, &vpa);
        }
    }
    uint8_t deny = t->deny[acc & 7][mmu_ctx_(c) & 7];
    if (e && (e->flags & deny)) {
        /* Denied by the cached rights, or a write to a page whose entry has D=0: drop the
         * page's entries and re-walk; the walk sets D or raises the #PF. */
        tlb_inval_page(t, lin, t->pcid, true);
        e = walk_fill(c, lin, acc, size, l1, &vpa);
    }
    if (__builtin_expect(!e, 0)) {
        if (virt)
            *virt = true;
        return vpa;
    }
    uint64_t pa = e->pbase | (lin & ((1ull << e->shift) - 1));
    fast_fill(c, fetch ? t->ifast : t->dfast, e, lin, pa);
    return pa;
}

static inline uint64_t xlate(struct cpu *c, uint64_t lin, unsigned acc)
{
    return xlate_v(c, lin, acc, 0, NULL);
}

/* ---------------------------------------------------------------- accesses */

static inline bool crosses(uint64_t lin, unsigned size)
{
    return (lin & 0xfff) + size > 4096;
}

uint64_t mmu_read_slow(struct cpu *c, uint64_t lin, unsigned size, unsigned acc)
{
    alignment_check(c, lin, size, acc);
    c->ctr.cycles += c->tlb->mem_cost;
    if (!crosses(lin, size))
        return mmu_phys_read(c, xlate_v(c, lin, acc, size, NULL), size);
    unsigned n1 = 4096 - (unsigned)(lin & 0xfff);
    uint64_t pa1 = xlate(c, lin, acc);
    uint64_t pa2 = xlate(c, lin + n1, acc);
    uint8_t buf[8];
    phys_read_bytes(c, pa1, buf, n1);
    phys_read_bytes(c, pa2, buf + n1, size - n1);
    return mmu_ld_(buf, size);
}

void mmu_write_slow(struct cpu *c, uint64_t lin, uint64_t val, unsigned size, unsigned acc)
{
    alignment_check(c, lin, size, acc);
    c->ctr.cycles += c->tlb->mem_cost;
    if (!crosses(lin, size)) {
        bool virt = false;
        mmu_phys_write(c, xlate_v(c, lin, acc, size, &virt), val, size);
        if (__builtin_expect(virt, 0))
            mmu_vapic_written(c, size);     /* APIC-write emulation (SDM Vol. 3 29.4.3.2) */
        return;
    }
    /* Both pages are translated (and checked) before either is written. */
    unsigned n1 = 4096 - (unsigned)(lin & 0xfff);
    uint64_t pa1 = xlate(c, lin, acc);
    uint64_t pa2 = xlate(c, lin + n1, acc);
    uint8_t buf[8];
    mmu_st_(buf, val, size);
    phys_write_bytes(c, pa1, buf, n1);
    phys_write_bytes(c, pa2, buf + n1, size - n1);
}

void mmu_check_slow(struct cpu *c, uint64_t lin, unsigned size, unsigned acc)
{
    alignment_check(c, lin, size, acc);
    xlate_v(c, lin, acc, crosses(lin, size) ? 0 : size, NULL);
    if (crosses(lin, size))
        xlate(c, lin + (4096 - (lin & 0xfff)), acc);
}

uint64_t mmu_fetch_pa_slow(struct cpu *c, uint64_t lin)
{
    if (__builtin_expect(c->tlb->vapic_trap, 0))
        mmu_vapic_trap_fetch(c);    /* TPR virtualization pending at this boundary (vapic.c) */
    return xlate(c, lin, ACC_FETCH);
}

/* Bulk accesses: one data-access charge per started 8 bytes. */
static void charge_bulk(struct cpu *c, unsigned len)
{
    c->ctr.cycles += (uint64_t)c->tlb->mem_cost * ((len + 7) / 8);
}

void mmu_read_bytes(struct cpu *c, uint64_t lin, void *dst, unsigned len, unsigned acc)
{
    uint8_t *d = (uint8_t *)dst;
    charge_bulk(c, len);
    while (len) {
        unsigned n = 4096 - (unsigned)(lin & 0xfff);
        if (n > len)
            n = len;
        phys_read_bytes(c, xlate(c, lin, acc), d, n);
        lin += n;
        d += n;
        len -= n;
    }
}

#define BULK_PAGES 16

void mmu_write_bytes(struct cpu *c, uint64_t lin, const void *src, unsigned len, unsigned acc)
{
    /* Translate every page first so that a fault leaves memory unchanged. Up to BULK_PAGES
     * translations are remembered; a longer copy translates again while writing (the second
     * translations hit the TLB and are counted again). */
    uint64_t pa[BULK_PAGES];
    unsigned npages = 0;
    const uint8_t *s = (const uint8_t *)src;
    charge_bulk(c, len);
    uint64_t l = lin;
    for (unsigned left = len; left;) {
        unsigned n = 4096 - (unsigned)(l & 0xfff);
        if (n > left)
            n = left;
        uint64_t p = xlate(c, l, acc);
        if (npages < BULK_PAGES)
            pa[npages] = p;
        npages++;
        l += n;
        left -= n;
    }
    l = lin;
    for (unsigned k = 0; len; k++) {
        unsigned n = 4096 - (unsigned)(l & 0xfff);
        if (n > len)
            n = len;
        phys_write_bytes(c, k < BULK_PAGES ? pa[k] : xlate(c, l, acc), s, n);
        l += n;
        s += n;
        len -= n;
    }
}

int mmu_translate_debug(struct cpu *c, uint64_t lin, uint64_t *pa)
{
    if (!(c->cr0 & CR0_PG) && !c->tlb->ept_on) {
        *pa = (uint32_t)lin;
        return 0;
    }
    bool ok;
    lin = canon_or_trunc(c, lin, &ok);
    if (!ok)
        return -1;
    struct walk_out o;
    uint32_t ec;
    if (mmu_walk(c, lin, ACC_READ, WALK_NOPERM, &o, &ec) < 0)
        return -1;
    *pa = o.pbase | (lin & ((1ull << o.shift) - 1));
    return 0;
}

/* ---------------------------------------------------------------- lifecycle */

int mmu_init(struct cpu *c)
{
    struct tlb *t = calloc(1, sizeof *t);
    if (!t || tlb_create(t, c) != 0) {
        free(t);
        return -1;
    }
    c->tlb = t;
    rebuild(c);
    if (mmu_pae_paging(c->cr0, c->cr4, c->msr.efer))
        (void)mmu_load_pdptes(c);
    return 0;
}

void mmu_destroy(struct cpu *c)
{
    if (!c->tlb)
        return;
    tlb_free(c->tlb);
    free(c->tlb);
    c->tlb = NULL;
}

/* SDM Vol. 3 28.3.3.3 (VM entry) and 29.4.3.3: with "enable VPID" = 0, VM entries and VM exits
 * invalidate the linear and combined mappings of VPID 0000H (all PCIDs, all EPTRTAs); with
 * VPIDs in use nothing is invalidated, the mappings are tagged. The control registers were loaded
 * by the transition: the TLB context follows them without the flushes of a MOV to CR3. */
void mmu_vmx_switch(struct cpu *c)
{
    struct tlb *t = c->tlb;
    const uint64_t *v = c->vmx.vmcs;
    bool nonroot = c->vmx.nonroot;
    bool have_vmcs = c->vmx.on && c->vmx.vmcs_ptr != VMX_NO_VMCS;
    uint32_t p2 = have_vmcs && (v[VMCS_PROC_CONTROLS] & VMX_PROC_SECONDARY)
                      ? (uint32_t)v[VMCS_PROC_CONTROLS2] : 0;
    if (nonroot != t->nonroot && !(p2 & VMX_PROC2_VPID))
        tlb_inval_vpid(t, 0, false, 0, true, true);
    if (!nonroot)
        p2 = 0;
    uint64_t apic = (p2 & VMX_PROC2_APIC_ACCESS) ? v[VMCS_APIC_ACCESS_ADDR] & ~0xfffull
                                                 : TLB_NO_APIC_PAGE;
    if (apic != TLB_NO_APIC_PAGE && apic != t->apic_last) {
        /* a page cached before it became the APIC-access page must not serve accesses */
        tlb_inval_vpid(t, -1, false, 0, true, true);
        tlb_inval_vpid(t, 0, false, 0, true, true);
        t->apic_last = apic;
    }
    t->apic_page = apic;
    t->vapic_trap = false;          /* VM entry re-checks the TPR threshold (26.7.7) */
    bool transition = nonroot != t->nonroot;
    t->nonroot = nonroot;
    t->vpid = (p2 & VMX_PROC2_VPID) ? (uint16_t)v[VMCS_VPID] : 0;
    t->ept_on = (p2 & VMX_PROC2_EPT) != 0;
    t->eptp = t->ept_on ? v[VMCS_EPT_POINTER] : 0;
    t->ept = t->ept_on ? tlb_ept_tag(t, t->eptp) : 0;
    tlb_fast_clear(t);
    rebuild(c);
    if (transition && mmu_pae_paging(c->cr0, c->cr4, c->msr.efer)) {
        if (t->ept_on) {
            /* 26.3.2.4: under EPT a VM entry loads the PDPTEs from the guest-state area */
            for (int k = 0; k < 4; k++)
                t->pdpte[k] = v[VMCS_GUEST_PDPTE0 + k];
        } else {
            (void)mmu_load_pdptes(c);   /* VM entry / VM exit to a PAE context: from CR3 */
        }
    }
}
