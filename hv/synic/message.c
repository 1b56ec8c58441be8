/* message.c — SynIC message delivery (TLFS 11.10 "Synthetic Interrupt Controller" message
 * slots, 11.10.3 "Message Buffers" / the pending flag and EOM; QEMU hw/hyperv/hyperv.c and KVM
 * arch/x86/kvm/hyperv.c for the same protocol): synic_post_message of hv/hv_svc.h, the per-VP
 * queue and the EOM write.
 *
 * The protocol with the guest (the SIM page, 16 slots of 256 bytes, one per SINT):
 *  - the hypervisor writes a slot only while its message type is HVMSG_NONE, the type last;
 *    then it raises the SINT's vector (vp_raise_irq). AutoEOI (SINT bit 17) only tells a real
 *    APIC not to set the ISR bit; hvsim's virtual APICs keep no ISR for synthetic vectors, so
 *    delivery is the same with and without it.
 *  - a message for a busy slot waits in the VP's queue and the busy slot gets the
 *    message-pending flag; the guest consumes a slot by writing HVMSG_NONE, then (if the flag
 *    was set) writes EOM, which makes the hypervisor deliver the next waiting message of every
 *    SINT whose slot is free. After setting the flag the hypervisor looks at the type again, so
 *    a guest that freed the slot meanwhile (and so saw no flag) does not leave a message stuck.
 *  - messages of one SINT are delivered in the order they were posted.
 * Enabling the SIMP does not clear the page (TLFS; QEMU's SynIC v2 behaviour, KVM's
 * dont_zero_synic_pages): the guest owns its contents.
 *
 * Invariants: one lock per VP (vp->synic.lock) serialises every change of its queue and slots
 * by the hypervisor, from any LP, with the SIMP/SIEFP writes (msr.c) and event-flag and timer
 * accesses to those pages (event.c, stimer.c): a page the guest has just disabled is never
 * written afterwards, so the root can deposit it safely; it is held only for the copy of a few
 * messages, never while waiting for another LP. The page is reached only through synic_guest_page (the VP's own EPT,
 * writable RAM). At most HV_SYNIC_QUEUE_POSTED queued messages come from HvCallPostMessage.
 * Every slot write is followed by one HVSIM_ANNOT_SYNIC_MESSAGE annotation (traces/annot_abi.h)
 * with the next sequence number, before the vector is raised.
 */
#include "hv/hv_svc.h"
#include "hv/part/annot.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

void synic_vp_lock(struct hv_vp *vp)
{
    while (__atomic_exchange_n(&vp->synic.lock, 1u, __ATOMIC_ACQUIRE) != 0)
        while (vp->synic.lock)
            __asm__ volatile("pause" ::: "memory");
}

void synic_vp_unlock(struct hv_vp *vp)
{
    __atomic_store_n(&vp->synic.lock, 0u, __ATOMIC_RELEASE);
}

#define vp_lock synic_vp_lock
#define vp_unlock synic_vp_unlock

/* The SIM page if SCONTROL, the SIMP and SINT `sint` allow delivery, else NULL. */
static struct hv_message_page *sim_page(struct hv_vp *vp, unsigned sint)
{
    const struct hv_synic_vp *s = &vp->synic;
    if (!(s->scontrol & HV_SYNIC_CONTROL_ENABLE) || !(s->simp & HV_SYNIC_SIMP_ENABLE) ||
        (s->sint[sint] & HV_SYNIC_SINT_MASKED))
        return NULL;
    return synic_guest_page(vp, s->simp & ~0xFFFull);
}

static uint32_t slot_type(volatile struct hv_message *slot)
{
    return __atomic_load_n(&slot->header.message_type, __ATOMIC_ACQUIRE);
}

/* Messages written into slots by this hypervisor: the sequence number of the annotation. */
static uint32_t msg_seq;

/* Write msg into the free slot (type last), annotate it (traces/annot_abi.h
 * HVSIM_ANNOT_SYNIC_MESSAGE: the trace's `synic_message`) and raise the SINT's vector. queued:
 * the message waited in the VP's queue. */
static void deliver(struct hv_vp *vp, unsigned sint, volatile struct hv_message *slot,
                    const struct hv_message *msg, bool more, bool queued)
{
    struct hv_message m;
    memcpy(&m, msg, sizeof(m));
    m.header.message_flags = more ? HV_MESSAGE_FLAG_PENDING : 0;
    memcpy((void *)((uint8_t *)slot + 4), (const uint8_t *)&m + 4, sizeof(m) - 4);
    __atomic_store_n(&slot->header.message_type, m.header.message_type, __ATOMIC_RELEASE);
    uint8_t vector = (uint8_t)(vp->synic.sint[sint] & HV_SYNIC_SINT_VECTOR_MASK);
    uint32_t seq = __atomic_fetch_add(&msg_seq, 1u, __ATOMIC_RELAXED);
    hv_annotate(HVSIM_ANNOT_SYNIC_MESSAGE, vp->part->id,
                HVSIM_ANNOT_SYNIC_A1(vp->index, sint, vector,
                                     queued ? HVSIM_ANNOT_SYNIC_QUEUED : 0),
                HVSIM_ANNOT_SYNIC_A2(m.header.message_type, seq), m.header.sender);
    vp_raise_irq(vp, vector);
}

static void mark_pending(volatile struct hv_message *slot)
{
    __atomic_fetch_or(&slot->header.message_flags, (uint8_t)HV_MESSAGE_FLAG_PENDING,
                      __ATOMIC_SEQ_CST);
}

static unsigned qidx(const struct hv_synic_vp *s, unsigned k)
{
    return (s->queue_head + k) % HV_SYNIC_QUEUE_LEN;
}

static bool queued_for(const struct hv_synic_vp *s, unsigned sint)
{
    for (unsigned k = 0; k < s->queue_count; k++)
        if (s->queue_sint[qidx(s, k)] == sint)
            return true;
    return false;
}

/* Remove queue entry k (0 = the oldest), keeping the order of the others. */
static void queue_remove(struct hv_synic_vp *s, unsigned k)
{
    for (; k + 1 < s->queue_count; k++) {
        unsigned a = qidx(s, k), b = qidx(s, k + 1);
        s->queue_sint[a] = s->queue_sint[b];
        s->queue_posted[a] = s->queue_posted[b];
        memcpy(s->queue_msg[a], s->queue_msg[b], sizeof(s->queue_msg[a]));
    }
    s->queue_count--;
}

static void update_pending_mask(struct hv_synic_vp *s)
{
    uint16_t m = 0;
    for (unsigned k = 0; k < s->queue_count; k++)
        m |= (uint16_t)(1u << s->queue_sint[qidx(s, k)]);
    s->msg_pending = m;
}

/* Deliver every queued message whose slot is free, oldest first (lock held). */
static void flush(struct hv_vp *vp)
{
    struct hv_synic_vp *s = &vp->synic;
    uint16_t taken = 0;     /* SINTs whose slot got a message in this pass */
    for (unsigned k = 0; k < s->queue_count;) {
        unsigned sint = s->queue_sint[qidx(s, k)];
        struct hv_message_page *page = sim_page(vp, sint);
        if (!page || (taken & (1u << sint))) {
            k++;
            continue;
        }
        volatile struct hv_message *slot = &page->sint_message[sint];
        if (slot_type(slot) != HVMSG_NONE) {
            mark_pending(slot);
            if (slot_type(slot) != HVMSG_NONE) {   /* still busy: EOM will come */
                taken |= (uint16_t)(1u << sint);
                k++;
                continue;
            }
        }
        struct hv_message m;
        memcpy(&m, s->queue_msg[qidx(s, k)], sizeof(m));
        queue_remove(s, k);
        taken |= (uint16_t)(1u << sint);
        deliver(vp, sint, slot, &m, queued_for(s, sint), true);
    }
    update_pending_mask(s);
}

unsigned synic_queued(const struct hv_vp *vp)
{
    return vp->synic.queue_count;
}

uint16_t synic_post(struct hv_vp *vp, unsigned sint, const struct hv_message *msg, bool posted)
{
    if (sint >= HV_SYNIC_SINT_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    vp_lock(vp);
    struct hv_synic_vp *s = &vp->synic;
    uint16_t st = HV_STATUS_SUCCESS;
    struct hv_message_page *page = sim_page(vp, sint);
    if (!page) {
        st = HV_STATUS_INVALID_SYNIC_STATE;
        goto out;
    }
    volatile struct hv_message *slot = &page->sint_message[sint];
    if (!queued_for(s, sint) && slot_type(slot) == HVMSG_NONE) {
        deliver(vp, sint, slot, msg, false, false);
        goto out;
    }
    unsigned nposted = 0;
    for (unsigned k = 0; k < s->queue_count; k++)
        nposted += s->queue_posted[qidx(s, k)];
    if (s->queue_count == HV_SYNIC_QUEUE_LEN || (posted && nposted >= HV_SYNIC_QUEUE_POSTED)) {
        st = HV_STATUS_INSUFFICIENT_BUFFERS;
        goto out;
    }
    unsigned e = qidx(s, s->queue_count);
    memcpy(s->queue_msg[e], msg, sizeof(s->queue_msg[e]));
    s->queue_sint[e] = (uint8_t)sint;
    s->queue_posted[e] = posted;
    s->queue_count++;
    /* the slot may have been freed while we looked: flush sets the flag, then looks again */
    flush(vp);
out:
    vp_unlock(vp);
    return st;
}

uint16_t synic_post_message(struct hv_vp *vp, unsigned sint, const struct hv_message *msg)
{
    return synic_post(vp, sint, msg, false);
}

void synic_eom(struct hv_vp *vp)
{
    vp_lock(vp);
    flush(vp);
    vp_unlock(vp);
}
