/* log.c — the hypervisor's log and its fatal stop (hv_svc.h hv_log, hv_panic).
 *
 * Output goes to port 0xE9 (the Bochs/QEMU debug console; hvsim prints it on stdout — the one
 * port the hypervisor uses that the PC platform does not define, harmless on real hardware).
 * hv_panic prints "hv: PANIC on LP k: <message>", sends an NMI to every other LP (their NMI
 * handler halts them, idt.c) and halts this LP with interrupts disabled, forever.
 *
 * Invariants: one line of one LP is never interleaved with another's (hv_log_lock); a panic
 * while this LP holds the lock (a fault inside hv_log) still prints: the panicking LP waits for
 * the lock only for a bounded time, then takes it.
 */
#include "hv/arch/arch.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

#define DEBUGCON_PORT 0xE9

static struct krt_spinlock hv_log_lock = KRT_SPINLOCK_INIT;
volatile uint32_t hv_panicking;

static void put_e9(void *ctx, char c)
{
    (void)ctx;
    outb(DEBUGCON_PORT, (uint8_t)c);
}

void hv_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    krt_lock(&hv_log_lock);
    krt_vformat(put_e9, NULL, fmt, ap);
    krt_unlock(&hv_log_lock);
    va_end(ap);
}

static void lock_bounded(void)
{
    for (uint32_t i = 0; i < 10000000u; i++) {
        uint32_t old = 1;
        __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(hv_log_lock.v) : : "memory");
        if (old == 0)
            return;
        cpu_pause();
    }
}

/* The LP index, or 0 before GS base is set (the BSP's early boot: hv_lps[0].self is set first
 * thing in hv_main, and GS base is 0 until then, so read GS base rather than GS:0). */
static uint32_t panic_lp(void)
{
    uint64_t gs = rdmsr(0xC0000101);        /* IA32_GS_BASE */
    for (uint32_t k = 0; k < HV_MAX_LPS; k++)
        if (gs == (uint64_t)(uintptr_t)&hv_lps[k])
            return k;
    return 0;
}

void hv_panic(const char *fmt, ...)
{
    cpu_cli();
    uint32_t first = __atomic_exchange_n(&hv_panicking, 1, __ATOMIC_SEQ_CST) == 0;
    if (first)
        lapic_nmi_others();
    lock_bounded();
    va_list ap;
    va_start(ap, fmt);
    char head[48];
    krt_snprintf(head, sizeof head, "hv: PANIC on LP %u: ", panic_lp());
    for (const char *p = head; *p; p++)
        put_e9(NULL, *p);
    krt_vformat(put_e9, NULL, fmt, ap);
    put_e9(NULL, '\n');
    va_end(ap);
    krt_unlock(&hv_log_lock);
    for (;;)
        cpu_hlt();
}
