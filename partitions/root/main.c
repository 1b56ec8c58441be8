/* main.c — the root partition kernel: reads its Multiboot2 information and modules, parses the
 * partition configuration, and, if a TLFS hypervisor is present, starts its other VPs (smp.c)
 * (each sets up its own SynIC and handles the intercepts that arrive on it: pm.h) and runs the
 * partition manager; then waits, and at the end switches the machine off (ACPI S5).
 * docs/HYPERVISOR.md "The root partition kernel".
 *
 * Module roles: the partition configuration is the first module one of whose string's words is
 * "partcfg" or ends in ".partcfg"; a child image is the first module matching the configured
 * `image` (partcfg_module_matches). Without a hypervisor (CPUID.1:ECX[31] = 0) the root reports
 * what it would have started and powers off: the same image is useful on a bare machine.
 */
#include "krt/krt.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "partitions/root/acpi_s5.h"
#include "partitions/root/mb2info.h"
#include "partitions/root/palloc.h"
#include "partitions/root/partcfg.h"
#include "partitions/root/pm.h"
#include "partitions/root/smp.h"

void root_main(uint32_t magic, uint32_t info_pa);
void root_idt_init(void);
void root_pic_mask(void);

extern const uint8_t __image_start[], __image_end[];

#define ROOT_MAP_LIMIT (4ull << 30)     /* entry.S identity-maps the first 4 GiB */

static struct mb2_info root_mb;
static struct partcfg root_cfg;
static struct palloc root_pa;
static struct pm root_pm;

static const uint8_t *map_phys(uint64_t pa, uint64_t len, void *ctx)
{
    (void)ctx;
    if (pa >= ROOT_MAP_LIMIT || len > ROOT_MAP_LIMIT - pa)
        return 0;
    return (const uint8_t *)(uintptr_t)pa;
}

/* ACPI soft-off (S5); if the machine is still running afterwards, halt for ever. */
static __attribute__((noreturn)) void power_off(void)
{
    struct acpi_s5 s;
    char err[96];
    if (acpi_s5_find(map_phys, 0, 0, &s, err, sizeof err) == 0) {
        kcon_printf("root: power off (ACPI S5: PM1a_CNT 0x%x, SLP_TYP %u)\n", s.pm1a_cnt,
                    s.slp_typa);
        outw(s.pm1a_cnt, acpi_s5_pm1_value(s.slp_typa));
        if (s.pm1b_cnt)
            outw(s.pm1b_cnt, acpi_s5_pm1_value(s.slp_typb));
    } else {
        kcon_printf("root: cannot power off: %s\n", err);
    }
    kcon_printf("root: halted\n");
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}

static bool is_partcfg(const char *s)
{
    if (partcfg_module_matches(s, "partcfg"))
        return true;
    for (const char *w = s; *w;) {                  /* a word ending in ".partcfg" */
        while (*w == ' ')
            w++;
        const char *e = w;
        while (*e && *e != ' ')
            e++;
        if (e - w >= 8 && !memcmp(e - 8, ".partcfg", 8))
            return true;
        w = e;
    }
    return false;
}

/* Read the configuration module and match every child to its image. */
static int read_config(void)
{
    const struct mb2_module *m = 0;
    for (uint32_t k = 0; k < root_mb.nmodules && !m; k++)
        if (is_partcfg(root_mb.modules[k].string))
            m = &root_mb.modules[k];
    if (!m) {
        kcon_printf("root: no partition configuration module (a string with \"partcfg\")\n");
        return -1;
    }
    char err[PARTCFG_ERR_MAX];
    if (m->end < m->start ||
        partcfg_parse((const char *)(uintptr_t)m->start, m->end - m->start, &root_cfg, err,
                      sizeof err) < 0) {
        kcon_printf("root: %s: %s\n", m->string, m->end < m->start ? "bad module bounds" : err);
        return -1;
    }
    kcon_printf("root: partition configuration \"%s\": %u partitions\n", m->string, root_cfg.n);
    root_pm.n = root_cfg.n;
    for (uint32_t i = 0; i < root_cfg.n; i++) {
        struct pm_child *c = &root_pm.child[i];
        const struct partcfg_part *p = &root_cfg.part[i];
        char wl[48];
        c->cfg = p;
        for (uint32_t k = 0; k < root_mb.nmodules && !c->image; k++)
            if (partcfg_module_matches(root_mb.modules[k].string, p->image) &&
                root_mb.modules[k].end >= root_mb.modules[k].start)
                c->image = &root_mb.modules[k];
        partcfg_workload_text(p->workload, wl, sizeof wl);
        kcon_printf("root: %s: image %s (%s), %llu KiB, %u VP%s, workload %s\n", p->name,
                    p->image, c->image ? "found" : "NOT FOUND",
                    (unsigned long long)(p->memory >> 10), p->vps, p->vps == 1 ? "" : "s", wl);
        if (!c->image)
            return -1;
    }
    return 0;
}

/* The root's free memory: available map ranges minus the image, modules and information. */
static void init_memory(uint32_t info_pa)
{
    palloc_init(&root_pa, ROOT_MAP_LIMIT);
    for (uint32_t k = 0; k < root_mb.nmmap; k++)
        if (root_mb.mmap[k].type == 1)
            palloc_add(&root_pa, root_mb.mmap[k].base, root_mb.mmap[k].length);
    palloc_reserve(&root_pa, (uint64_t)(uintptr_t)__image_start,
                   (uint64_t)(uintptr_t)(__image_end - __image_start));
    palloc_reserve(&root_pa, info_pa, root_mb.total_size);
    for (uint32_t k = 0; k < root_mb.nmodules; k++)
        palloc_reserve(&root_pa, root_mb.modules[k].start,
                       (uint64_t)root_mb.modules[k].end - root_mb.modules[k].start);
    kcon_printf("root: %llu KiB of free memory below 4 GiB\n",
                (unsigned long long)(palloc_free_pages(&root_pa) * 4));
}

void root_main(uint32_t magic, uint32_t info_pa)
{
    kcon_init();
    root_idt_init();
    root_pic_mask();
    kcon_printf("root: hvsim root partition kernel\n");
    char err[96];
    if (magic != MB2_BOOT_MAGIC) {
        kcon_printf("root: not started by a Multiboot2 loader (EAX = 0x%x)\n", magic);
        power_off();
    }
    if (mb2_parse((const uint8_t *)(uintptr_t)info_pa, &root_mb, err, sizeof err) < 0) {
        kcon_printf("root: %s\n", err);
        power_off();
    }
    kcon_printf("root: command line \"%s\", %u modules\n", root_mb.cmdline, root_mb.nmodules);
    for (uint32_t k = 0; k < root_mb.nmodules; k++)
        kcon_printf("root: module %u [0x%x, 0x%x) \"%s\"\n", k, root_mb.modules[k].start,
                    root_mb.modules[k].end, root_mb.modules[k].string);
    if (read_config() < 0)
        power_off();
    init_memory(info_pa);

    struct winhv_cpuid hv;
    winhv_detect(&hv);
    if (!hv.present) {
        kcon_printf("root: no hypervisor (CPUID.1:ECX[31] = 0): the %u partitions are not "
                    "started\n", root_cfg.n);
        power_off();
    }
    if (!winhv_usable(&hv)) {
        kcon_printf("root: the hypervisor is not a TLFS one with hypercall MSRs (signature %s, "
                    "interface %s, privileges 0x%llx)\n", hv.microsoft_hv ? "ok" : "unknown",
                    hv.hv1 ? "Hv#1" : "unknown", (unsigned long long)hv.privileges);
        power_off();
    }
    if (!(hv.privileges & HV_PRIV_CREATE_PARTITIONS)) {
        kcon_printf("root: this partition may not create partitions (privileges 0x%llx)\n",
                    (unsigned long long)hv.privileges);
        power_off();
    }
    if (winhv_init(WINHV_OS_ROOT) < 0) {
        kcon_printf("root: the hypervisor did not enable the hypercall page\n");
        power_off();
    }
    uint64_t id = 0;
    uint16_t st = winhv_get_partition_id(&id);
    kcon_printf("root: hypervisor found (max leaf 0x%x, privileges 0x%llx); partition id %llu "
                "(%s)\n", hv.max_leaf, (unsigned long long)hv.privileges,
                (unsigned long long)id, winhv_status_name(st));
    root_smp_start(map_phys);            /* VPs 1..n-1 (smp.h) */
    root_pm.pa = &root_pa;
    root_pm.root_id = id;
    if (pm_synic_init(0) < 0)
        kcon_printf("root: the SynIC message page was not enabled: no intercepts will arrive\n");
    pm_attach(&root_pm);                /* VPs 1..n-1 handle their intercepts from now on */
    if (pm_start_all(&root_pm) == 0) {
        pm_shutdown(&root_pm);
        power_off();
    }
    kcon_printf("root: waiting for the children's intercepts (SINT0)\n");
    for (;;) {
        while (pm_poll(&root_pm))
            ;
        if (pm_all_done(&root_pm)) {
            kcon_printf("root: every child has finished\n");
            pm_shutdown(&root_pm);
            power_off();
        }
        __asm__ volatile("sti; hlt; cli" ::: "memory");   /* STI's shadow covers the HLT */
    }
}
