/* pm.c — the partition manager (see pm.h for the sequence and invariants; TLFS 5 "Partition
 * management", 7 "Virtual processor management"). */
#include "partitions/root/pm.h"

#include "krt/krt.h"
#include "partitions/lib/kcon.h"
#include "partitions/lib/winhv.h"
#include "partitions/root/pm_cpuid.h"
#include "partitions/root/pm_image.h"

/* INSUFFICIENT_MEMORY: give the hypervisor PM_DEPOSIT_PAGES more pages for `id`. */
static int pm_deposit(uint64_t id, void *ctx)
{
    struct pm *pm = ctx;
    uint64_t base = palloc_alloc(pm->pa, PM_DEPOSIT_PAGES);
    if (!base) {
        kcon_printf("pm: no root memory left to deposit into partition %llu\n",
                    (unsigned long long)id);
        return -1;
    }
    uint64_t pfns[PM_DEPOSIT_PAGES];
    for (unsigned k = 0; k < PM_DEPOSIT_PAGES; k++)
        pfns[k] = (base >> 12) + k;
    uint16_t st = winhv_deposit_memory(id, pfns, PM_DEPOSIT_PAGES);
    if (st != HV_STATUS_SUCCESS) {
        kcon_printf("pm: DepositMemory(%llu) failed: %s\n", (unsigned long long)id,
                    winhv_status_name(st));
        return -1;
    }
    pm->deposited += PM_DEPOSIT_PAGES;
    return 0;
}

static bool step(const struct pm_child *c, const char *what, uint16_t st)
{
    if (st == HV_STATUS_SUCCESS)
        return true;
    kcon_printf("pm: %s: %s failed: %s (0x%x)\n", c->cfg->name, what, winhv_status_name(st), st);
    return false;
}

/* Map the child's RAM at GPA 0, a page-number list at a time. */
static uint16_t map_ram(const struct pm_child *c)
{
    uint64_t pages = c->cfg->memory >> 12, pfns[256];
    for (uint64_t done = 0; done < pages;) {
        uint32_t n = pages - done < 256 ? (uint32_t)(pages - done) : 256;
        for (uint32_t k = 0; k < n; k++)
            pfns[k] = (c->ram >> 12) + done + k;
        uint16_t st = winhv_map_gpa_pages(c->id, done,
                                          HV_MAP_GPA_READABLE | HV_MAP_GPA_WRITABLE |
                                              HV_MAP_GPA_EXECUTABLE,
                                          pfns, n);
        if (st != HV_STATUS_SUCCESS)
            return st;
        done += n;
    }
    return HV_STATUS_SUCCESS;
}

static bool start_child(struct pm *pm, struct pm_child *c)
{
    const struct partcfg_part *p = c->cfg;
    if (!step(c, "CreatePartition",
              winhv_create_partition(HV_PARTITION_CREATION_FLAG_LAPIC_ENABLED, p->name, &c->id)))
        return false;
    if (!step(c, "InitializePartition", winhv_initialize_partition(c->id)))
        return false;
    c->ram = palloc_alloc(pm->pa, p->memory >> 12);
    if (!c->ram) {
        kcon_printf("pm: %s: no %llu MiB of contiguous root memory\n", p->name,
                    (unsigned long long)(p->memory >> 20));
        return false;
    }
    char wl[48];
    partcfg_workload_text(p->workload, wl, sizeof wl);
    uint32_t k = (uint32_t)(c - pm->child);
    if (p->workload & PARTCFG_WL_MESSAGE) {
        c->port_id = PM_PORT_BASE + k;
        c->conn_id = PM_CONN_BASE + k;
    }
    int n = krt_snprintf(c->cmdline, sizeof c->cmdline, "name=%s id=%llu vps=%u workload=%s",
                         p->name, (unsigned long long)c->id, p->vps, wl);
    if (c->conn_id && n > 0 && (size_t)n < sizeof c->cmdline)
        krt_snprintf(c->cmdline + n, sizeof c->cmdline - (size_t)n, " conn=0x%x", c->conn_id);
    struct pm_image img;
    char err[160];
    if (pm_image_build((uint8_t *)(uintptr_t)c->ram, p->memory, p->vps,
                       (const void *)(uintptr_t)c->image->start,
                       c->image->end - c->image->start, c->cmdline, &img, err, sizeof err) < 0) {
        kcon_printf("pm: %s: %s\n", p->name, err);
        return false;
    }
    if (!step(c, "MapGpaPages", map_ram(c)))
        return false;
    for (uint32_t v = 0; v < p->vps; v++)
        if (!step(c, "CreateVp", winhv_create_vp(c->id, v)))
            return false;
    for (uint32_t v = 0; v < p->vps; v++) {
        struct hv_register_assoc regs[PM_NREGS];
        pm_image_registers(&img, v, regs);
        if (!step(c, "SetVpRegisters", winhv_set_vp_registers(c->id, v, regs, PM_NREGS)))
            return false;
    }
    if (!step(c, "FinalizePartition", winhv_finalize_partition(c->id)))
        return false;
    if (p->workload & PARTCFG_WL_CPUID) {
        /* the brand-string leaves become intercepts pm_msg.c answers (pm_cpuid.h) */
        for (uint32_t leaf = PM_CPUID_BRAND_FIRST; leaf <= PM_CPUID_BRAND_LAST; leaf++) {
            struct hv_input_install_intercept ii = {
                .partition_id = c->id,
                .access_type = HV_INTERCEPT_ACCESS_MASK_EXECUTE,
                .intercept_type = HV_INTERCEPT_TYPE_X64_CPUID,
                .intercept_parameter = leaf,
            };
            if (!step(c, "InstallIntercept",
                      winhv_status(winhv_call(HVCALL_INSTALL_INTERCEPT, &ii, sizeof ii, 0, 0))))
                return false;
        }
    }
    if (p->workload & PARTCFG_WL_INT3) {
        /* #BP (vector 3) becomes an intercept; pm_msg.c skips the INT3 (before the VPs start:
         * a VP loads the exception bitmap with its context) */
        struct hv_input_install_intercept ii = {
            .partition_id = c->id,
            .access_type = HV_INTERCEPT_ACCESS_MASK_EXECUTE,
            .intercept_type = HV_INTERCEPT_TYPE_EXCEPTION,
            .intercept_parameter = 3,
        };
        if (!step(c, "InstallIntercept",
                  winhv_status(winhv_call(HVCALL_INSTALL_INTERCEPT, &ii, sizeof ii, 0, 0))))
            return false;
    }
    if (c->port_id) {
        /* TLFS 11.10: a message port in the root delivering to its VP 0's PM_PORT_SINT, and
         * the child's connection to it. */
        if (!step(c, "CreatePort",
                  winhv_create_port(pm->root_id, c->port_id, c->id, PM_PORT_SINT, 0)))
            return false;
        if (!step(c, "ConnectPort",
                  winhv_connect_port(c->id, c->conn_id, pm->root_id, c->port_id)))
            return false;
    }
    /* Running before its first VP starts: its first intercept may arrive on another root VP
     * at once (pm.h). */
    pm_lock();
    c->state = PM_RUNNING;
    pm_unlock();
    for (uint32_t v = 0; v < p->vps; v++) {
        struct hv_initial_vp_context ctx;
        pm_image_initial_context(&img, v, &ctx);
        if (!step(c, "StartVirtualProcessor", winhv_start_vp(c->id, v, &ctx)))
            return false;
    }
    kcon_printf("pm: %s: partition %llu started: RAM [0x%llx, 0x%llx) at GPA 0, entry 0x%llx, "
                "\"%s\"\n",
                p->name, (unsigned long long)c->id, (unsigned long long)c->ram,
                (unsigned long long)(c->ram + p->memory), (unsigned long long)img.entry,
                c->cmdline);
    return true;
}

uint32_t pm_start_all(struct pm *pm)
{
    uint32_t running = 0;
    winhv_set_deposit(pm_deposit, pm);
    for (uint32_t k = 0; k < pm->n; k++) {
        struct pm_child *c = &pm->child[k];
        com_emul_reset(&c->com, COM_EMUL_COM1);
        mmio_emul_reset(&c->mmio);
        if (start_child(pm, c)) {
            running++;
            continue;
        }
        pm_lock();
        c->state = PM_FAILED;           /* deleted by pm_shutdown with the others */
        krt_snprintf(c->why, sizeof c->why, "could not be started");
        pm_unlock();
    }
    kcon_printf("pm: %u of %u partitions running, %llu pages deposited\n", running, pm->n,
                (unsigned long long)pm->deposited);
    return running;
}
