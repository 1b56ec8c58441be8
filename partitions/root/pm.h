/* pm.h — the root's partition manager: creates, loads and starts the child partitions of the
 * partition configuration through WinHv (docs/HYPERVISOR.md "The root partition kernel").
 *
 * Per child, in this order (each step's failure is printed with the TLFS status; the child is
 * deleted with the others at the end, the other children still start): CreatePartition (its
 * name; INSUFFICIENT_MEMORY -> deposit into the root and retry), InitializePartition, allocate its RAM (contiguous root pages),
 * build its image (pm_image.c), MapGpaPages at GPA 0 (read, write, execute), CreateVp for every
 * configured VP, SetVpRegisters of every VP (long-mode state, its own stack, RDI = command
 * line, RSI = VP index: pm_image.h), FinalizePartition,
 * CreatePort + ConnectPort for a child with workload `message` (port PM_PORT_BASE + k in the
 * root to its VP 0's SINT PM_PORT_SINT, connection PM_CONN_BASE + k in the child, passed as
 * `conn=` on its command line), StartVirtualProcessor of VP 0, then of VPs 1..vps-1 (each with
 * its own stack). Deposits are PM_DEPOSIT_PAGES contiguous pages at a time.
 *
 * Intercepts arrive on every root VP (hv/synic/intercept.c: a child VP's intercepts go to the
 * root VP on the same LP): VP k sets up its own SynIC (pm_synic_init(k): its own SIMP and SIEFP
 * pages) and handles the messages of its own SINT 0 slot with pm_poll, VP 0 from the main loop,
 * VPs 1..n-1 from pm_ap_loop. The child table (state, why, COM1, device page, line buffer,
 * message counts) and the per-VP counters are shared: every access after pm_attach is under
 * pm_lock. A child becomes PM_RUNNING (under the lock) before its first VP starts, so its
 * first intercept, wherever it arrives, finds it. A VP other than 0 that ends a child wakes
 * VP 0 (IPI PM_WAKE_VECTOR), which alone decides the shutdown, keeps the message ports (SINT
 * PM_PORT_SINT) and deletes the children.
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
#include "partitions/root/mmio_emul.h"
#include "partitions/root/palloc.h"
#include "partitions/root/partcfg.h"

#define PM_DEPOSIT_PAGES 32
#define PM_SINT_VECTOR 0x40         /* SINT0 (intercept messages) */
#define PM_PORT_SINT 3              /* the SINT of the children's message ports (root VP 0) */
#define PM_PORT_VECTOR 0x41
#define PM_PORT_BASE 0x100          /* child k's port id in the root (workload `message`) */
#define PM_CONN_BASE 0x1000         /* child k's connection id in its own partition */
#define PM_WAKE_VECTOR 0x42         /* a VP > 0 wakes VP 0 (SendSyntheticClusterIpi): a child
                                     * ended (isr.S's stub EOIs it) */
#define PM_MAX_VPS 16               /* root VPs with a SynIC (= WINHV_MAX_VPS) */

enum pm_state { PM_NONE = 0, PM_FAILED, PM_RUNNING, PM_FINISHED };

struct pm_child {
    const struct partcfg_part *cfg;
    const struct mb2_module *image;
    uint64_t id;                    /* partition id, 0 before CreatePartition */
    uint64_t ram;                   /* root physical address of its RAM (GPA 0) */
    enum pm_state state;
    char cmdline[128];
    struct com_emul com;            /* its COM1 */
    struct mmio_emul mmio;          /* its device page (mmio_emul.h) */
    struct pm_linebuf line;         /* its console line being assembled */
    uint32_t port_id, conn_id;      /* its message port in the root and its connection, or 0 */
    uint32_t messages;              /* messages received on its port */
    uint8_t exit_status;            /* PM_FINISHED: the value written to the debug-exit port */
    char why[72];                   /* PM_FAILED: why it was stopped */
};

struct pm {
    struct palloc *pa;
    uint32_t n;
    struct pm_child child[PARTCFG_MAX_PARTITIONS];
    uint64_t deposited;             /* pages deposited in total */
    uint64_t root_id;               /* the root's own partition id (GetPartitionId) */
    uint32_t handled[PM_MAX_VPS];   /* intercept messages VP k took from its SINT 0 slot */
};

/* Create and start every child; returns how many run. */
uint32_t pm_start_all(struct pm *pm);

/* pm_msg.c, on root VP `vp` itself: enable its SynIC (its own SIMP and SIEFP pages, SCONTROL,
 * SINT0 = PM_SINT_VECTOR; VP 0 also SINT PM_PORT_SINT = PM_PORT_VECTOR); 0, or -1 (then its
 * LP's intercepts go to VP 0). */
int pm_synic_init(uint32_t vp);
/* VP k's SynIC was enabled by pm_synic_init(k). */
bool pm_synic_ready(uint32_t vp);
/* The partition manager's shared lock (header). */
void pm_lock(void);
void pm_unlock(void);
/* VP 0, before pm_start_all: the other VPs' pm_ap_loop handles messages for pm from now on. */
void pm_attach(struct pm *pm);
/* Handle the message in the calling VP's SINT0 slot (VP 0: first its port SINT), if any: 1 if
 * there was one. Takes pm_lock while it handles it. */
int pm_poll(struct pm *pm);
/* A root VP > 0 after start-up, interrupts off: pm_poll of the attached pm, then `sti; hlt`,
 * for ever. */
__attribute__((noreturn)) void pm_ap_loop(void);
/* No child is running any more (takes pm_lock). */
bool pm_all_done(struct pm *pm);
/* Delete every child partition (the hypervisor gives their deposited pages back to the root),
 * print one summary line per child, then `root: VP k handled N intercepts` for every VP whose
 * SynIC was enabled. */
void pm_shutdown(struct pm *pm);

#endif
