/* hv_fakes.c — host fakes of hv/hv_svc.h's core services for the hypercall-layer unit tests
 * (see hv_fakes.h for the fake machine's layout and invariants). The EPT is a real 4-level
 * table in the fake memory (SDM Vol. 3 29.3.2: bits 2:0 R/W/X, bits 51:12 the address, 4 KiB
 * leaves only), its tables from the partition's pool, so INSUFFICIENT_MEMORY paths are real.
 */
#include "tests/unit/hv_fakes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi/tlfs.h"
#include "hv/arch/lp.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "hv/vapic/vapic.h"

static uint8_t *mem;
struct hv_pool hv_pool;
uint32_t hv_nlps;
static struct hv_vp root_vps[2];
static uint64_t spare_next;

unsigned hvf_flush_count;
const struct hv_ept *hvf_last_flush;
unsigned hvf_kick_count;
struct hv_vp *hvf_last_kick;
unsigned hvf_arch_init_count, hvf_arch_destroy_count;
unsigned hvf_annot_count;
uint32_t hvf_annot_kind;
uint64_t hvf_annot_args[4];
unsigned hvf_log_count;
uint64_t hvf_tsc, hvf_tsc_hz;
bool hvf_tsc_deadline;
/* hv/vapic/vapic_timer.c: CPUID.1:ECX[24] as the hardware reports it */
bool vapic_cpu_has_tsc_deadline(void) { return hvf_tsc_deadline; }
unsigned hvf_irq_count;
uint8_t hvf_last_irq_vector;
unsigned hvf_tlb_count;
unsigned hvf_tlb_nvps;
struct hv_vp *hvf_tlb_vps[HV_MAX_VPS];
unsigned hvf_tlb_nr;
struct hv_gva_range hvf_tlb_ranges[64];

void *hv_hpa_ptr(uint64_t hpa)
{
    if (hpa >= HVF_MEM_SIZE) {
        fprintf(stderr, "hv_fakes: HPA %#llx outside the fake memory\n", (unsigned long long)hpa);
        abort();
    }
    return mem + hpa;
}

void *hvf_ptr(uint64_t hpa) { return hv_hpa_ptr(hpa); }

/* RAM: the root's RAM and the hypervisor's pool; [HVF_POOL_END, HVF_MEM_SIZE) is "device MMIO". */
bool hv_test_is_ram(uint64_t hpa)
{
    return hpa < HVF_RAM_END || (hpa >= HVF_POOL_BASE && hpa < HVF_POOL_END);
}

uint64_t hv_test_ptr_hpa(const void *ptr)
{
    const uint8_t *p = (const uint8_t *)ptr;
    if (p < mem || p >= mem + HVF_MEM_SIZE) {
        fprintf(stderr, "hv_fakes: pointer outside the fake memory\n");
        abort();
    }
    return (uint64_t)(p - mem);
}

/* ---- pools: free list linked through each page's first 8 bytes ---- */
uint64_t hv_pool_alloc(struct hv_pool *p)
{
    uint64_t hpa = p->free_head;
    if (!hpa)
        return 0;
    memcpy(&p->free_head, hv_hpa_ptr(hpa), 8);
    p->free_pages--;
    memset(hv_hpa_ptr(hpa), 0, 4096);
    return hpa;
}

void hv_pool_free(struct hv_pool *p, uint64_t hpa)
{
    memcpy(hv_hpa_ptr(hpa), &p->free_head, 8);
    p->free_head = hpa;
    p->free_pages++;
}

void hv_pool_add(struct hv_pool *p, uint64_t hpa)
{
    hv_pool_free(p, hpa);
    p->total_pages++;
}

uint64_t hvf_pool_count(const struct hv_pool *p)
{
    uint64_t n = 0;
    for (uint64_t h = p->free_head; h; memcpy(&h, hv_hpa_ptr(h), 8))
        n++;
    return n;
}

/* ---- EPT ---- */
#define ADDR 0x000FFFFFFFFFF000ull

int ept_init(struct hv_ept *e, struct hv_pool *pool)
{
    e->pool = pool;
    e->pml4 = hv_pool_alloc(pool);
    if (!e->pml4)
        return -1;
    e->eptp = e->pml4 | 6 | (3 << 3);
    return 0;
}

static uint64_t *walk(struct hv_ept *e, uint64_t gpa, bool create)
{
    if (!e->pml4 || (gpa >> 48))
        return NULL;
    uint64_t *t = (uint64_t *)hv_hpa_ptr(e->pml4);
    for (int level = 3; level > 0; level--) {
        uint64_t *ent = &t[(gpa >> (12 + 9 * level)) & 511];
        if (!(*ent & 7)) {
            if (!create)
                return NULL;
            uint64_t nt = hv_pool_alloc(e->pool);
            if (!nt)
                return NULL;
            *ent = nt | 7;
        }
        t = (uint64_t *)hv_hpa_ptr(*ent & ADDR);
    }
    return &t[(gpa >> 12) & 511];
}

int ept_map(struct hv_ept *e, uint64_t gpa, uint64_t hpa, unsigned perms)
{
    uint64_t *pte = walk(e, gpa, true);
    if (!pte)
        return -1;
    *pte = (hpa & ADDR) | (6 << 3) | (perms & 7);
    return 0;
}

int ept_unmap(struct hv_ept *e, uint64_t gpa)
{
    uint64_t *pte = walk(e, gpa, false);
    if (!pte || !(*pte & 7))
        return -1;
    *pte = 0;
    return 0;
}

int ept_lookup(const struct hv_ept *e, uint64_t gpa, uint64_t *hpa, unsigned *perms)
{
    uint64_t *pte = walk((struct hv_ept *)e, gpa, false);
    if (!pte || !(*pte & 7))
        return -1;
    if (hpa)
        *hpa = (*pte & ADDR) | (gpa & 0xFFF);
    if (perms)
        *perms = (unsigned)(*pte & 7);
    return 0;
}

void ept_flush(struct hv_ept *e)
{
    hvf_flush_count++;
    hvf_last_flush = e;
}

static void free_level(struct hv_ept *e, uint64_t hpa, int level)
{
    uint64_t *t = (uint64_t *)hv_hpa_ptr(hpa);
    if (level > 0)
        for (unsigned i = 0; i < 512; i++)
            if (t[i] & 7)
                free_level(e, t[i] & ADDR, level - 1);
    hv_pool_free(e->pool, hpa);
}

void ept_destroy(struct hv_ept *e)
{
    if (e->pml4)
        free_level(e, e->pml4, 3);
    e->pml4 = e->eptp = 0;
}

/* ---- VPs: pages charged like hv/vmx/vp.c (the root's from hv_pool) ---- */
static struct hv_pool *vp_pool(struct hv_vp *vp)
{
    return vp->part->id == HV_PARTITION_ROOT_ID ? &hv_pool : &vp->part->pool;
}

int vp_arch_init(struct hv_vp *vp)
{
    uint64_t *pages[HVF_ARCH_PAGES] = { &vp->arch.vmcs, &vp->arch.msr_bitmap,
                                        &vp->arch.io_bitmap_a, &vp->arch.io_bitmap_b,
                                        &vp->arch.xsave_area };
    for (int i = 0; i < HVF_ARCH_PAGES; i++) {
        *pages[i] = hv_pool_alloc(vp_pool(vp));
        if (!*pages[i]) {
            vp_arch_destroy(vp);
            return -1;
        }
    }
    vapic_reset(vp, vp->index);     /* as hv/vmx/vp.c: software-disabled (SDM Vol. 3 11.4.7.1) */
    /* as hv/vmx/guest_switch.c vmx_guest_init: XCR0 1, the SYSCALL MSRs 0 (SDM Vol. 3 9.1.1) */
    vp->arch.xcr0 = 1;
    vp->arch.star = vp->arch.lstar = vp->arch.cstar = vp->arch.sfmask = 0;
    vp->arch.kernel_gs_base = vp->arch.tsc_aux = 0;
    hvf_arch_init_count++;
    return 0;
}

void vp_arch_destroy(struct hv_vp *vp)
{
    uint64_t *pages[HVF_ARCH_PAGES] = { &vp->arch.vmcs, &vp->arch.msr_bitmap,
                                        &vp->arch.io_bitmap_a, &vp->arch.io_bitmap_b,
                                        &vp->arch.xsave_area };
    for (int i = 0; i < HVF_ARCH_PAGES; i++) {
        if (*pages[i])
            hv_pool_free(vp_pool(vp), *pages[i]);
        *pages[i] = 0;
    }
    hvf_arch_destroy_count++;
}

void vp_kick(struct hv_vp *vp)
{
    hvf_kick_count++;
    hvf_last_kick = vp;
}

void vp_raise_irq(struct hv_vp *vp, uint8_t vector)
{
    /* as hv/vmx/vp.c: the virtual APIC accepts it (IRR) unless software-disabled or illegal;
     * every call is recorded */
    hvf_irq_count++;
    hvf_last_irq_vector = vector;
    if (vapic_accept(vp, vector))
        vp_kick(vp);
}

void vp_flush_tlb(struct hv_vp *const *vps, unsigned n, const struct hv_gva_range *r,
                  unsigned nr)
{
    /* records the last request; the ranges of every call of a test are appended */
    hvf_tlb_count++;
    hvf_tlb_nvps = n;
    for (unsigned i = 0; i < n && i < HV_MAX_VPS; i++)
        hvf_tlb_vps[i] = vps[i];
    for (unsigned i = 0; i < nr && hvf_tlb_nr < 64; i++)
        hvf_tlb_ranges[hvf_tlb_nr++] = r[i];
}

uint64_t hv_rdtsc(void) { return hvf_tsc; }
uint64_t hv_tsc_hz(void) { return hvf_tsc_hz; }
/* the fake processor's XCR0 may hold x87 and SSE (CPUID.(0DH,0) = 3, as hvsim's default model) */
bool hv_xcr0_valid(uint64_t xcr0) { return (xcr0 & 1) && !(xcr0 & ~3ull); }

void hv_log(const char *fmt, ...)
{
    (void)fmt;
    hvf_log_count++;
}

void hv_panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}

void hv_test_annotate(uint32_t kind, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    hvf_annot_count++;
    hvf_annot_kind = kind;
    hvf_annot_args[0] = a0;
    hvf_annot_args[1] = a1;
    hvf_annot_args[2] = a2;
    hvf_annot_args[3] = a3;
}

/* ---- the fake machine ---- */
void hvf_reset(void)
{
    if (!mem) {
        mem = (uint8_t *)aligned_alloc(4096, HVF_MEM_SIZE);
        if (!mem)
            abort();
    }
    memset(mem, 0, HVF_MEM_SIZE);
    memset(hv_partitions, 0, sizeof(hv_partitions));
    for (uint32_t k = 0; k < HV_MAX_PARTITIONS; k++)
        hv_partitions[k].id = k + 1;
    memset(&hv_pool, 0, sizeof(hv_pool));
    for (uint64_t a = HVF_POOL_BASE; a < HVF_POOL_END; a += 4096)
        hv_pool_add(&hv_pool, a);
    hv_nlps = 2;
    hvf_flush_count = hvf_kick_count = hvf_arch_init_count = hvf_arch_destroy_count = 0;
    hvf_annot_count = hvf_log_count = 0;
    synic_ports_reset();            /* hv/synic/port.c's static tables */
    hvf_irq_count = 0;
    hvf_last_irq_vector = 0;
    hvf_tlb_count = hvf_tlb_nvps = hvf_tlb_nr = 0;
    hvf_last_flush = NULL;
    hvf_last_kick = NULL;
    hvf_annot_kind = 0;
    memset(hvf_annot_args, 0, sizeof(hvf_annot_args));
    hvf_tsc = 0;
    spare_next = HVF_SPARE_BASE;
    hvf_tsc_hz = 2500000000ull;
    hvf_tsc_deadline = true;

    struct hv_partition *root = &hv_partitions[0];
    root->state = HV_PART_FINALIZED;
    root->privileges = HV_ROOT_PRIVILEGES;
    memcpy(root->name, "root", 5);
    if (ept_init(&root->ept, &hv_pool) != 0)
        abort();
    for (uint64_t a = 0; a < HVF_RAM_END; a += 4096)
        if (ept_map(&root->ept, a, a, EPT_R | EPT_W | EPT_X) != 0)
            abort();
    for (uint32_t i = 0; i < 2; i++) {
        struct hv_vp *vp = &root_vps[i];
        memset(vp, 0, sizeof(*vp));
        vp->part = root;
        vp->index = i;
        vp->lp = i;
        vp->vpid = hv_vp_vpid(1, i);
        vp->state = i == 0 ? HV_VP_RUNNABLE : HV_VP_NOT_STARTED;
        /* the root kernel software-enables its APIC first thing (partitions/root/pm_msg.c): the
         * fake root's VPs start with SVR = 1FFH so vectors raised for them are accepted */
        vapic_reset(vp, i);
        vapic_write(vp, VAPIC_SVR, 0x1FF);
        root->vp[i] = vp;
    }
    root->nvps = 2;
}

struct hv_partition *hvf_root(void) { return &hv_partitions[0]; }
struct hv_vp *hvf_root_vp(void) { return &root_vps[0]; }

uint64_t hvf_call(struct hv_vp *vp, uint64_t *input, uint64_t in_gpa, uint64_t out_gpa,
                  bool *advance)
{
    struct hc_call c = { .input = *input, .in_gpa = in_gpa, .out_gpa = out_gpa };
    hc_dispatch(vp, &c);
    *input = c.input;
    if (advance)
        *advance = c.advance;
    return c.result;
}

uint64_t hvf_call_all(struct hv_vp *vp, uint64_t input, uint64_t in_gpa, uint64_t out_gpa,
                      unsigned *exits)
{
    unsigned n = 0;
    for (;;) {
        bool adv;
        uint64_t r = hvf_call(vp, &input, in_gpa, out_gpa, &adv);
        n++;
        if (adv || n > 10000) {
            if (exits)
                *exits = n;
            return r;
        }
    }
}

void *hvf_out(void) { return hv_hpa_ptr(HVF_OUT_GPA); }

uint64_t hvf_root_call(uint64_t input, const void *in, unsigned len)
{
    memcpy(hv_hpa_ptr(HVF_IN_GPA), in, len);
    return hvf_call_all(&root_vps[0], input, HVF_IN_GPA, HVF_OUT_GPA, NULL);
}

uint64_t hvf_take_pages(unsigned n)
{
    uint64_t gpa = spare_next;
    spare_next += (uint64_t)n * 4096;
    if (spare_next > HVF_RAM_END)
        abort();
    return gpa;
}

uint64_t hvf_deposit(uint64_t id, unsigned n)
{
    static uint64_t buf[512];
    uint64_t first = hvf_take_pages(n);
    buf[0] = id;
    for (unsigned i = 0; i < n; i++)
        buf[1 + i] = (first >> 12) + i;
    return hvf_root_call(hv_hypercall_input(HVCALL_DEPOSIT_MEMORY, 0, n, 0), buf, 8 + 8 * n);
}

uint64_t hvf_make_child(const char *name, unsigned pages)
{
    struct hv_input_create_partition in;
    memset(&in, 0, sizeof(in));
    size_t n = strlen(name);
    memcpy(in.name, name, n < sizeof(in.name) ? n : sizeof(in.name));
    if (hvf_root_call(hv_hypercall_input(HVCALL_CREATE_PARTITION, 0, 0, 0), &in, sizeof(in)) !=
        HV_STATUS_SUCCESS)
        return 0;
    uint64_t id;
    memcpy(&id, hvf_out(), 8);
    if (pages) {
        if ((hvf_deposit(id, pages) & 0xFFFF) != HV_STATUS_SUCCESS)
            return 0;
        if (hvf_root_call(hv_hypercall_input(HVCALL_INITIALIZE_PARTITION, 0, 0, 0), &id, 8) !=
            HV_STATUS_SUCCESS)
            return 0;
    }
    return id;
}
