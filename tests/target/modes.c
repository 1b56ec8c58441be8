/* modes.c — processor mode transitions (SDM Vol. 3 9.8, 9.9, 2.5, 4.1): a 32-bit program entered
 * in protected mode reloads its GDT, turns on 32-bit paging (4 MiB and 4 KiB pages) and PAE
 * paging, enters IA-32e mode (compatibility, then 64-bit via a far jump), returns, leaves
 * IA-32e mode, and makes a round trip through real mode. */
#include "lib/desc.h"
#include "lib/test.h"
#include "lib/x86.h"

void load_gdt(void);
void long_mode_round_trip(uint32_t pml4);
void paging32_on(uint32_t cr3, uint32_t cr4_bits);
void paging32_off(void);
void real_mode_round_trip(void);
extern uint64_t lm_val64, lm_push_size, lm_zext, lm_rip_rel;
extern uint32_t lm_efer_pg, lm_efer_compat;
extern char tramp_start[], tramp_end[];

#define ALIAS 0x40000000u

static uint64_t pml4[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint64_t pdpt[512] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint64_t pd64[4][512] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint32_t pd32[1024] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint32_t pt32[1024] __attribute__((aligned(4096), section(".bss.pagetables")));
static uint64_t pae_pdpt[4] __attribute__((aligned(32)));
static uint64_t pae_pd[4][512] __attribute__((aligned(4096), section(".bss.pagetables")));
static volatile uint32_t probe[1024] __attribute__((aligned(4096)));

static void protected_mode_entry(void)
{
    uint32_t cr0 = (uint32_t)read_cr0();
    t_check((cr0 & X86_CR0_PE) && !(cr0 & X86_CR0_PG), "entered in protected mode, paging off",
            "CR0 0x%x", cr0);
    t_eq("EFER.LMA = 0 at entry", rdmsr(MSR_EFER) & EFER_LMA_BIT, 0);
    load_gdt();
    t_eq("LGDT + far jump reload CS", read_cs(), 0x08);
}

static void paging_32bit(void)
{
    /* 4 MiB pages: identity for the first 1 GiB, plus ALIAS -> physical 0 (PSE, SDM 4.3). */
    for (uint32_t i = 0; i < 256; i++)
        pd32[i] = (i << 22) | 0x83;                          /* P | W | PS */
    pd32[ALIAS >> 22] = 0x83;
    /* 4 KiB pages: ALIAS + 4 MiB -> the probe page. */
    pt32[0] = (uint32_t)(uintptr_t)probe | 0x3;
    pd32[(ALIAS >> 22) + 1] = (uint32_t)(uintptr_t)pt32 | 0x3;
    probe[0] = 0xc0ffee;
    paging32_on((uint32_t)(uintptr_t)pd32, X86_CR4_PSE);
    t_check(read_cr0() & X86_CR0_PG, "32-bit paging enabled", "CR0 0x%lx", read_cr0());
    t_eq("32-bit paging: 4 MiB page alias reads physical memory",
         *(volatile uint32_t *)(uintptr_t)(ALIAS + 0x100000), *(volatile uint32_t *)phys_ptr(0x100000));
    t_eq("32-bit paging: 4 KiB page reads the mapped page",
         *(volatile uint32_t *)(uintptr_t)(ALIAS + 0x400000), 0xc0ffee);
    t_check(pd32[(ALIAS >> 22) + 1] & 0x20, "32-bit paging: PDE accessed bit set", "PDE 0x%x",
            pd32[(ALIAS >> 22) + 1]);
    *(volatile uint32_t *)(uintptr_t)(ALIAS + 0x400004) = 1;
    t_check((pt32[0] & 0x60) == 0x60, "32-bit paging: PTE accessed and dirty bits set",
            "PTE 0x%x", pt32[0]);
    paging32_off();
    t_check(!(read_cr0() & X86_CR0_PG), "32-bit paging disabled", "CR0 0x%lx", read_cr0());
}

static void paging_pae(void)
{
    /* PAE: 4 PDPTEs, 2 MiB pages (SDM 4.4). Identity 0..4 GiB, ALIAS -> physical 0. */
    for (uint32_t g = 0; g < 4; g++) {
        for (uint32_t k = 0; k < 512; k++)
            pae_pd[g][k] = ((uint64_t)g << 30 | (uint64_t)k << 21) | 0x83;
        pae_pdpt[g] = (uint32_t)(uintptr_t)pae_pd[g] | 0x1;   /* PDPTE: P only (R/W reserved) */
    }
    pae_pd[ALIAS >> 30][(ALIAS >> 21) & 511] = 0x83;
    paging32_on((uint32_t)(uintptr_t)pae_pdpt, X86_CR4_PAE);
    t_eq("PAE paging: 2 MiB alias reads physical memory",
         *(volatile uint32_t *)(uintptr_t)(ALIAS + 0x100000), *(volatile uint32_t *)phys_ptr(0x100000));
    t_eq("PAE paging: EFER.LMA stays 0 without LME", rdmsr(MSR_EFER) & EFER_LMA_BIT, 0);
    paging32_off();
}

static void long_mode(void)
{
    pml4[0] = (uint32_t)(uintptr_t)pdpt | 0x3;
    for (uint32_t g = 0; g < 4; g++) {
        pdpt[g] = (uint32_t)(uintptr_t)pd64[g] | 0x3;
        for (uint32_t k = 0; k < 512; k++)
            pd64[g][k] = ((uint64_t)g << 30 | (uint64_t)k << 21) | 0x83;
    }
    long_mode_round_trip((uint32_t)(uintptr_t)pml4);
    t_check(lm_efer_pg & EFER_LMA_BIT, "CR0.PG with EFER.LME=1 sets EFER.LMA", "EFER 0x%x",
            lm_efer_pg);
    t_eq("64-bit code stored a 64-bit immediate", lm_val64, 0x123456789abcdef0ull);
    t_eq("RIP-relative LEA in 64-bit mode", lm_rip_rel, (uint64_t)(uintptr_t)&lm_val64);
    t_eq("PUSH is 8 bytes in 64-bit mode", lm_push_size, 8);
    t_eq("32-bit register write zero-extends in 64-bit mode", lm_zext, 1);
    t_check(lm_efer_compat & EFER_LMA_BIT, "LRETQ to a 32-bit CS: compatibility mode, LMA=1",
            "EFER 0x%x", lm_efer_compat);
    t_eq("leaving IA-32e mode clears EFER.LMA", rdmsr(MSR_EFER) & (EFER_LMA_BIT | EFER_LME_BIT),
         0);
    t_eq("back in 32-bit protected mode, paging off", read_cr0() & (X86_CR0_PG | X86_CR0_PE),
         X86_CR0_PE);
}

static void real_mode(void)
{
    memcpy(phys_ptr(0x7000), tramp_start, (size_t)(tramp_end - tramp_start));
    memset(phys_ptr(0x8000), 0, 0x40);
    real_mode_round_trip();
    volatile uint16_t *r = phys_ptr(0x8010);
    t_eq("real mode: segment:offset store (ES=0x800, offset 0x10)", r[0], 0x1234);
    t_eq("real mode: 16-bit PUSH/POP", r[1], 0x5678);
    t_eq("real mode: near CALL/RET", r[3], 0x4321);
    t_eq("real mode: INT through the IVT and IRET", r[2], 0xbeef);
    t_eq("real mode: 32-bit operand-size prefix", *(volatile uint32_t *)phys_ptr(0x8018), 0x12345678);
    t_eq("real mode: CR0.PE = 0", *(volatile uint32_t *)phys_ptr(0x801c) & 1, 0);
    t_eq("back in protected mode after the real-mode round trip", read_cr0() & X86_CR0_PE,
         X86_CR0_PE);
}

int main(void)
{
    t_begin("modes");
    protected_mode_entry();
    paging_32bit();
    paging_pae();
    long_mode();
    real_mode();
    return t_finish();
}
