/* hcall.h — hv/hcall internals: the hypercall table entry, the context a handler gets, and the
 * handlers (docs/HYPERVISOR.md "Hypercalls", "Adding a hypercall"; TLFS 3 "Hypercall
 * Interface").
 *
 * A handler runs after the dispatcher has validated the input value, the privilege, and copied
 * the input block (header + all rep elements) into x->in; it writes its output into x->out (the
 * header at offset 0, rep element i at out_size + i * out_rep_size). A rep handler processes
 * elements x->rep_start .. x->rep_end - 1 in order and advances x->rep_done past each element it
 * completed; it stops at the first failing element and returns that status.
 *
 * Invariants: handlers read only x->in (never guest memory directly: no double fetch); they run
 * under the hypercall lock; every partition id / VP index / GPA in the input is untrusted.
 */
#ifndef HV_HCALL_HCALL_H
#define HV_HCALL_HCALL_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/abi/tlfs.h"
#include "hv/hv_svc.h"

/* Rep elements processed per VMCALL exit before a continuation (TLFS 3.7.4). */
#define HC_REP_BUDGET 16

struct hc_ctx {
    struct hv_vp *vp;               /* the caller */
    struct hv_partition *caller;    /* vp->part */
    const uint8_t *in;              /* the copied input block */
    uint8_t *out;                   /* the output block (zeroed) */
    bool fast;
    uint32_t rep_count;
    uint32_t rep_start, rep_end;    /* this exit's elements [rep_start, rep_end) */
    uint32_t rep_done;              /* next element to process (absolute index) */
    struct hv_vp *resume;           /* set by SetVpRegisters(INTERCEPT_SUSPEND = 0): resumed
                                     * when the whole call has completed */
};

typedef uint16_t (*hc_handler)(struct hc_ctx *x);

#define HC_REP  0x1u                /* a rep call */
#define HC_FAST 0x2u                /* the fast (register) form is allowed */

struct hc_entry {
    uint16_t code;
    uint8_t flags;                  /* HC_REP, HC_FAST */
    uint64_t privilege;             /* struct hv_partition.privileges bit the caller needs, 0: none */
    uint16_t in_size, in_rep_size;  /* input header bytes, bytes per rep element */
    uint16_t out_size, out_rep_size;
    hc_handler handler;
};

/* The table (dispatch.c). */
extern const struct hc_entry hc_table[];
extern const unsigned hc_table_len;

/* hc_dispatch with explicit input/output buffers (4 KiB each): the target passes this LP's
 * buffers, the host tests their own. */
void hc_dispatch_buf(struct hv_vp *vp, struct hc_call *c, uint8_t *in_buf, uint8_t *out_buf);

/* Partition addressing used by the handlers: the partition named `id` (HV_PARTITION_ID_SELF:
 * the caller) if it is the caller's child, or the caller itself when self_ok. HV_STATUS. */
uint16_t hc_child(const struct hc_ctx *x, uint64_t id, bool self_ok, struct hv_partition **out);

/* ---- handlers ---- */
uint16_t hc_create_partition(struct hc_ctx *x);
uint16_t hc_initialize_partition(struct hc_ctx *x);
uint16_t hc_finalize_partition(struct hc_ctx *x);
uint16_t hc_delete_partition(struct hc_ctx *x);
uint16_t hc_get_partition_property(struct hc_ctx *x);
uint16_t hc_set_partition_property(struct hc_ctx *x);
uint16_t hc_get_partition_id(struct hc_ctx *x);
uint16_t hc_deposit_memory(struct hc_ctx *x);
uint16_t hc_withdraw_memory(struct hc_ctx *x);
uint16_t hc_map_gpa_pages(struct hc_ctx *x);
uint16_t hc_unmap_gpa_pages(struct hc_ctx *x);
uint16_t hc_create_vp(struct hc_ctx *x);
uint16_t hc_get_vp_registers(struct hc_ctx *x);
uint16_t hc_set_vp_registers(struct hc_ctx *x);
uint16_t hc_start_vp(struct hc_ctx *x);
uint16_t hc_create_port(struct hc_ctx *x);          /* hc_port.c */
uint16_t hc_connect_port(struct hc_ctx *x);
uint16_t hc_delete_port(struct hc_ctx *x);
uint16_t hc_disconnect_port(struct hc_ctx *x);
uint16_t hc_post_message(struct hc_ctx *x);
uint16_t hc_signal_event(struct hc_ctx *x);
uint16_t hc_flush_va_space(struct hc_ctx *x);       /* hc_flush.c */
uint16_t hc_flush_va_list(struct hc_ctx *x);
uint16_t hc_notify_long_spin_wait(struct hc_ctx *x);
uint16_t hc_send_ipi(struct hc_ctx *x);             /* hc_ipi.c */
uint16_t hc_install_intercept(struct hc_ctx *x);    /* hc_intercept.c */

#endif
