/* dispatch.c — the hypercall dispatcher (TLFS 3 "Hypercall Interface"; docs/HYPERVISOR.md
 * "Hypercalls"): decodes the input value, finds the call in the table, checks the caller's
 * privilege, validates and copies the input block, runs the handler, copies the output block
 * back and builds the result value (or a rep continuation).
 *
 * Check order (each failure returns that status, nothing else happens):
 *   1. reserved bits of the input value (31:27, 47:44, 63:60) → INVALID_HYPERCALL_INPUT (3.7)
 *   2. unknown call code → INVALID_HYPERCALL_CODE
 *   3. variable header size ≠ 0 (none of our calls has one), fast on a call without a fast form,
 *      a rep count or rep start on a simple call, or rep start ≥ rep count on a rep call
 *      → INVALID_HYPERCALL_INPUT (3.7.3, 3.7.4)
 *   4. the caller's privilege mask lacks the call's bit → ACCESS_DENIED
 *   5. memory form: the input GPA (RDX) / output GPA (R8) not 8-byte aligned or the block
 *      (header + rep count elements) crossing a 4 KiB page → INVALID_ALIGNMENT (3.7.2)
 *   6. the input page not readable / the output page not writable in the caller's EPT, or not
 *      RAM (device MMIO the partition maps) → INVALID_PARAMETER
 * The input block is copied into `in_buf` once (no double fetch); the handler sees only that
 * copy. The fast form takes RDX and R8 as the 16 input bytes (3.7.5). A rep call processes at
 * most HC_REP_BUDGET elements per exit; if elements remain and no error occurred, RCX gets the
 * new rep start and RIP does not advance (continuation); otherwise RAX = status | reps done << 32.
 *
 * Invariants: one hypercall at a time in the whole hypervisor (hc_lock); a VP that finds the lock
 * taken re-executes its VMCALL (advance = false, input unchanged) instead of spinning, so an LP
 * never waits here with interrupts off while another LP waits for it (ept_flush, VMCLEAR).
 * Output is copied only for elements actually completed and only if the output page is still
 * mapped writable after the handler ran.
 */
#include "hv/hcall/hcall.h"

#include "hv/part/partition.h"
#include "krt/krt.h"
#ifdef HV_TARGET
#include "hv/arch/lp.h"
#endif

static struct krt_spinlock hc_lock = KRT_SPINLOCK_INIT;

static bool hc_trylock(void)
{
    uint32_t old = 1;
    __asm__ volatile("xchg %0, %1" : "+r"(old), "+m"(hc_lock.v) : : "memory");
    return old == 0;
}

bool hc_lock_try(void) { return hc_trylock(); }
void hc_lock_release(void) { krt_unlock(&hc_lock); }

#define PRIV_NONE 0
#define P_CREATE HV_PRIV_CREATE_PARTITIONS
#define P_POOL HV_PRIV_ACCESS_MEMORY_POOL
#define P_ID HV_PRIV_ACCESS_PARTITION_ID

/* {code, flags, privilege, in header, in rep element, out header, out rep element, handler} */
const struct hc_entry hc_table[] = {
    { HVCALL_CREATE_PARTITION, 0, P_CREATE, sizeof(struct hv_input_create_partition), 0,
      sizeof(struct hv_output_create_partition), 0, hc_create_partition },
    { HVCALL_INITIALIZE_PARTITION, HC_FAST, P_CREATE, 8, 0, 0, 0, hc_initialize_partition },
    { HVCALL_FINALIZE_PARTITION, HC_FAST, P_CREATE, 8, 0, 0, 0, hc_finalize_partition },
    { HVCALL_DELETE_PARTITION, HC_FAST, P_CREATE, 8, 0, 0, 0, hc_delete_partition },
    { HVCALL_GET_PARTITION_PROPERTY, 0, PRIV_NONE,
      sizeof(struct hv_input_get_partition_property), 0,
      sizeof(struct hv_output_get_partition_property), 0, hc_get_partition_property },
    { HVCALL_SET_PARTITION_PROPERTY, 0, P_CREATE,
      sizeof(struct hv_input_set_partition_property), 0, 0, 0, hc_set_partition_property },
    { HVCALL_GET_PARTITION_ID, 0, P_ID, 0, 0, sizeof(struct hv_output_get_partition_id), 0,
      hc_get_partition_id },
    { HVCALL_DEPOSIT_MEMORY, HC_REP, P_POOL, sizeof(struct hv_input_deposit_memory), 8, 0, 0,
      hc_deposit_memory },
    { HVCALL_WITHDRAW_MEMORY, HC_REP, P_POOL, sizeof(struct hv_input_withdraw_memory), 0, 0, 8,
      hc_withdraw_memory },
    { HVCALL_MAP_GPA_PAGES, HC_REP, P_CREATE, sizeof(struct hv_input_map_gpa_pages), 8, 0, 0,
      hc_map_gpa_pages },
    { HVCALL_UNMAP_GPA_PAGES, HC_REP, P_CREATE, sizeof(struct hv_input_unmap_gpa_pages), 0, 0,
      0, hc_unmap_gpa_pages },
    { HVCALL_CREATE_VP, 0, P_CREATE, sizeof(struct hv_input_create_vp), 0, 0, 0, hc_create_vp },
    { HVCALL_INSTALL_INTERCEPT, 0, P_CREATE, sizeof(struct hv_input_install_intercept), 0, 0, 0,
      hc_install_intercept },
    { HVCALL_GET_VP_REGISTERS, HC_REP, PRIV_NONE, sizeof(struct hv_input_vp_registers), 4, 0,
      sizeof(union hv_register_value), hc_get_vp_registers },
    { HVCALL_SET_VP_REGISTERS, HC_REP, PRIV_NONE, sizeof(struct hv_input_vp_registers),
      sizeof(struct hv_register_assoc), 0, 0, hc_set_vp_registers },
    { HVCALL_START_VP, 0, P_CREATE, sizeof(struct hv_input_start_vp), 0, 0, 0, hc_start_vp },
    { HVCALL_CREATE_PORT, 0, HV_PRIV_CREATE_PORT, sizeof(struct hv_input_create_port), 0, 0, 0,
      hc_create_port },
    { HVCALL_CONNECT_PORT, 0, HV_PRIV_CONNECT_PORT, sizeof(struct hv_input_connect_port), 0, 0,
      0, hc_connect_port },
    { HVCALL_DELETE_PORT, HC_FAST, HV_PRIV_CREATE_PORT, sizeof(struct hv_input_delete_port), 0,
      0, 0, hc_delete_port },
    { HVCALL_DISCONNECT_PORT, HC_FAST, HV_PRIV_CONNECT_PORT,
      sizeof(struct hv_input_disconnect_port), 0, 0, 0, hc_disconnect_port },
    { HVCALL_POST_MESSAGE, 0, HV_PRIV_POST_MESSAGES, sizeof(struct hv_input_post_message), 0, 0,
      0, hc_post_message },
    { HVCALL_SIGNAL_EVENT, HC_FAST, HV_PRIV_SIGNAL_EVENTS, sizeof(struct hv_input_signal_event),
      0, 0, 0, hc_signal_event },
    { HVCALL_FLUSH_VIRTUAL_ADDRESS_SPACE, 0, PRIV_NONE,
      sizeof(struct hv_input_flush_virtual_address), 0, 0, 0, hc_flush_va_space },
    { HVCALL_FLUSH_VIRTUAL_ADDRESS_LIST, HC_REP, PRIV_NONE,
      sizeof(struct hv_input_flush_virtual_address), 8, 0, 0, hc_flush_va_list },
    { HVCALL_NOTIFY_LONG_SPIN_WAIT, HC_FAST, PRIV_NONE,
      sizeof(struct hv_input_notify_long_spin_wait), 0, 0, 0, hc_notify_long_spin_wait },
    { HVCALL_SEND_IPI, HC_FAST, PRIV_NONE, sizeof(struct hv_input_send_synthetic_cluster_ipi), 0,
      0, 0, hc_send_ipi },
};
const unsigned hc_table_len = sizeof(hc_table) / sizeof(hc_table[0]);

static const struct hc_entry *lookup(uint16_t code)
{
    for (unsigned i = 0; i < hc_table_len; i++)
        if (hc_table[i].code == code)
            return &hc_table[i];
    return NULL;
}

/* 3.7.2: 8-byte aligned and [gpa, gpa + len) within one page. */
static bool block_ok(uint64_t gpa, uint64_t len)
{
    return (gpa & 7) == 0 && (gpa & 0xFFF) + len <= HV_PAGE_SIZE;
}

/* The hypervisor pointer to a caller GPA with `need` permissions, or NULL. */
static void *guest_ptr(struct hv_partition *p, uint64_t gpa, unsigned need)
{
    uint64_t hpa;
    unsigned perms;
    if (ept_lookup(&p->ept, gpa, &hpa, &perms) != 0 || (perms & need) != need ||
        !hv_part_is_ram(hpa))
        return NULL;
    return hv_hpa_ptr(hpa);
}

uint16_t hc_child(const struct hc_ctx *x, uint64_t id, bool self_ok, struct hv_partition **out)
{
    struct hv_partition *p = id == HV_PARTITION_ID_SELF ? x->caller : hv_part_get(id);
    if (!p)
        return HV_STATUS_INVALID_PARTITION_ID;
    if (p == x->caller ? !self_ok : p->parent != x->caller)
        return HV_STATUS_INVALID_PARTITION_ID;
    *out = p;
    return HV_STATUS_SUCCESS;
}

static uint16_t run(struct hv_vp *vp, struct hc_call *c, uint8_t *in_buf, uint8_t *out_buf,
                    uint32_t *reps_done)
{
    uint64_t in = c->input;
    uint16_t code = (uint16_t)(in & HV_HYPERCALL_CODE_MASK);
    bool fast = (in & HV_HYPERCALL_FAST_BIT) != 0;
    uint32_t varhead = (uint32_t)((in & HV_HYPERCALL_VARHEAD_MASK) >> HV_HYPERCALL_VARHEAD_OFFSET);
    uint32_t rep_count = (uint32_t)((in & HV_HYPERCALL_REP_COMP_MASK) >>
                                    HV_HYPERCALL_REP_COMP_OFFSET);
    uint32_t rep_start = (uint32_t)((in & HV_HYPERCALL_REP_START_MASK) >>
                                    HV_HYPERCALL_REP_START_OFFSET);
    struct hv_partition *caller = vp->part;

    if (in & HV_HYPERCALL_RSVD_MASK)
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    const struct hc_entry *e = lookup(code);
    if (!e)
        return HV_STATUS_INVALID_HYPERCALL_CODE;
    bool rep = e->flags & HC_REP;
    if (varhead != 0 || (fast && !(e->flags & HC_FAST)))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (rep ? rep_start >= rep_count : (rep_count != 0 || rep_start != 0))
        return HV_STATUS_INVALID_HYPERCALL_INPUT;
    if (e->privilege && !(caller->privileges & e->privilege))
        return HV_STATUS_ACCESS_DENIED;

    uint64_t in_len = e->in_size + (uint64_t)rep_count * e->in_rep_size;
    uint64_t out_len = e->out_size + (uint64_t)rep_count * e->out_rep_size;
    /* handlers read only the first in_len bytes of in_buf and write only the first out_len of
     * out_buf (at most a page each: the alignment check below) */
    if (out_len <= HV_PAGE_SIZE)
        memset(out_buf, 0, out_len);
    if (fast) {
        /* table invariant: a fast call's input fits in 16 bytes and has no output */
        memcpy(in_buf, &c->in_gpa, 8);
        memcpy(in_buf + 8, &c->out_gpa, 8);
    } else {
        if ((in_len && !block_ok(c->in_gpa, in_len)) || (out_len && !block_ok(c->out_gpa, out_len)))
            return HV_STATUS_INVALID_ALIGNMENT;
        const void *src = in_len ? guest_ptr(caller, c->in_gpa, EPT_R) : NULL;
        if ((in_len && !src) || (out_len && !guest_ptr(caller, c->out_gpa, EPT_R | EPT_W)))
            return HV_STATUS_INVALID_PARAMETER;
        if (in_len)
            memcpy(in_buf, src, in_len);
    }

    struct hc_ctx x = {
        .vp = vp, .caller = caller, .in = in_buf, .out = out_buf, .fast = fast,
        .rep_count = rep_count, .rep_start = rep_start, .rep_done = rep_start,
        .rep_end = rep ? (rep_count - rep_start > HC_REP_BUDGET ? rep_start + HC_REP_BUDGET
                                                                : rep_count)
                       : 0,
    };
    uint16_t status = e->handler(&x);
    *reps_done = x.rep_done;

    /* copy back what was produced: the header of a simple call on success, the completed
     * elements of a rep call (3.7.4) */
    uint64_t off = 0, len = 0;
    if (!rep && status == HV_STATUS_SUCCESS)
        len = e->out_size;
    else if (rep && e->out_rep_size) {
        off = e->out_size + (uint64_t)rep_start * e->out_rep_size;
        len = (uint64_t)(x.rep_done - rep_start) * e->out_rep_size;
    }
    if (len && !fast) {
        uint8_t *dst = guest_ptr(caller, c->out_gpa, EPT_R | EPT_W);
        if (dst)
            memcpy(dst + off, out_buf + off, len);
    }
    if (rep && status == HV_STATUS_SUCCESS && x.rep_done < rep_count)
        return status;      /* continuation: the resume (if any) waits for the last exit */
    if (x.resume && status == HV_STATUS_SUCCESS) {
        /* the context written above is visible before the VP's LP sees RUNNABLE */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        x.resume->state = HV_VP_RUNNABLE;
        vp_kick(x.resume);
    }
    return status;
}

void hc_dispatch_buf(struct hv_vp *vp, struct hc_call *c, uint8_t *in_buf, uint8_t *out_buf)
{
    c->advance = true;
    if (!hc_trylock()) {
        c->advance = false;         /* busy: the VP re-executes VMCALL */
        c->result = HV_STATUS_SUCCESS;
        return;
    }
    uint32_t done = 0;
    uint16_t status = run(vp, c, in_buf, out_buf, &done);
    krt_unlock(&hc_lock);

    uint64_t in = c->input;
    bool rep = false;
    const struct hc_entry *e = lookup((uint16_t)(in & HV_HYPERCALL_CODE_MASK));
    if (e && (e->flags & HC_REP) && !(in & HV_HYPERCALL_RSVD_MASK))
        rep = true;
    uint32_t rep_count = (uint32_t)((in & HV_HYPERCALL_REP_COMP_MASK) >>
                                    HV_HYPERCALL_REP_COMP_OFFSET);
    c->result = status;
    if (rep && done) {
        c->result |= ((uint64_t)done << HV_HYPERCALL_REP_DONE_OFFSET) & HV_HYPERCALL_REP_DONE_MASK;
        if (status == HV_STATUS_SUCCESS && done < rep_count) {
            c->advance = false;     /* continuation (3.7.4): RCX gets the new rep start */
            c->input = (in & ~HV_HYPERCALL_REP_START_MASK) |
                       ((uint64_t)done << HV_HYPERCALL_REP_START_OFFSET);
        }
    }
}

void hc_dispatch(struct hv_vp *vp, struct hc_call *c)
{
#ifdef HV_TARGET
    struct hv_lp *lp = this_lp();
    hc_dispatch_buf(vp, c, lp->hcall_buf[0], lp->hcall_buf[1]);
#else
    static uint8_t in_buf[HV_PAGE_SIZE] __attribute__((aligned(4096)));
    static uint8_t out_buf[HV_PAGE_SIZE] __attribute__((aligned(4096)));
    hc_dispatch_buf(vp, c, in_buf, out_buf);
#endif
}
