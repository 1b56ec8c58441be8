/* main.c — hv_main, the hypervisor's C entry on the BSP (docs/HYPERVISOR.md "Boot" 3-4).
 *
 * Order: check the Multiboot2 magic; parse the boot information (mb2.c); calibrate the TSC
 * (tsc.c); read the BSP's APIC ID and find the LPs in the ACPI MADT (acpi.c); choose the pool and
 * the trampoline page (mem.c); check that module 0 (the root kernel) is an ELF64 x86-64
 * executable, so a bad module is a clear panic before any AP starts; set up the BSP (LP 0:
 * hv_arch_lp_setup, hv_vmx_lp_init); start the APs (smp.c); then hv_root_start and hv_lp_loop
 * (hv/vmx, hv/part/root.c).
 * Log lines (port 0xE9) are "hv: ..." — the boot test (tests/build/check-hv-boot.sh) reads them.
 * `hv_selftest=ud2` on the command line makes the BSP execute UD2 once every LP is online, to
 * test the fault path (idt.c: a panic with the register report; the other LPs stop on the NMI).
 * Invariants: runs once, on the BSP, with IF = 0 (the loader entered with IF = 0); never
 * returns.
 */
#include "hv/arch/arch.h"
#include "hv/boot/boot.h"
#include "hv/hv_svc.h"
#include "krt/krt.h"

static void log_boot_info(void)
{
    hv_log("hv: command line \"%s\"\n", hv_boot.cmdline);
    for (uint32_t i = 0; i < hv_boot.nmodules; i++)
        hv_log("hv: module %u [%#lx, %#lx) \"%s\"\n", i, (unsigned long)hv_boot.modules[i].start,
               (unsigned long)hv_boot.modules[i].end, hv_boot.modules[i].string);
    for (uint32_t i = 0; i < hv_boot.nmmap; i++)
        hv_log("hv: memory [%#lx, %#lx) type %u\n", (unsigned long)hv_boot.mmap[i].base,
               (unsigned long)(hv_boot.mmap[i].base + hv_boot.mmap[i].length),
               hv_boot.mmap[i].type);
}

static void check_root_module(void)
{
    if (hv_boot.nmodules == 0)
        hv_panic("no modules: module 0 must be the root partition's kernel");
    const struct hv_module *m = &hv_boot.modules[0];
    struct krt_elf64 elf;
    char err[160];
    if (krt_elf64_open(&elf, hv_hpa_ptr(m->start), (size_t)(m->end - m->start), err,
                       sizeof err) != KRT_ELF_OK)
        hv_panic("module 0 \"%s\" (the root kernel): %s", m->string, err);
}

/* Is `word` one of the command line's space-separated words? (arch.h) */
bool hv_cmdline_has(const char *word)
{
    size_t n = strlen(word);
    for (const char *s = hv_boot.cmdline; (s = strchr(s, word[0])) != NULL; s++)
        if ((s == hv_boot.cmdline || s[-1] == ' ') && strncmp(s, word, n) == 0 &&
            (s[n] == ' ' || s[n] == '\0'))
            return true;
    return false;
}

void hv_main(uint32_t magic, uint32_t info)
{
    hv_lps[0].self = &hv_lps[0];
    hv_log("hv: hvsim-hv starting\n");
    if (magic != MB2_BOOTLOADER_MAGIC)
        hv_panic("entered with EAX = %#x, not the Multiboot2 magic %#x: boot the hypervisor with "
                 "a Multiboot2 loader", magic, MB2_BOOTLOADER_MAGIC);
    hv_mb2_parse(info);
    log_boot_info();
    hv_tsc_calibrate();
    lapic_init();
    uint32_t bsp = lapic_id();
    hv_log("hv: local APIC in %s mode\n", lapic_is_x2apic() ? "x2APIC" : "xAPIC");
    hv_acpi_find_lps(bsp);
    hv_log("hv: %u LPs in the ACPI MADT\n", hv_nlps);
    hv_mem_setup();
    hv_log("hv: image [%#lx, %#lx), AP trampoline at %#lx\n", (unsigned long)hv_boot.hv_start,
           (unsigned long)hv_boot.hv_end, (unsigned long)hv_boot.trampoline);
    check_root_module();

    struct hv_lp *lp = &hv_lps[0];
    lp->stack_top = (uint64_t)(uintptr_t)&hv_lp_stacks[0][HV_STACK_SIZE];
    hv_arch_lp_setup(lp);
    hv_vmx_lp_init(lp);
    hv_log("hv: LP %u (APIC ID %u) online\n", lp->index, lp->apic_id);
    lp->online = true;
    hv_smp_start();
    hv_log("hv: all %u LPs online\n", hv_nlps);
    if (hv_cmdline_has("hv_selftest=ud2"))
        __asm__ volatile("ud2");
    hv_root_start();
    hv_lp_loop();
}
