/* hc_port.c — the inter-partition communication hypercalls (TLFS 11.11; the per-call pages
 * HvCallCreatePort, HvCallConnectPort, HvCallDeletePort, HvCallDisconnectPort,
 * HvCallPostMessage, HvCallSignalEvent; docs/HYPERVISOR.md "Synthetic features").
 *
 * Rules (beyond the dispatcher's checks, each in this order; the first failure is returned):
 *  - CreatePort (CreatePort privilege): the port's partition is the caller or its child, and
 *    so is a non-zero connection partition (INVALID_PARTITION_ID); VTLs, padding and reserved
 *    fields zero, port id non-zero within 23:0 (INVALID_PARAMETER); type MESSAGE or EVENT,
 *    target SINT 1-15 (SINT 0 carries the hypervisor's intercept messages), event flags
 *    base + count <= 2048 with count >= 1 (INVALID_PARAMETER); target VP < 64 or HV_ANY_VP
 *    (INVALID_VP_INDEX); the id already used in that partition (INVALID_PORT_ID); table full
 *    (NO_RESOURCES).
 *  - ConnectPort (ConnectPort privilege): the connection's partition is the caller or its
 *    child (INVALID_PARTITION_ID); VTL / reserved fields zero, connection id non-zero within
 *    23:0 (INVALID_PARAMETER); the port's partition live (INVALID_PARTITION_ID), the port
 *    exists (INVALID_PORT_ID); the port names this connection partition, or names none and the
 *    caller may name the port's partition (ACCESS_DENIED); the connection info's type is the
 *    port's, its other fields zero (INVALID_PARAMETER); the id already used in that partition
 *    (INVALID_CONNECTION_ID); table full (NO_RESOURCES).
 *  - DeletePort / DisconnectPort (fast; CreatePort / ConnectPort privilege): partition as above,
 *    reserved fields zero, the port / connection exists (INVALID_PORT_ID /
 *    INVALID_CONNECTION_ID).
 *  - PostMessage (PostMessages privilege): reserved 0, type non-zero with bit 31 clear, payload
 *    size <= 240 (INVALID_PARAMETER); the connection id is one of the *caller's* connections
 *    (INVALID_CONNECTION_ID: a partition cannot use another's); its port exists, is a message
 *    port of a live partition (INVALID_PORT_ID); the target VP exists (INVALID_VP_INDEX); then
 *    synic_post: INVALID_SYNIC_STATE, INSUFFICIENT_BUFFERS. The message's sender field is the
 *    port id; bytes past the payload size are zero.
 *  - SignalEvent (SignalEvents privilege, fast allowed): reserved 0 (INVALID_PARAMETER); the
 *    caller's connection (INVALID_CONNECTION_ID); an event port of a live partition
 *    (INVALID_PORT_ID); flag number < the port's flag count (INVALID_PARAMETER); the target VP
 *    (INVALID_VP_INDEX); synic_signal_event (INVALID_SYNIC_STATE).
 *
 * Invariants: handlers read only x->in; they run under the hypercall lock, which also guards
 * the port and connection tables (hv/synic/port.c).
 */
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

static bool id24_ok(uint32_t id)
{
    return id != 0 && (id & ~HV_PORT_ID_MASK) == 0;
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

uint16_t hc_create_port(struct hc_ctx *x)
{
    struct hv_input_create_port in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p, *cp;
    uint16_t st = hc_child(x, in.port_partition_id, true, &p);
    if (st)
        return st;
    if (in.connection_partition_id &&
        (st = hc_child(x, in.connection_partition_id, true, &cp)) != HV_STATUS_SUCCESS)
        return st;
    if (in.port_vtl || in.min_connection_vtl || in.padding || !id24_ok(in.port_id))
        return HV_STATUS_INVALID_PARAMETER;
    const struct hv_port_info *pi = &in.port_info;
    uint32_t sint, vp;
    uint16_t base = 0, count = 0;
    if (pi->padding)
        return HV_STATUS_INVALID_PARAMETER;
    if (pi->port_type == HV_PORT_TYPE_MESSAGE) {
        sint = pi->message_port_info.target_sint;
        vp = pi->message_port_info.target_vp;
        if (pi->message_port_info.rsvdz)
            return HV_STATUS_INVALID_PARAMETER;
    } else if (pi->port_type == HV_PORT_TYPE_EVENT) {
        sint = pi->event_port_info.target_sint;
        vp = pi->event_port_info.target_vp;
        base = pi->event_port_info.base_flag_number;
        count = pi->event_port_info.flag_count;
        if (pi->event_port_info.rsvdz || count == 0 ||
            (uint32_t)base + count > HV_EVENT_FLAGS_COUNT)
            return HV_STATUS_INVALID_PARAMETER;
    } else {
        return HV_STATUS_INVALID_PARAMETER;     /* monitor and doorbell ports: not supported */
    }
    if (sint == HV_SYNIC_INTERCEPTION_SINT_INDEX || sint >= HV_SYNIC_SINT_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    if (vp >= HV_MAX_VPS && vp != HV_ANY_VP)
        return HV_STATUS_INVALID_VP_INDEX;
    if (synic_port_find(p->id, in.port_id))
        return HV_STATUS_INVALID_PORT_ID;
    struct synic_port *port = synic_port_alloc();
    if (!port)
        return HV_STATUS_NO_RESOURCES;
    *port = (struct synic_port){
        .partition_id = p->id, .port_id = in.port_id, .type = pi->port_type,
        .target_sint = sint, .target_vp = vp, .base_flag = base, .flag_count = count,
        .connection_partition_id = in.connection_partition_id ? cp->id : 0,
    };
    return HV_STATUS_SUCCESS;
}

uint16_t hc_connect_port(struct hc_ctx *x)
{
    struct hv_input_connect_port in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *c, *pp;
    uint16_t st = hc_child(x, in.connection_partition_id, true, &c);
    if (st)
        return st;
    if (in.connection_vtl || in.rsvdz0 || in.rsvdz1 || in.reserved2 ||
        !id24_ok(in.connection_id))
        return HV_STATUS_INVALID_PARAMETER;
    uint64_t port_part = in.port_partition_id == HV_PARTITION_ID_SELF ? x->caller->id
                                                                      : in.port_partition_id;
    if (!hv_part_get(port_part))
        return HV_STATUS_INVALID_PARTITION_ID;
    struct synic_port *port = synic_port_find(port_part, in.port_id);
    if (!port)
        return HV_STATUS_INVALID_PORT_ID;
    if (port->connection_partition_id ? port->connection_partition_id != c->id
                                      : hc_child(x, port_part, true, &pp) != HV_STATUS_SUCCESS)
        return HV_STATUS_ACCESS_DENIED;
    const struct hv_connection_info *ci = &in.connection_info;
    if (ci->port_type != port->type || ci->padding ||
        !all_zero((const uint8_t *)ci + 8, sizeof(*ci) - 8))
        return HV_STATUS_INVALID_PARAMETER;
    if (synic_conn_find(c->id, in.connection_id))
        return HV_STATUS_INVALID_CONNECTION_ID;
    struct synic_connection *conn = synic_conn_alloc();
    if (!conn)
        return HV_STATUS_NO_RESOURCES;
    *conn = (struct synic_connection){
        .partition_id = c->id, .connection_id = in.connection_id,
        .port_partition_id = port_part, .port_id = in.port_id,
    };
    return HV_STATUS_SUCCESS;
}

uint16_t hc_delete_port(struct hc_ctx *x)
{
    struct hv_input_delete_port in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.port_partition_id, true, &p);
    if (st)
        return st;
    if (in.reserved)
        return HV_STATUS_INVALID_PARAMETER;
    struct synic_port *port = synic_port_find(p->id, in.port_id);
    if (!port)
        return HV_STATUS_INVALID_PORT_ID;
    memset(port, 0, sizeof(*port));
    return HV_STATUS_SUCCESS;
}

uint16_t hc_disconnect_port(struct hc_ctx *x)
{
    struct hv_input_disconnect_port in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.connection_partition_id, true, &p);
    if (st)
        return st;
    if (in.flags)
        return HV_STATUS_INVALID_PARAMETER;     /* is_doorbell: no doorbells here */
    struct synic_connection *conn = synic_conn_find(p->id, in.connection_id);
    if (!conn)
        return HV_STATUS_INVALID_CONNECTION_ID;
    memset(conn, 0, sizeof(*conn));
    return HV_STATUS_SUCCESS;
}

/* The caller's connection `id` and the live port of type `type` behind it. */
static uint16_t conn_port(struct hc_ctx *x, uint32_t id, uint32_t type, struct synic_port **out)
{
    struct synic_connection *conn =
        (id & ~HV_PORT_ID_MASK) ? NULL : synic_conn_find(x->caller->id, id);
    if (!conn)
        return HV_STATUS_INVALID_CONNECTION_ID;
    struct synic_port *port = synic_port_find(conn->port_partition_id, conn->port_id);
    if (!port || port->type != type || !hv_part_get(port->partition_id))
        return HV_STATUS_INVALID_PORT_ID;
    *out = port;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_post_message(struct hc_ctx *x)
{
    struct hv_input_post_message in;
    memcpy(&in, x->in, sizeof(in));
    if (in.reserved || in.message_type == HVMSG_NONE || (in.message_type & 0x80000000u) ||
        in.payload_size > HV_MESSAGE_PAYLOAD_BYTE_COUNT)
        return HV_STATUS_INVALID_PARAMETER;
    struct synic_port *port;
    uint16_t st = conn_port(x, in.connection_id, HV_PORT_TYPE_MESSAGE, &port);
    if (st)
        return st;
    struct hv_vp *vp = synic_port_target(port);
    if (!vp || vp->state == HV_VP_STOPPED)
        return HV_STATUS_INVALID_VP_INDEX;
    struct hv_message m;
    memset(&m, 0, sizeof(m));
    m.header.message_type = in.message_type;
    m.header.payload_size = (uint8_t)in.payload_size;
    m.header.sender = port->port_id;            /* HV_MESSAGE_HEADER: the port id */
    memcpy(m.payload, in.payload, in.payload_size);
    return synic_post(vp, port->target_sint, &m, true);
}

uint16_t hc_signal_event(struct hc_ctx *x)
{
    struct hv_input_signal_event in;
    memcpy(&in, x->in, sizeof(in));
    if (in.rsvdz)
        return HV_STATUS_INVALID_PARAMETER;
    struct synic_port *port;
    uint16_t st = conn_port(x, in.connection_id, HV_PORT_TYPE_EVENT, &port);
    if (st)
        return st;
    if (in.flag_number >= port->flag_count)
        return HV_STATUS_INVALID_PARAMETER;
    struct hv_vp *vp = synic_port_target(port);
    if (!vp || vp->state == HV_VP_STOPPED)
        return HV_STATUS_INVALID_VP_INDEX;
    return synic_signal_event(vp, port->target_sint, (unsigned)port->base_flag + in.flag_number);
}
