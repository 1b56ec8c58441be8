/* pm.h — the root's partition manager: creates, loads and starts the child partitions of the
 * partition configuration through WinHv (docs/HYPERVISOR.md "The root partition kernel").
 *
 * Per child, in this order (each step's failure is printed with the TLFS status and the child is
 * deleted; the other children still start): CreatePartition (its name; INSUFFICIENT_MEMORY ->
 * deposit into the root and retry), InitializePartition, allocate its RAM (contiguous root pages),
 * build its image (pm_image.c), MapGpaPages at GPA 0 (read, write, execute), CreateVp for every
 * configured VP, SetVpRegisters of VP 0 (long-mode state, RDI = command line), FinalizePartition,
 * StartVirtualProcessor of VP 0 (the child kernel is single-VP: VPs 1.. are created, not
 * started). Deposits are PM_DEPOSIT_PAGES contiguous pages at a time.
 *
 * Invariants: a child's RAM is never handed to another child or deposited; the root never
 * touches a child's RAM after StartVirtualProcessor except to read intercept data.
 */
#ifndef PM_H
#define PM_H

#include <stdbool.h>
#include <stdint.h>

#include "partitions/root/com_emul.h"
#include "partitions/root/intercept.h"
#include "partitions/root/mb2info.h"
#include "partitions/root/palloc.h"
#include "partitions/root/partcfg.h"

#define PM_DEPOSIT_PAGES 32
#define PM_SINT_VECTOR 0x40         /* SINT0 (intercept messages) */

enum pm_state { PM_NONE = 0, PM_FAILED, PM_RUNNING, PM_FINISHED };

struct pm_child {
    const struct partcfg_part *cfg;
    const struct mb2_module *image;
    uint64_t id;                    /* partition id, 0 before CreatePartition */
    uint64_t ram;                   /* root physical address of its RAM (GPA 0) */
    enum pm_state state;
    char cmdline[128];
    struct com_emul com;            /* its COM1 */
    struct pm_linebuf line;         /* its console line being assembled */
};

struct pm {
    struct palloc *pa;
    uint32_t n;
    struct pm_child child[PARTCFG_MAX_PARTITIONS];
    uint64_t deposited;             /* pages deposited in total */
};

/* Create and start every child; returns how many run. */
uint32_t pm_start_all(struct pm *pm);

/* pm_msg.c: enable the SynIC (SIMP, SCONTROL, SINT0 = PM_SINT_VECTOR); 0, or -1. */
int pm_synic_init(void);
/* Handle the message in SINT0's slot, if any: 1 if there was one. */
int pm_poll(struct pm *pm);
/* No child is running any more. */
bool pm_all_done(const struct pm *pm);

#endif
