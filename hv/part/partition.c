/* partition.c — the partition table and a child partition's creation and deletion
 * (docs/HYPERVISOR.md "Partitions and virtual processors"; TLFS 5 "Partitions").
 *
 * Memory accounting (what each step charges):
 *  - CreatePartition: nothing from any pool; the partition object is a slot of the static
 *    table (HV_MAX_PARTITIONS). A full table is HV_STATUS_NO_RESOURCES.
 *  - InitializePartition: the EPT's PML4 page from the new partition's own pool.
 *  - CreateVp: the VP page and vp_arch_init's pages (VMCS, bitmaps) from the partition's pool.
 *  - MapGpaPages: EPT table pages from the target partition's pool.
 * Each of them returns HV_STATUS_INSUFFICIENT_MEMORY when that pool is empty; the root then
 * deposits pages into that partition and retries.
 *
 * Invariants: see partition.h. Deleting gives every page of the pool (all are free once the VPs
 * and the EPT are destroyed) back to the root, scrubbed (hv_pool_alloc zeroes).
 */
#include "hv/part/partition.h"

#include "hv/hv_svc.h"
#include "hv/part/annot.h"
#include "hv/synic/synic.h"
#include "krt/krt.h"
#ifdef HV_TARGET
#include "hv/arch/lp.h"
#endif

struct hv_partition hv_partitions[HV_MAX_PARTITIONS];
static uint32_t vp_limit[HV_MAX_PARTITIONS];    /* 0: HV_MAX_VPS */
static struct { uint64_t start, end; } shared[HV_MAX_PARTITIONS][HV_SHARED_EXTENTS];
static uint32_t nshared[HV_MAX_PARTITIONS];

struct hv_partition *hv_part_get(uint64_t id)
{
    if (id < 1 || id > HV_MAX_PARTITIONS)
        return NULL;
    struct hv_partition *p = &hv_partitions[id - 1];
    if (p->state == HV_PART_FREE || p->state == HV_PART_DELETING)
        return NULL;
    return p;
}

#ifdef HV_TARGET
bool hv_part_is_ram(uint64_t hpa)
{
    hpa &= ~0xFFFull;
    for (uint32_t i = 0; i < hv_boot.nmmap && i < 64; i++) {
        const struct hv_mem_range *r = &hv_boot.mmap[i];
        if (r->type == 1 && hpa >= r->base && hpa + 4096 <= r->base + r->length &&
            hpa + 4096 > hpa)
            return true;
    }
    return false;
}
#else
bool hv_test_is_ram(uint64_t hpa);
bool hv_part_is_ram(uint64_t hpa) { return hv_test_is_ram(hpa); }
#endif

uint32_t hv_part_vp_limit(const struct hv_partition *p)
{
    uint32_t l = vp_limit[p->id - 1];
    return l ? l : HV_MAX_VPS;
}

void hv_part_set_vp_limit(struct hv_partition *p, uint32_t limit)
{
    vp_limit[p->id - 1] = limit;
}

int hv_part_note_shared(struct hv_partition *p, uint64_t hpa)
{
    uint32_t k = (uint32_t)(p->id - 1), n = nshared[k];
    hpa &= ~0xFFFull;
    for (uint32_t i = 0; i < n; i++) {
        if (hpa >= shared[k][i].start && hpa < shared[k][i].end)
            return 0;
        if (hpa == shared[k][i].end) {
            shared[k][i].end += 4096;
            return 0;
        }
        if (hpa + 4096 == shared[k][i].start) {
            shared[k][i].start = hpa;
            return 0;
        }
    }
    if (n == HV_SHARED_EXTENTS)
        return -1;
    shared[k][n].start = hpa;
    shared[k][n].end = hpa + 4096;
    nshared[k] = n + 1;
    return 0;
}

bool hv_part_page_shared(uint64_t hpa)
{
    hpa &= ~0xFFFull;
    for (uint32_t k = 1; k < HV_MAX_PARTITIONS; k++) {
        if (hv_partitions[k].state == HV_PART_FREE)
            continue;
        for (uint32_t i = 0; i < nshared[k]; i++)
            if (hpa >= shared[k][i].start && hpa < shared[k][i].end)
                return true;
    }
    return false;
}

/* Three little-endian qwords of the NUL-padded name (annot_abi.h: a1..a3). */
static uint64_t name_qword(const char *name, unsigned k)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)(uint8_t)name[8 * k + i] << (8 * i);
    return v;
}

/* "p<id>" (ids are at most HV_MAX_PARTITIONS, two digits) */
static void default_name(char *name, uint64_t id)
{
    unsigned n = 0;
    name[n++] = 'p';
    if (id >= 10)
        name[n++] = (char)('0' + id / 10 % 10);
    name[n++] = (char)('0' + id % 10);
}

struct hv_partition *hv_part_create(struct hv_partition *parent, const char *name)
{
    for (uint32_t k = 1; k < HV_MAX_PARTITIONS; k++) {
        struct hv_partition *p = &hv_partitions[k];
        if (p->state != HV_PART_FREE)
            continue;
        memset(p, 0, sizeof(*p));
        p->id = k + 1;
        p->state = HV_PART_CREATED;
        p->ref_time_tsc = hv_rdtsc();   /* TLFS 12.4: reference time 0 at creation */
        p->privileges = HV_CHILD_DEFAULT_PRIVILEGES;
        p->parent = parent;
        vp_limit[k] = 0;
        nshared[k] = 0;
        bool named = false;
        for (unsigned i = 0; i < HV_PARTITION_NAME_MAX; i++)
            named |= name[i] != 0;
        if (named)
            memcpy(p->name, name, HV_PARTITION_NAME_MAX);
        else
            default_name(p->name, p->id);
        hv_annotate(HVSIM_ANNOT_PARTITION_CREATE, p->id, name_qword(p->name, 0),
                    name_qword(p->name, 1), name_qword(p->name, 2));
        return p;
    }
    return NULL;
}

int hv_part_return_page_to_root(uint64_t hpa)
{
    struct hv_partition *root = &hv_partitions[HV_PARTITION_ROOT_ID - 1];
    if (ept_map(&root->ept, hpa, hpa, EPT_R | EPT_W | EPT_X) != 0) {
        hv_log("hv: page %#llx lost: no memory for the root's EPT\n", (unsigned long long)hpa);
        return -1;
    }
    return 0;
}

void hv_part_delete(struct hv_partition *p)
{
    p->state = HV_PART_DELETING;
    for (uint32_t i = 0; i < HV_MAX_VPS; i++) {
        if (p->vp[i]) {
            hv_vp_destroy(p->vp[i]);
            p->vp[i] = NULL;
        }
    }
    p->nvps = 0;
    if (p->ept.pml4) {
        ept_flush(&p->ept);
        ept_destroy(&p->ept);
    }
    uint64_t given = 0, hpa;
    while ((hpa = hv_pool_alloc(&p->pool)) != 0) {
        hv_part_return_page_to_root(hpa);
        given++;
    }
    if (given != p->pool.total_pages)
        hv_log("hv: partition %llu: %llu of %llu pool pages were still in use\n",
               (unsigned long long)p->id, (unsigned long long)(p->pool.total_pages - given),
               (unsigned long long)p->pool.total_pages);
    nshared[p->id - 1] = 0;
    synic_ports_partition_deleted(p->id);   /* its ports and connections (hv/synic/port.c) */
    hv_annotate(HVSIM_ANNOT_PARTITION_DELETE, p->id, 0, 0, 0);
    uint64_t id = p->id;
    memset(p, 0, sizeof(*p));
    p->id = id;
    p->state = HV_PART_FREE;
}
