/* wl_apic.c — the child's `apic` workload: its virtual local APIC checked from inside a child
 * partition (docs/HYPERVISOR.md "Virtual local APIC"), each expected value from the SDM Vol. 3
 * chapter 11 or the TLFS, never from a run:
 *   - IA32_APIC_BASE = FEE00000H | EN (bit 11) | BSP (bit 8) on VP 0 (11.4.4); ID = the VP
 *     index; version 14H with 6 in bits 23:16 (seven LVT entries, 11.4.8); SVR as
 *     child_apic_init wrote it (1FFH);
 *   - two self-IPIs (ICR shorthand 01B, 11.6.1) sent with IF = 0 wait in IRR; with IF = 1 the
 *     higher class comes first (11.8.3), and while it is in service (ISR, PPR = its vector) the
 *     lower one waits; its EOI (the page's EOI register) lets the lower one in, which EOIs with
 *     HV_X64_MSR_EOI;
 *   - TPR (11.8.3.1): TPR = 65H reads back 65H, CR8 = 6 (10.8.6.1 / 11.8.6.1), HV_X64_MSR_TPR =
 *     65H; a class-6 vector waits; a CR8 write of 0 delivers it and clears TPR[3:0];
 *   - software disable (SVR bit 8 = 0, 11.4.7.2): the LVTs read masked, a fixed IPI is dropped
 *     (never delivered, even after re-enabling); HV_X64_MSR_ICR (64-bit) sends a self-IPI;
 *   - the timer (11.5.4): one-shot with divide 1, the current count between 1 and the initial
 *     count right after the write, one interrupt, then a current count of 0; TSC-deadline when
 *     CPUID.1:ECX[24] says so (11.5.4.1): one interrupt at or after the deadline, after which
 *     IA32_TSC_DEADLINE reads 0 — handled by the hypervisor, never an intercept to the root.
 * Prints "child NAME: apic: PASS what" or "... FAIL what: got X, want Y" per check and
 * "child NAME: apic: N checks passed, M failed"; tests/build/check-child-apic.sh reads them.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define APIC 0xFEE00000ull
#define R_ID 0x020
#define R_VER 0x030
#define R_TPR 0x080
#define R_PPR 0x0A0
#define R_EOI 0x0B0
#define R_SVR 0x0F0
#define R_ISR 0x100
#define R_IRR 0x200
#define R_ICR 0x300
#define R_LVT_TIMER 0x320
#define R_TIMER_ICR 0x380
#define R_TIMER_CCR 0x390
#define R_TIMER_DCR 0x3E0
#define ICR_SELF (1u << 18)
#define VEC_LOW 0x60u
#define VEC_HIGH 0x70u
#define VEC_TIMER 0x80u
#define MSR_APIC_BASE 0x1Bu
#define MSR_TSC_DEADLINE 0x6E0u

void wl_apic_isr_low(void);     /* apic_isr.S: the stubs that call the wl_apic_on_* handlers */
void wl_apic_isr_high(void);
void wl_apic_isr_timer(void);
void wl_apic_on_low(void);
void wl_apic_on_high(void);
void wl_apic_on_timer(void);

static volatile uint32_t order[8], norder, timer_irqs;
static volatile uint32_t high_isr_word, high_ppr, low_seen_in_high;
static volatile uint64_t timer_tsc;
static unsigned passed, failed;

static uint32_t rd(uint32_t r) { return *(volatile uint32_t *)(uintptr_t)(APIC + r); }
static void wr(uint32_t r, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(APIC + r) = v; }

/* IF = 1 around a CPUID, which exits: the hypervisor decides at that VM entry whether a pending
 * vector may be injected, so a wrong priority decision would show here. */
static void open_window(void)
{
    uint32_t a = 0, b, c = 0, d;
    __asm__ volatile("sti; cpuid; nop; cli" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

void wl_apic_on_low(void)
{
    if (norder < 8)
        order[norder] = VEC_LOW;
    norder++;
    wrmsr(HV_X64_MSR_EOI, 0);
}

void wl_apic_on_high(void)
{
    if (norder < 8)
        order[norder] = VEC_HIGH;
    norder++;
    high_isr_word = rd(R_ISR + 0x10 * (VEC_HIGH >> 5));
    high_ppr = rd(R_PPR);
    /* IF is 0 in the handler; open a window: the lower class must still wait (PPR = 70H) */
    open_window();
    low_seen_in_high = norder > 1;
    wr(R_EOI, 0);
}

void wl_apic_on_timer(void)
{
    timer_irqs++;
    timer_tsc = rdtsc();
    wrmsr(HV_X64_MSR_EOI, 0);
}

static void check(const char *what, uint64_t got, uint64_t want)
{
    if (got == want) {
        passed++;
        kcon_printf("child %s: apic: PASS %s\n", child_name, what);
    } else {
        failed++;
        kcon_printf("child %s: apic: FAIL %s: got 0x%llx, want 0x%llx\n", child_name, what,
                    (unsigned long long)got, (unsigned long long)want);
    }
}

static bool irr_has(unsigned v) { return (rd(R_IRR + 0x10 * (v >> 5)) >> (v & 31)) & 1; }

/* 64-bit interrupt gate, selector 08H (SDM Vol. 3 6.14.1) in the IDT child_idt_init loaded */
static void set_gate(unsigned vec, void (*fn)(void))
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint64_t h = (uint64_t)(uintptr_t)fn;
    uint64_t *g = (uint64_t *)(uintptr_t)(idtr.base + vec * 16);
    g[0] = (h & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) | ((h >> 16) & 0xFFFF) << 48;
    g[1] = h >> 32;
}

static void wait_irq(volatile uint32_t *counter, uint32_t want)
{
    for (unsigned i = 0; i < 1000 && *counter < want; i++)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
}

void wl_apic(uint32_t vp_index)
{
    __asm__ volatile("cli" ::: "memory");
    set_gate(VEC_LOW, wl_apic_isr_low);
    set_gate(VEC_HIGH, wl_apic_isr_high);
    set_gate(VEC_TIMER, wl_apic_isr_timer);

    check("IA32_APIC_BASE = FEE00000H | EN | BSP", rdmsr(MSR_APIC_BASE),
          0xFEE00000ull | (1u << 11) | (vp_index == 0 ? 1u << 8 : 0));
    check("ID = the VP index", rd(R_ID) >> 24, vp_index);
    check("version 14H, max LVT entry 6", rd(R_VER) & 0x00FF00FFu, 0x00060014u);
    check("SVR = 1FFH (child_apic_init)", rd(R_SVR), 0x1FF);

    /* priorities: two self-IPIs while IF = 0 */
    wr(R_ICR, ICR_SELF | VEC_LOW);
    wr(R_ICR, ICR_SELF | VEC_HIGH);
    check("self-IPIs 60H and 70H pending in IRR", irr_has(VEC_LOW) && irr_has(VEC_HIGH), 1);
    check("PPR = 0 with nothing in service", rd(R_PPR), 0);
    open_window();
    check("two interrupts taken", norder, 2);
    check("the higher class first", order[0], VEC_HIGH);
    check("then the lower one", order[1], VEC_LOW);
    check("70H in ISR inside its handler", (high_isr_word >> (VEC_HIGH & 31)) & 1, 1);
    check("PPR = 70H inside its handler", high_ppr, VEC_HIGH);
    check("60H waits while 70H is in service", low_seen_in_high, 0);
    check("ISR empty after both EOIs", rd(R_ISR + 0x10 * (VEC_HIGH >> 5)), 0);

    /* TPR and CR8 */
    wr(R_TPR, 0x65);
    check("TPR reads back 65H", rd(R_TPR), 0x65);
    uint64_t cr8;
    __asm__ volatile("mov %%cr8, %0" : "=r"(cr8));
    check("CR8 = TPR[7:4]", cr8, 6);
    check("HV_X64_MSR_TPR = TPR", rdmsr(HV_X64_MSR_TPR), 0x65);
    check("PPR = TPR", rd(R_PPR), 0x65);
    norder = 0;
    wr(R_ICR, ICR_SELF | VEC_LOW);
    open_window();
    check("a class-6 vector waits under TPR 65H", norder, 0);
    __asm__ volatile("mov %0, %%cr8" : : "r"(0ull));
    open_window();
    check("CR8 = 0 delivers it", norder, 1);
    check("a CR8 write clears TPR[3:0]", rd(R_TPR), 0);

    /* software disable */
    wr(R_SVR, 0xFF);
    check("software-disabled: LVT timer masked", (rd(R_LVT_TIMER) >> 16) & 1, 1);
    norder = 0;
    wr(R_ICR, ICR_SELF | VEC_LOW);
    check("software-disabled: the IPI is not in IRR", irr_has(VEC_LOW), 0);
    wr(R_SVR, 0x1FF);
    open_window();
    check("software-disabled: the IPI is dropped", norder, 0);
    wrmsr(HV_X64_MSR_ICR, ICR_SELF | VEC_LOW);
    open_window();
    check("HV_X64_MSR_ICR sends a self-IPI", norder, 1);

    /* one-shot timer, divide by 1 (DCR 1011B), 100000 ticks of the TSC-rate clock */
    wr(R_TIMER_DCR, 0xB);
    wr(R_LVT_TIMER, VEC_TIMER);
    uint64_t t0 = rdtsc();
    wr(R_TIMER_ICR, 100000);
    uint32_t ccr = rd(R_TIMER_CCR);
    check("current count in [1, 100000] after the write", ccr >= 1 && ccr <= 100000, 1);
    wait_irq(&timer_irqs, 1);
    check("one-shot: one interrupt", timer_irqs, 1);
    check("one-shot: not before 100000 TSC ticks", timer_tsc - t0 >= 100000, 1);
    check("one-shot: current count 0 after it", rd(R_TIMER_CCR), 0);

    /* TSC-deadline mode (LVT timer bits 18:17 = 10B) where the processor has it */
    uint32_t r[4];
    cpuid(1, 0, r);
    if ((r[2] >> 24) & 1) {
        wr(R_LVT_TIMER, (2u << 17) | VEC_TIMER);
        uint64_t deadline = rdtsc() + 50000;
        wrmsr(MSR_TSC_DEADLINE, deadline);
        check("IA32_TSC_DEADLINE reads back while armed", rdmsr(MSR_TSC_DEADLINE), deadline);
        wait_irq(&timer_irqs, 2);
        check("TSC-deadline: one interrupt", timer_irqs, 2);
        check("TSC-deadline: not before the deadline", timer_tsc >= deadline, 1);
        check("TSC-deadline: the MSR reads 0 after it fires", rdmsr(MSR_TSC_DEADLINE), 0);
    }
    wr(R_LVT_TIMER, (1u << 16) | VEC_TIMER);
    kcon_printf("child %s: apic: %u checks passed, %u failed\n", child_name, passed, failed);
}
