/* wl_timer.c — the child's `timer` workload (TLFS 11 "SynIC", 12 "Timers"): enable the SynIC
 * (SCONTROL), its message page (SIMP) and event-flags page (SIEFP), SINT CHILD_TIMER_SINT =
 * CHILD_SINT_VECTOR without AutoEOI (the handler in trap.c EOIs its virtual APIC), then STIMER0
 * periodic in message mode every WL_TIMER_PERIOD (100 ns units), and count WL_TIMER_TICKS
 * HVMSG_TIMER_EXPIRED messages, each consumed by clearing the slot's type and, if its pending
 * flag is set, writing EOM (TLFS 11.10.3). Prints the reference time (TIME_REF_COUNT, 100 ns)
 * elapsed over the ticks: at least WL_TIMER_TICKS periods.
 *
 * STIMER config (TLFS 12.x "Synthetic timer configuration register"): bit 0 Enable, 1 Periodic,
 * 2 Lazy, 3 AutoEnable, 11:4 ApicVector, 12 DirectMode, 19:16 SINTx.
 */
#include "krt/krt.h"
#include "partitions/child/child.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"

#define WL_TIMER_TICKS  5
#define WL_TIMER_PERIOD 100000ull       /* 10 ms */
#define WL_TIMER_WAIT_MAX 1000000u      /* wake-ups without a message before giving up */

#define STIMER_ENABLE   HV_STIMER_ENABLE
#define STIMER_PERIODIC HV_STIMER_PERIODIC
#define STIMER_SINT(s)  ((uint64_t)(s) << 16)

static struct hv_message_page wl_simp __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t wl_siefp[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));

void wl_timer(void)
{
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&wl_simp | HV_SYNIC_SIMP_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uint64_t)(uintptr_t)wl_siefp | HV_SYNIC_SIEFP_ENABLE);
    wrmsr(HV_X64_MSR_SINT0 + CHILD_TIMER_SINT, CHILD_SINT_VECTOR);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_CONTROL_ENABLE);
    if (!(rdmsr(HV_X64_MSR_SIMP) & HV_SYNIC_SIMP_ENABLE)) {
        kcon_printf("child %s: timer: the SynIC message page was not enabled\n", child_name);
        return;
    }
    volatile struct hv_message *slot = &wl_simp.sint_message[CHILD_TIMER_SINT];
    uint64_t t0 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    wrmsr(HV_X64_MSR_STIMER0_COUNT, WL_TIMER_PERIOD);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG, STIMER_ENABLE | STIMER_PERIODIC |
                                         STIMER_SINT(CHILD_TIMER_SINT));
    unsigned ticks = 0, other = 0, waits = 0;
    uint64_t last_exp = 0;
    while (ticks < WL_TIMER_TICKS && waits < WL_TIMER_WAIT_MAX) {
        uint32_t type = slot->header.message_type;
        if (type == HVMSG_NONE) {
            waits++;
            __asm__ volatile("sti; hlt; cli" ::: "memory");  /* STI's shadow covers HLT */
            continue;
        }
        if (type == HVMSG_TIMER_EXPIRED) {
            ticks++;
            memcpy(&last_exp, (const void *)((const uint8_t *)slot->payload + 8), 8);
        } else {
            other++;
        }
        slot->header.message_type = HVMSG_NONE;
        __asm__ volatile("mfence" ::: "memory");
        if (slot->header.message_flags & HV_MESSAGE_FLAG_PENDING)
            wrmsr(HV_X64_MSR_EOM, 0);
    }
    uint64_t t1 = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    wrmsr(HV_X64_MSR_STIMER0_CONFIG, 0);
    uint64_t us = (t1 - t0) / 10;
    kcon_printf("child %s: timer: %u ticks of STIMER0 (period %llu us, SINT %u), %llu.%03llu ms "
                "of reference time%s\n", child_name, ticks,
                (unsigned long long)(WL_TIMER_PERIOD / 10), CHILD_TIMER_SINT,
                (unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
                ticks < WL_TIMER_TICKS ? " (gave up waiting)" : "");
    if (other)
        kcon_printf("child %s: timer: %u other messages on SINT %u\n", child_name, other,
                    CHILD_TIMER_SINT);
    (void)last_exp;
}
