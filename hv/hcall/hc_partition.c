/* hc_partition.c — the partition hypercalls: HvCallCreatePartition, Initialize-, Finalize-,
 * DeletePartition, Get/SetPartitionProperty, GetPartitionId (TLFS 5 "Partition Management";
 * docs/HYPERVISOR.md "Partitions and virtual processors").
 *
 * State rules (INVALID_PARTITION_STATE otherwise): Initialize needs CREATED, Finalize needs
 * INITIALIZED, SetPartitionProperty needs CREATED; Delete works in every live state. A partition
 * can name only itself (where self_ok) and its own children; any other id, live or not, is
 * INVALID_PARTITION_ID. Properties: PRIVILEGE_FLAGS (get any time; set while CREATED, only
 * within HV_CHILD_ALLOWED_PRIVILEGES, else PROPERTY_VALUE_OUT_OF_RANGE) and the hvsim VP limit
 * (1..HV_MAX_VPS); any other code is UNKNOWN_PROPERTY.
 *
 * Invariants: see hv/part/partition.h; memory charged by each step: hv/part/partition.c.
 */
#include "hv/hcall/hcall.h"
#include "hv/part/partition.h"
#include "krt/krt.h"

uint16_t hc_create_partition(struct hc_ctx *x)
{
    struct hv_input_create_partition in;
    memcpy(&in, x->in, sizeof(in));
    if (in.flags & ~HV_PARTITION_CREATION_FLAG_LAPIC_ENABLED)
        return HV_STATUS_INVALID_PARAMETER;
    if (x->caller->parent)          /* only the root creates partitions (no nesting) */
        return HV_STATUS_ACCESS_DENIED;
    struct hv_partition *p = hv_part_create(x->caller, in.name);
    if (!p)
        return HV_STATUS_NO_RESOURCES;
    struct hv_output_create_partition out = { .partition_id = p->id };
    memcpy(x->out, &out, sizeof(out));
    return HV_STATUS_SUCCESS;
}

static uint16_t child_from_input(struct hc_ctx *x, struct hv_partition **p)
{
    uint64_t id;
    memcpy(&id, x->in, 8);
    return hc_child(x, id, false, p);
}

uint16_t hc_initialize_partition(struct hc_ctx *x)
{
    struct hv_partition *p;
    uint16_t st = child_from_input(x, &p);
    if (st)
        return st;
    if (p->state != HV_PART_CREATED)
        return HV_STATUS_INVALID_PARTITION_STATE;
    if (ept_init(&p->ept, &p->pool) != 0)
        return HV_STATUS_INSUFFICIENT_MEMORY;
    p->state = HV_PART_INITIALIZED;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_finalize_partition(struct hc_ctx *x)
{
    struct hv_partition *p;
    uint16_t st = child_from_input(x, &p);
    if (st)
        return st;
    if (p->state != HV_PART_INITIALIZED)
        return HV_STATUS_INVALID_PARTITION_STATE;
    p->state = HV_PART_FINALIZED;
    return HV_STATUS_SUCCESS;
}

uint16_t hc_delete_partition(struct hc_ctx *x)
{
    struct hv_partition *p;
    uint16_t st = child_from_input(x, &p);
    if (st)
        return st;
    hv_part_delete(p);
    return HV_STATUS_SUCCESS;
}

uint16_t hc_get_partition_property(struct hc_ctx *x)
{
    struct hv_input_get_partition_property in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, true, &p);
    if (st)
        return st;
    uint64_t v;
    switch (in.property_code) {
    case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS: v = p->privileges; break;
    case HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT: v = hv_part_vp_limit(p); break;
    default: return HV_STATUS_UNKNOWN_PROPERTY;
    }
    memcpy(x->out, &v, 8);
    return HV_STATUS_SUCCESS;
}

uint16_t hc_set_partition_property(struct hc_ctx *x)
{
    struct hv_input_set_partition_property in;
    memcpy(&in, x->in, sizeof(in));
    struct hv_partition *p;
    uint16_t st = hc_child(x, in.partition_id, false, &p);
    if (st)
        return st;
    uint64_t v = in.property_value;
    switch (in.property_code) {
    case HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS:
        if (p->state != HV_PART_CREATED)
            return HV_STATUS_INVALID_PARTITION_STATE;
        if (v & ~HV_CHILD_ALLOWED_PRIVILEGES)
            return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
        p->privileges = v;
        return HV_STATUS_SUCCESS;
    case HV_PARTITION_PROPERTY_HVSIM_VP_LIMIT:
        if (p->state != HV_PART_CREATED)
            return HV_STATUS_INVALID_PARTITION_STATE;
        if (v < 1 || v > HV_MAX_VPS)
            return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
        hv_part_set_vp_limit(p, (uint32_t)v);
        return HV_STATUS_SUCCESS;
    default:
        return HV_STATUS_UNKNOWN_PROPERTY;
    }
}

uint16_t hc_get_partition_id(struct hc_ctx *x)
{
    struct hv_output_get_partition_id out = { .partition_id = x->caller->id };
    memcpy(x->out, &out, sizeof(out));
    return HV_STATUS_SUCCESS;
}
