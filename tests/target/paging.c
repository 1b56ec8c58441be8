/* paging.c — 4-level paging as the SDM (Vol. 3 ch. 4) specifies it: accessed/dirty bits at
 * every level, R/W with CR0.WP, U/S, NX and EFER.NXE, SMEP, SMAP, reserved bits, 2 MiB and
 * 1 GiB pages, aliases, and TLB invalidation by INVLPG, MOV CR3 and CR4.PGE. */
#include "lib/pt64.h"
#include "lib/test.h"
#include "lib/trap64.h"
#include "lib/x86.h"

#define TVA  0x40000000ull            /* 4 KiB test page (user code uses this address) */
#define TVA2 0x40001000ull            /* alias of the same physical page */
#define BIGVA 0x80000000ull           /* 2 MiB test page */
#define HUGEVA 0x8000000000ull        /* 1 GiB test page: PML4 index 1 */

extern char uread_insn[], uwrite_insn[];
void user_read_tva(void), user_write_tva(void);

static volatile uint64_t *tva = (volatile uint64_t *)(uintptr_t)TVA;

static int expect(const char *name, void (*fn)(void *), uint64_t addr, int vec, uint64_t err)
{
    int v = trap_catch(fn, (void *)(uintptr_t)addr);
    return t_check(v == vec && (vec < 0 || (last_trap.error == err && last_trap.cr2 == addr)),
                   name, "got vector %d error 0x%llx CR2 0x%llx; want vector %d error 0x%llx "
                   "CR2 0x%llx", v, (unsigned long long)last_trap.error,
                   (unsigned long long)last_trap.cr2, vec, (unsigned long long)err,
                   (unsigned long long)addr);
}

static int expect_user(const char *name, void (*fn)(void), int vec, uint64_t err)
{
    int v = trap_catch_user(fn, 0);
    return t_check(v == vec && (vec != 14 || (last_trap.error == err && last_trap.cr2 == TVA)),
                   name, "got vector %d error 0x%llx CR2 0x%llx; want vector %d error 0x%llx",
                   v, (unsigned long long)last_trap.error, (unsigned long long)last_trap.cr2,
                   vec, (unsigned long long)err);
}

static void clear_ad(uint64_t va, int leaf_level)
{
    for (int l = 4; l >= leaf_level; l--)
        *pt_entry(va, l) &= ~(PT_A | PT_D);
    write_cr3(read_cr3());
}

static void accessed_dirty(uint64_t pa)
{
    pt_map4k(TVA, pa, PT_P | PT_W);
    clear_ad(TVA, 1);
    (void)*tva;
    uint64_t pte = *pt_entry(TVA, 1);
    t_check((pte & (PT_A | PT_D)) == PT_A, "read sets PTE.A and not PTE.D", "PTE 0x%llx",
            (unsigned long long)pte);
    t_check((*pt_entry(TVA, 2) & PT_A) && (*pt_entry(TVA, 3) & PT_A) && (*pt_entry(TVA, 4) & PT_A),
            "read sets A in the PDE, PDPTE and PML4E", "PDE 0x%llx PDPTE 0x%llx PML4E 0x%llx",
            (unsigned long long)*pt_entry(TVA, 2), (unsigned long long)*pt_entry(TVA, 3),
            (unsigned long long)*pt_entry(TVA, 4));
    t_check(!(*pt_entry(TVA, 2) & PT_D), "non-leaf entries get no D bit", "PDE 0x%llx",
            (unsigned long long)*pt_entry(TVA, 2));
    *tva = 7;   /* the translation is cached with D=0: the write must set D anyway */
    pte = *pt_entry(TVA, 1);
    t_check((pte & (PT_A | PT_D)) == (PT_A | PT_D), "write after a read sets PTE.D",
            "PTE 0x%llx", (unsigned long long)pte);
    clear_ad(TVA, 1);
    *tva = 8;
    pte = *pt_entry(TVA, 1);
    t_check((pte & (PT_A | PT_D)) == (PT_A | PT_D), "first access a write sets A and D",
            "PTE 0x%llx", (unsigned long long)pte);

    /* fetch sets A, not D */
    uint8_t *code = (uint8_t *)(uintptr_t)pa;
    code[0] = 0xc3;
    clear_ad(TVA, 1);
    trap_catch(do_call, (void *)(uintptr_t)TVA);
    pte = *pt_entry(TVA, 1);
    t_check((pte & (PT_A | PT_D)) == PT_A, "instruction fetch sets A and not D", "PTE 0x%llx",
            (unsigned long long)pte);

    /* a faulting write sets no D bit */
    pt_map4k(TVA, pa, PT_P);
    clear_ad(TVA, 1);
    expect("write to a read-only page faults #PF(P|W)", do_write, TVA, 14, 0x3);
    t_check(!(*pt_entry(TVA, 1) & PT_D), "a faulting write does not set D", "PTE 0x%llx",
            (unsigned long long)*pt_entry(TVA, 1));
}

static void large_pages(uint64_t big_pa)
{
    uint64_t *pde = pt_entry(BIGVA, 2);
    *pde = big_pa | PT_P | PT_W | PT_PS;
    clear_ad(BIGVA, 2);
    volatile uint64_t *big = (volatile uint64_t *)(uintptr_t)(BIGVA + 0x1ff000);
    *(volatile uint64_t *)(uintptr_t)(big_pa + 0x1ff000) = 0x1234567887654321ull;
    t_eq("2 MiB page maps the right physical bytes", *big, 0x1234567887654321ull);
    t_check((*pde & (PT_A | PT_D)) == PT_A, "2 MiB page: read sets PDE.A only", "PDE 0x%llx",
            (unsigned long long)*pde);
    *big = 1;
    t_check((*pde & (PT_A | PT_D)) == (PT_A | PT_D), "2 MiB page: write sets PDE.D", "PDE 0x%llx",
            (unsigned long long)*pde);
    *pde |= 1ull << 13;   /* bits 20:13 of a 2 MiB PDE are reserved */
    invlpg((void *)big);
    expect("#PF(P|RSVD) for reserved bit 13 in a 2 MiB PDE", do_read, BIGVA + 0x1ff000, 14, 0x9);
    *pde &= ~(1ull << 13);
    invlpg((void *)big);

    uint32_t r[4];
    cpuid(0x80000001, 0, r);
    uint64_t *pdpte = pt_entry(HUGEVA, 3);
    *pdpte = 0 | PT_P | PT_W | PT_PS;     /* 1 GiB page -> physical 0 */
    invlpg((void *)(uintptr_t)HUGEVA);
    if (r[3] & (1u << 26)) {
        volatile uint64_t *h = (volatile uint64_t *)(uintptr_t)(HUGEVA + 0x100000);
        t_eq("1 GiB page maps physical 0x100000 at +0x100000", *h,
             *(volatile uint64_t *)(uintptr_t)0x100000);
    } else {
        expect("#PF(P|RSVD) for PS=1 in a PDPTE without 1 GiB page support", do_read,
               HUGEVA + 0x100000, 14, 0x9);
    }
}

static void aliases_and_invalidation(uint64_t pa, uint64_t pa2)
{
    pt_map4k(TVA, pa, PT_P | PT_W);
    pt_map4k(TVA2, pa, PT_P | PT_W);
    *tva = 0xaaaa;
    t_eq("alias: write through one VA is read through the other",
         *(volatile uint64_t *)(uintptr_t)TVA2, 0xaaaa);
    *(volatile uint64_t *)(uintptr_t)pa2 = 0xbbbb;
    (void)*tva;                          /* TVA -> pa is in the TLB now */
    *pt_entry(TVA, 1) = pa2 | PT_P | PT_W;
    invlpg((void *)tva);
    t_eq("INVLPG makes a changed PTE visible", *tva, 0xbbbb);
    *pt_entry(TVA, 1) = pa | PT_P | PT_W;
    write_cr3(read_cr3());
    t_eq("MOV to CR3 makes a changed PTE visible", *tva, 0xaaaa);
    write_cr4(read_cr4() | X86_CR4_PGE);
    *pt_entry(TVA, 1) = pa2 | PT_P | PT_W | PT_G;
    invlpg((void *)tva);
    t_eq("global page is mapped", *tva, 0xbbbb);
    *pt_entry(TVA, 1) = pa | PT_P | PT_W | PT_G;
    write_cr4(read_cr4() & ~X86_CR4_PGE);   /* clearing PGE flushes global entries too */
    t_eq("toggling CR4.PGE flushes a global entry", *tva, 0xaaaa);
    pt_map4k(TVA, pa, PT_P | PT_W);
    pt_map4k(TVA, 0, 0);
    expect("#PF(0) after a page is unmapped and INVLPG", do_read, TVA, 14, 0x0);
}

static void permissions(uint64_t pa)
{
    pt_map4k(TVA, pa, PT_P);
    write_cr0(read_cr0() & ~X86_CR0_WP);
    expect("CPL 0 may write a read-only page when CR0.WP=0", do_write, TVA, -1, 0);
    write_cr0(read_cr0() | X86_CR0_WP);
    expect("CPL 0 write to a read-only page faults #PF(P|W) when CR0.WP=1", do_write, TVA, 14,
           0x3);

    pt_map4k(TVA, pa, PT_P | PT_U);
    expect_user("CPL 3 may read a user read-only page", user_read_tva, TRAP_USER_DONE, 0);
    expect_user("CPL 3 write to a user read-only page faults #PF(P|W|U)", user_write_tva, 14, 0x7);
    pt_map4k(TVA, pa, PT_P | PT_W | PT_U);
    expect_user("CPL 3 may write a user read/write page", user_write_tva, TRAP_USER_DONE, 0);
    pt_map4k(TVA, pa, PT_P | PT_W);
    expect_user("CPL 3 read of a supervisor page faults #PF(P|U)", user_read_tva, 14, 0x5);
    pt_map4k(TVA, pa, 0);
    expect_user("CPL 3 read of a not-present page faults #PF(U)", user_read_tva, 14, 0x4);
    pt_map4k(TVA, pa, PT_P | PT_W | PT_U);
    *pt_entry(TVA, 2) &= ~PT_U;
    invlpg((void *)tva);
    expect_user("U=0 in the PDE denies CPL 3 even if the PTE has U=1", user_read_tva, 14, 0x5);
    *pt_entry(TVA, 2) |= PT_U;
    *pt_entry(TVA, 2) &= ~PT_W;
    invlpg((void *)tva);
    expect_user("R/W=0 in the PDE makes the page read-only for CPL 3", user_write_tva, 14, 0x7);
    *pt_entry(TVA, 2) |= PT_W;
    invlpg((void *)tva);

    /* NX needs EFER.NXE; without it bit 63 is reserved. */
    ((uint8_t *)(uintptr_t)pa)[0] = 0xc3;
    pt_map4k(TVA, pa, PT_P | PT_W | PT_NX);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE_BIT);
    expect("fetch from an NX page faults #PF(P|I) with EFER.NXE=1", do_call, TVA, 14, 0x11);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) & ~EFER_NXE_BIT);
    invlpg((void *)tva);
    expect("NX bit is reserved with EFER.NXE=0: #PF(P|RSVD)", do_read, TVA, 14, 0x9);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE_BIT);
    pt_map4k(TVA, pa, PT_P | PT_W);
}

static void smep_smap(uint64_t pa)
{
    uint32_t r[4];
    cpuid(7, 0, r);
    ((uint8_t *)(uintptr_t)pa)[0] = 0xc3;
    pt_map4k(TVA, pa, PT_P | PT_W | PT_U);
    if (r[1] & (1u << 7)) {
        write_cr4(read_cr4() | X86_CR4_SMEP);
        expect("SMEP: CPL 0 fetch from a user page faults #PF(P|I)", do_call, TVA, 14, 0x11);
        write_cr4(read_cr4() & ~X86_CR4_SMEP);
        expect("SMEP off: CPL 0 may fetch from a user page", do_call, TVA, -1, 0);
    } else {
        tprintf("# SMEP not reported by CPUID.7.0:EBX[7]; skipped\n");
    }
    if (r[1] & (1u << 20)) {
        write_cr4(read_cr4() | X86_CR4_SMAP);
        expect("SMAP: CPL 0 read of a user page faults #PF(P) with RFLAGS.AC=0", do_read, TVA, 14,
               0x1);
        __asm__ volatile("stac");
        int v = trap_catch(do_read, (void *)tva);
        __asm__ volatile("clac");
        t_check(v == -1, "SMAP: STAC (RFLAGS.AC=1) allows the read", "vector %d", v);
        write_cr4(read_cr4() & ~X86_CR4_SMAP);
    } else {
        tprintf("# SMAP not reported by CPUID.7.0:EBX[20]; skipped\n");
    }
}

static void pcid(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    if (!(r[2] & (1u << 17))) {
        tprintf("# PCID not reported by CPUID.1:ECX[17]; skipped\n");
        return;
    }
    uint64_t root = read_cr3();
    write_cr4(read_cr4() | (1ul << 17));
    write_cr3(root | 5);
    t_eq("CR4.PCIDE=1: CR3[11:0] holds the PCID", read_cr3(), root | 5);
    write_cr3(root);
    write_cr4(read_cr4() & ~(1ul << 17));
    t_eq("CR4.PCIDE can be cleared with PCID 0", read_cr4() & (1ul << 17), 0);
}

int main(void)
{
    t_begin("paging");
    sys64_init();
    pt_init();
    t_eq("own page tables loaded", read_cr3(), pt_root());
    uint64_t pa = (uint64_t)(uintptr_t)pt_alloc_page();
    uint64_t pa2 = (uint64_t)(uintptr_t)pt_alloc_page();
    uint64_t big = (boot_free_base + (4ull << 20)) & ~((2ull << 20) - 1);
    accessed_dirty(pa);
    large_pages(big);
    aliases_and_invalidation(pa, pa2);
    permissions(pa);
    smep_smap(pa);
    pcid();
    return t_finish();
}
