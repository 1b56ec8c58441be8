/* port.c — the tables of ports and connections (TLFS 11.11 "Inter-Partition Communication":
 * a port is where messages or events arrive — a partition, a VP, a SINT —; a connection is a
 * partition's handle on a port, named by a connection id unique within that partition).
 * The hypercalls that fill them are hv/hcall/hc_port.c.
 *
 * Choices: the tables are static (SYNIC_MAX_PORTS / SYNIC_MAX_CONNECTIONS over the machine),
 * nothing is charged to a partition's pool; a deleted partition's ports and connections, and
 * the connections to its ports, are forgotten (synic_ports_partition_deleted); a connection
 * whose port was deleted stays until disconnected (posting to it is INVALID_PORT_ID).
 *
 * Invariants: the tables change only under the hypercall lock (hv/hcall/dispatch.c); a slot is
 * free iff its partition_id is 0; (partition, port id) and (partition, connection id) are unique.
 */
#include "hv/hv_svc.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"

static struct synic_port ports[SYNIC_MAX_PORTS];
static struct synic_connection conns[SYNIC_MAX_CONNECTIONS];

void synic_ports_reset(void)
{
    memset(ports, 0, sizeof(ports));
    memset(conns, 0, sizeof(conns));
}

struct synic_port *synic_port_find(uint64_t partition_id, uint32_t port_id)
{
    if (partition_id == 0)
        return NULL;
    for (unsigned i = 0; i < SYNIC_MAX_PORTS; i++)
        if (ports[i].partition_id == partition_id && ports[i].port_id == port_id)
            return &ports[i];
    return NULL;
}

struct synic_connection *synic_conn_find(uint64_t partition_id, uint32_t connection_id)
{
    if (partition_id == 0)
        return NULL;
    for (unsigned i = 0; i < SYNIC_MAX_CONNECTIONS; i++)
        if (conns[i].partition_id == partition_id && conns[i].connection_id == connection_id)
            return &conns[i];
    return NULL;
}

struct synic_port *synic_port_alloc(void)
{
    for (unsigned i = 0; i < SYNIC_MAX_PORTS; i++)
        if (ports[i].partition_id == 0)
            return &ports[i];
    return NULL;
}

struct synic_connection *synic_conn_alloc(void)
{
    for (unsigned i = 0; i < SYNIC_MAX_CONNECTIONS; i++)
        if (conns[i].partition_id == 0)
            return &conns[i];
    return NULL;
}

void synic_ports_partition_deleted(uint64_t partition_id)
{
    for (unsigned i = 0; i < SYNIC_MAX_PORTS; i++)
        if (ports[i].partition_id == partition_id)
            memset(&ports[i], 0, sizeof(ports[i]));
    for (unsigned i = 0; i < SYNIC_MAX_CONNECTIONS; i++)
        if (conns[i].partition_id == partition_id || conns[i].port_partition_id == partition_id)
            memset(&conns[i], 0, sizeof(conns[i]));
}

struct hv_vp *synic_port_target(const struct synic_port *port)
{
    struct hv_partition *p = hv_part_get(port->partition_id);
    if (!p)
        return NULL;
    if (port->target_vp != HV_ANY_VP)
        return port->target_vp < HV_MAX_VPS ? p->vp[port->target_vp] : NULL;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++)
        if (p->vp[i])
            return p->vp[i];
    return NULL;
}
