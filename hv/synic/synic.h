/* synic.h — hv/synic internals shared with hv/part and hv/hcall: the SynIC/timer register reset
 * of a new VP (TLFS 11.8), the guest-page helpers of the synthetic MSRs, message queueing and
 * EOM (message.c), and the port / connection tables (port.c) of the port hypercalls.
 *
 * Invariants: guest pages are only written through synic_guest_page (an ept_lookup with write
 * permission in the VP's own partition's EPT first).
 */
#ifndef HV_SYNIC_SYNIC_H
#define HV_SYNIC_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "hv/hv_svc.h"
#include "hv/part/part.h"

/* vp->synic.lock (message.c): held around every hypervisor access to the VP's SIM and SIEF
 * pages and around the SIMP/SIEFP writes that move or disable them. */
void synic_vp_lock(struct hv_vp *vp);
void synic_vp_unlock(struct hv_vp *vp);

/* Reset values of a VP's SynIC registers: SINTx masked (0x10000), the rest 0. */
void synic_vp_init(struct hv_vp *vp);
/* The hypervisor's pointer to guest page `gpa` of vp's partition if it is mapped writable there,
 * else NULL. */
void *synic_guest_page(struct hv_vp *vp, uint64_t gpa);
/* The reference TSC page's scale: floor(2^64 * 10^7 / tsc_hz) (TLFS 12.7.3), 0 if unusable. */
uint64_t synic_tsc_scale(uint64_t tsc_hz);

/* ---- SynIC delivery (message.c, event.c; TLFS 11.10) ---- */
/* synic_post_message with the origin: a message a partition posted (HvCallPostMessage) may
 * only take HV_SYNIC_QUEUE_POSTED of the VP's queue entries, so partitions cannot use up the
 * room the hypervisor's intercept messages need. */
uint16_t synic_post(struct hv_vp *vp, unsigned sint, const struct hv_message *msg, bool posted);
/* EOM, or a SynIC register change: deliver queued messages whose slot is free (FIFO per SINT;
 * a SINT with more waiting gets the pending flag in its slot). */
void synic_eom(struct hv_vp *vp);
/* Number of messages waiting in vp's queue (tests, diagnostics). */
unsigned synic_queued(const struct hv_vp *vp);

/* ---- intercept messages (intercept.c) ---- */
/* The message synic_intercept posts for ii (header.sender = vp's partition id, payload size
 * set): 0, or -1 for a type it does not know. */
int synic_intercept_build(const struct hv_vp *vp, const struct hv_intercept *ii,
                          struct hv_message *m);
/* The root VP that gets vp's intercepts: the root's VP on vp->lp if its SynIC is ready for
 * SINT 0 (SCONTROL, SIMP enabled, SINT 0 unmasked), else the root's VP 0 (intercept.c). */
struct hv_vp *synic_intercept_target(const struct hv_vp *vp);

/* ---- ports and connections (port.c; TLFS 11.11) ---- */
#define SYNIC_MAX_PORTS 64
#define SYNIC_MAX_CONNECTIONS 64
struct synic_port {
    uint64_t partition_id;          /* owner (where messages/events arrive); 0: free slot */
    uint32_t port_id;
    uint32_t type;                  /* HV_PORT_TYPE_MESSAGE / _EVENT */
    uint32_t target_sint, target_vp;
    uint16_t base_flag, flag_count; /* event ports */
    uint64_t connection_partition_id;   /* 0: any partition the caller may name */
};
struct synic_connection {
    uint64_t partition_id;          /* owner (who posts/signals); 0: free slot */
    uint32_t connection_id;
    uint64_t port_partition_id;
    uint32_t port_id;
};
/* The live port (partition, id), or NULL. */
struct synic_port *synic_port_find(uint64_t partition_id, uint32_t port_id);
/* The connection `connection_id` of partition `partition_id`, or NULL. */
struct synic_connection *synic_conn_find(uint64_t partition_id, uint32_t connection_id);
struct synic_port *synic_port_alloc(void);
struct synic_connection *synic_conn_alloc(void);
/* Forget every port and connection of a deleted partition (and connections to its ports). */
void synic_ports_partition_deleted(uint64_t partition_id);
/* Clear both tables (boot, host tests). */
void synic_ports_reset(void);
/* The VP a port delivers to (HV_ANY_VP: the lowest-numbered existing VP), or NULL. */
struct hv_vp *synic_port_target(const struct synic_port *port);

#endif
