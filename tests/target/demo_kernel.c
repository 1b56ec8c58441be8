/* demo_kernel.c — the demo kernel of README's main command (`./hvsim.sh run`, which runs
 * `hvsim run tests/target/demo.cfg --kernel build/tests/target/demo.kernel`).
 *
 * A Multiboot (v1) kernel that shows in a few lines what the machine gives it: the boot loader
 * name, the command line, the memory map, the modules, the RTC date, then five PIT ticks at
 * 100 Hz through the 8259A with the virtual time (TSC) at each. Exits with 0 through port 0xF4.
 * Output on COM1; deterministic (virtual time only).
 */
#include "lib/kernel.h"

static volatile unsigned ticks;
static volatile uint64_t tick_tsc[8];

static void irq0(struct kframe *f)
{
    (void)f;
    if (ticks < 8)
        tick_tsc[ticks] = rdtsc();
    ticks++;
    pic_eoi(0);
}

static void print_ms(uint64_t cycles, uint64_t hz)
{
    uint64_t us = udiv64(cycles * 1000, udiv64(hz, 1000, 0), 0);   /* hz is a multiple of 1000 */
    uint64_t frac;
    uint64_t ms = udiv64(us, 1000, &frac);
    tprintf("%llu.%03u ms", (unsigned long long)ms, (unsigned)frac);
}

static unsigned bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 15);
}

static void show_module(unsigned i, const struct mb1_module *m)
{
    const char *s = phys_ptr(m->string), *name = s, *args = "";
    for (const char *p = s; *p && *p != ' '; p++)
        if (*p == '/')
            name = p + 1;
    const char *sp = name;
    while (*sp && *sp != ' ')
        sp++;
    if (*sp == ' ')
        args = sp + 1;
    tprintf("module %u: ", i);
    for (const char *p = name; p < sp; p++)
        tputc(*p);
    tprintf(", %u bytes at 0x%x, args \"%s\": \"", m->mod_end - m->mod_start, m->mod_start,
            args);
    const char *text = phys_ptr(m->mod_start);
    for (uint32_t k = 0; k < m->mod_end - m->mod_start && k < 48 && text[k] != '\n'; k++)
        tputc(text[k] >= ' ' && text[k] < 127 ? text[k] : '.');
    tputs("\"\n");
}

int main(void)
{
    kidt_init();
    const struct mb1_info *mbi = phys_ptr(mb_entry.ebx);
    if (mb_entry.eax != MB1_BOOT_MAGIC) {
        tprintf("not booted by a Multiboot loader (EAX 0x%x)\n", mb_entry.eax);
        return 1;
    }
    tprintf("hvsim demo kernel: booted by \"%s\" (Multiboot, info at 0x%x)\n",
            (mbi->flags & MB1_INFO_LOADER_NAME) ? (const char *)phys_ptr(mbi->boot_loader_name)
                                               : "?", mb_entry.ebx);
    tprintf("command line: \"%s\"\n",
            (mbi->flags & MB1_INFO_CMDLINE) ? (const char *)phys_ptr(mbi->cmdline) : "");
    if (mbi->flags & MB1_INFO_MMAP) {
        tprintf("memory map (%u KiB low, %u KiB from 1 MiB):\n", mbi->mem_lower, mbi->mem_upper);
        for (uint32_t p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
            const struct mb1_mmap_entry *e = phys_ptr(p);
            tprintf("  0x%08llx-0x%08llx %s\n", (unsigned long long)e->base_addr,
                    (unsigned long long)(e->base_addr + e->length - 1),
                    e->type == 1 ? "available" : "reserved");
            p += e->size + 4;
        }
    }
    if (mbi->flags & MB1_INFO_MODS)
        for (unsigned i = 0; i < mbi->mods_count; i++)
            show_module(i, (const struct mb1_module *)phys_ptr(mbi->mods_addr) + i);

    while (cmos_read(0x0a) & 0x80)             /* no update in progress */
        ;
    cmos_write(0x0b, 0x02);                    /* BCD, 24-hour */
    tprintf("RTC: %02u%02u-%02u-%02u %02u:%02u:%02u\n", bcd(cmos_read(0x32)),
            bcd(cmos_read(0x09)), bcd(cmos_read(0x08)), bcd(cmos_read(0x07)),
            bcd(cmos_read(0x04)), bcd(cmos_read(0x02)), bcd(cmos_read(0x00)));

    uint64_t hz = tsc_hz();
    kidt_set(0x20, irq0);
    pic_init(0x20, 0x28, (uint16_t)~1u);
    pit_periodic(11932);                       /* 1193182 Hz / 11932 = 100 Hz */
    while (ticks < 6)
        sti_hlt();
    __asm__ volatile("cli");
    pic_set_mask(0xffff);
    /* tick 0 is the edge of programming the counter (mode 2 sets OUT high); ticks 1-5 end the
     * periods */
    tprintf("PIT at 100 Hz, IRQ 0 via the 8259A (TSC %u MHz):\n", (unsigned)udiv64(hz, 1000000, 0));
    for (unsigned i = 1; i < 6; i++) {
        tprintf("  tick %u at ", i);
        print_ms(tick_tsc[i], hz);
        if (i > 1) {                           /* period to period (the first one starts when
                                                  the count is written, not at a tick) */
            tputs(" (+");
            print_ms(tick_tsc[i] - tick_tsc[i - 1], hz);
            tputs(")");
        }
        tputs("\n");
    }
    tprintf("bye: exit status 0 through port 0xF4\n");
    return 0;
}
