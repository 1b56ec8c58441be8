/* root.c — the root partition's creation and entry (docs/HYPERVISOR.md "Boot" step 4,
 * "Memory", "Partitions and virtual processors"): partition 1 "root" with its privileges, its
 * EPT identity map, one VP per LP, its kernel (module 0) loaded from its ELF image, its
 * Multiboot2 information (Multiboot2 spec 3.6) and VP 0 in the Multiboot2 entry state (spec 3.3;
 * docs/BOOT.md "Entry state") as an unrestricted guest (SDM Vol. 3 26.6, 25.3).
 *
 * The root's EPT (29.3): identity, every page of RAM (memory-map type 1) and of the firmware's
 * ACPI ranges (3, 4) write-back, every other address below 4 GiB (reserved ranges, holes: device
 * MMIO) uncacheable; never the hypervisor's image or pool, nor the local APIC page (the root's
 * xAPIC is virtual, hv/vmx/exit_ept.c). 2 MiB leaves where a 2 MiB block is uniform.
 *
 * Invariants: module 0's segments lie in root RAM and overlap neither the hypervisor (image,
 * pool), the modules, the trampoline nor the root's boot-information pages, else a panic names
 * the module and the segment; the boot information (and a flat GDT for the entry state) lives in
 * two root-RAM pages below 1 MiB that the root's memory map marks reserved.
 */
#include "hv/part/annot.h"
#include "hv/part/partition.h"
#include "hv/synic/synic.h"
#include "hv/vmx/vmx.h"
#include "krt/krt.h"

#define MB2_MAGIC 0x36D76289u
#define INFO_SIZE 0x2000u             /* GDT at +0, the Multiboot2 information at +0x100 */
#define INFO_MBI 0x100u
#define GDT_CS 0x08
#define GDT_DS 0x10

struct range { uint64_t base, end; const char *what; };

/* The ranges the root may not own: image, pool, trampoline, info pages, local APIC page. */
static struct range hv_ranges[5];
static unsigned n_hv_ranges;
static uint64_t info_base;

static bool overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d) { return a < d && c < b; }

static bool excluded(uint64_t a, uint64_t b)
{
    if (overlaps(a, b, hv_boot.hv_start, hv_boot.hv_end) ||
        overlaps(a, b, hv_boot.pool_start, hv_boot.pool_end))
        return true;
    return overlaps(a, b, vmx_root_apic_gpa, vmx_root_apic_gpa + 4096);
}

/* EPT memory type of the page at `a`, or -1: not mapped for the root. */
static int classify(uint64_t a)
{
    if (excluded(a, a + 4096))
        return -1;
    for (uint32_t i = 0; i < hv_boot.nmmap; i++) {
        const struct hv_mem_range *m = &hv_boot.mmap[i];
        if (a >= m->base && a - m->base < m->length) {
            if (m->type == 1 || m->type == 3 || m->type == 4)
                return (int)EPT_MT_WB;
            return a < (1ull << 32) ? (int)EPT_MT_UC : -1;
        }
    }
    return a < (1ull << 32) ? (int)EPT_MT_UC : -1;   /* a hole below 4 GiB: device MMIO */
}

/* A boundary of a memory-map entry or an excluded range lies strictly inside (a, b). */
static bool has_boundary(uint64_t a, uint64_t b)
{
    uint64_t pts[8 + 2 * 64];
    unsigned n = 0;
    pts[n++] = hv_boot.hv_start; pts[n++] = hv_boot.hv_end;
    pts[n++] = hv_boot.pool_start; pts[n++] = hv_boot.pool_end;
    pts[n++] = vmx_root_apic_gpa; pts[n++] = vmx_root_apic_gpa + 4096;
    for (uint32_t i = 0; i < hv_boot.nmmap && i < 64; i++) {
        pts[n++] = hv_boot.mmap[i].base;
        pts[n++] = hv_boot.mmap[i].base + hv_boot.mmap[i].length;
    }
    for (unsigned i = 0; i < n; i++)
        if (pts[i] > a && pts[i] < b)
            return true;
    return false;
}

static void build_ept(struct hv_ept *e)
{
    uint64_t top = 1ull << 32;
    for (uint32_t i = 0; i < hv_boot.nmmap; i++) {
        const struct hv_mem_range *m = &hv_boot.mmap[i];
        if (m->type == 1 && m->base + m->length > top)
            top = (m->base + m->length + 0x1FFFFF) & ~0x1FFFFFull;
    }
    const unsigned rwx = EPT_R | EPT_W | EPT_X;
    for (uint64_t blk = 0; blk < top; blk += 0x200000) {
        if (!has_boundary(blk, blk + 0x200000)) {
            int t = classify(blk);
            if (t >= 0 && ept_map_2m(e, blk, blk, rwx, (unsigned)t) != 0)
                hv_panic("root: no memory for the root's EPT");
            continue;
        }
        for (uint64_t a = blk; a < blk + 0x200000; a += 4096) {
            int t = classify(a);
            if (t >= 0 && ept_map_type(e, a, a, rwx, (unsigned)t) != 0)
                hv_panic("root: no memory for the root's EPT");
        }
    }
}

/* Is [a, b) inside RAM (type 1) of the physical map? */
static bool in_ram(uint64_t a, uint64_t b)
{
    while (a < b) {
        bool found = false;
        for (uint32_t i = 0; i < hv_boot.nmmap; i++) {
            const struct hv_mem_range *m = &hv_boot.mmap[i];
            if (m->type == 1 && a >= m->base && a - m->base < m->length) {
                a = m->base + m->length;
                found = true;
                break;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

static bool clashes(uint64_t a, uint64_t b, const char **what)
{
    for (unsigned i = 0; i < n_hv_ranges; i++)
        if (overlaps(a, b, hv_ranges[i].base, hv_ranges[i].end)) {
            *what = hv_ranges[i].what;
            return true;
        }
    for (uint32_t i = 0; i < hv_boot.nmodules; i++)
        if (overlaps(a, b, hv_boot.modules[i].start, hv_boot.modules[i].end)) {
            *what = "a boot module";
            return true;
        }
    return false;
}

static struct krt_elf64 kelf;
static const char *kname;

/* Does [a, b) overlap a PT_LOAD segment of the root kernel or a string the loader gave (the
 * hypervisor copies the strings into the root's information, so they must survive until then)? */
static bool clashes_kernel_or_strings(uint64_t a, uint64_t b)
{
    unsigned cur = 0;
    struct krt_elf64_seg s;
    while (krt_elf64_next_load(&kelf, &cur, &s))
        if (overlaps(a, b, s.paddr, s.paddr + s.memsz))
            return true;
    const char *strs[33];
    unsigned n = 0;
    strs[n++] = hv_boot.cmdline;
    for (uint32_t i = 0; i < hv_boot.nmodules && n < 33; i++)
        strs[n++] = hv_boot.modules[i].string;
    for (unsigned i = 0; i < n; i++)
        if (strs[i] && overlaps(a, b, (uint64_t)(uintptr_t)strs[i],
                                (uint64_t)(uintptr_t)strs[i] + strlen(strs[i]) + 1))
            return true;
    return false;
}

/* Two pages of RAM below 1 MiB, clear of everything else, for the boot information. */
static uint64_t find_info_pages(void)
{
    const char *what;
    for (uint64_t a = 0x1000; a + INFO_SIZE <= 0xA0000; a += 0x1000)
        if (in_ram(a, a + INFO_SIZE) && !clashes(a, a + INFO_SIZE, &what) &&
            !clashes_kernel_or_strings(a, a + INFO_SIZE))
            return a;
    hv_panic("root: no free RAM below 1 MiB for the root's boot information");
}

/* Validate module 0 (the root kernel): an ELF64 image whose segments lie in RAM, clear of the
 * hypervisor and the modules. Returns the entry point (physical). Nothing is written. */
static uint64_t check_kernel(void)
{
    if (hv_boot.nmodules == 0)
        hv_panic("root: no module 0 (the root partition's kernel)");
    const struct hv_module *m = &hv_boot.modules[0];
    kname = m->string && m->string[0] ? m->string : "module 0";
    char err[96];
    if (krt_elf64_open(&kelf, hv_hpa_ptr(m->start), (size_t)(m->end - m->start), err,
                       sizeof err) != KRT_ELF_OK)
        hv_panic("root: %s: %s", kname, err);
    unsigned cur = 0, k = 0;
    struct krt_elf64_seg s;
    while (krt_elf64_next_load(&kelf, &cur, &s)) {
        const char *what = "memory that is not RAM";
        uint64_t end = s.paddr + s.memsz;
        if (end < s.paddr || !in_ram(s.paddr, end) || clashes(s.paddr, end, &what))
            hv_panic("root: %s: segment %u [%#lx, %#lx) overlaps %s", kname, k,
                     (unsigned long)s.paddr, (unsigned long)end, what);
        k++;
    }
    return kelf.entry_paddr;
}

/* Copy the validated segments, after the boot information is written (a segment may cover the
 * loader's own information, which is no longer needed then). */
static void load_kernel(void)
{
    unsigned cur = 0;
    struct krt_elf64_seg s;
    while (krt_elf64_next_load(&kelf, &cur, &s)) {
        memcpy(hv_hpa_ptr(s.paddr), kelf.data + s.offset, s.filesz);
        memset((uint8_t *)hv_hpa_ptr(s.paddr) + s.filesz, 0, s.memsz - s.filesz);
    }
}

/* ---- the Multiboot2 information (Multiboot2 spec 3.6) ---- */
struct mbi_writer { uint8_t *base; uint32_t off, cap; };

static void *tag(struct mbi_writer *w, uint32_t type, uint32_t size)
{
    w->off = (w->off + 7) & ~7u;   /* 3.6.1: tags are 8-byte aligned */
    if (w->off + size > w->cap)
        hv_panic("root: the root's Multiboot2 information does not fit in %u bytes", w->cap);
    uint32_t *t = (uint32_t *)(w->base + w->off);
    t[0] = type;
    t[1] = size;
    w->off += size;
    return t;
}

static void tag_string(struct mbi_writer *w, uint32_t type, const char *s)
{
    if (!s)
        s = "";
    uint32_t n = (uint32_t)strlen(s) + 1;
    uint8_t *t = tag(w, type, 8 + n);
    memcpy(t + 8, s, n);
}

struct mm_ent { uint64_t base, len; uint32_t type, rsvd; };

/* The physical map with the hypervisor's ranges and the info pages cut out and listed as
 * reserved (type 2), sorted by base. */
static unsigned root_mmap(struct mm_ent *out, unsigned cap)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < hv_boot.nmmap; i++) {
        struct range pieces[16];
        unsigned np = 1;
        pieces[0] = (struct range){ hv_boot.mmap[i].base,
                                    hv_boot.mmap[i].base + hv_boot.mmap[i].length, 0 };
        for (unsigned r = 0; r < n_hv_ranges; r++) {
            unsigned nn = 0;
            struct range next[16];
            for (unsigned p = 0; p < np; p++) {
                struct range x = pieces[p], h = hv_ranges[r];
                if (!overlaps(x.base, x.end, h.base, h.end)) {
                    if (nn < 16) next[nn++] = x;
                    continue;
                }
                if (x.base < h.base && nn < 16) next[nn++] = (struct range){ x.base, h.base, 0 };
                if (h.end < x.end && nn < 16) next[nn++] = (struct range){ h.end, x.end, 0 };
            }
            memcpy(pieces, next, sizeof next);
            np = nn;
        }
        for (unsigned p = 0; p < np && n < cap; p++)
            out[n++] = (struct mm_ent){ pieces[p].base, pieces[p].end - pieces[p].base,
                                        hv_boot.mmap[i].type, 0 };
    }
    for (unsigned r = 0; r < n_hv_ranges && n < cap; r++)
        out[n++] = (struct mm_ent){ hv_ranges[r].base, hv_ranges[r].end - hv_ranges[r].base, 2, 0 };
    for (unsigned i = 1; i < n; i++)   /* insertion sort by base */
        for (unsigned j = i; j > 0 && out[j].base < out[j - 1].base; j--) {
            struct mm_ent t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return n;
}

static uint64_t write_mbi(void)
{
    uint8_t *page = hv_hpa_ptr(info_base);
    memset(page, 0, INFO_SIZE);
    /* a flat GDT for the entry state: null, 32-bit code (0x08), data (0x10) */
    uint64_t *gdt = (uint64_t *)page;
    gdt[1] = 0x00CF9A000000FFFFull;
    gdt[2] = 0x00CF92000000FFFFull;

    struct mbi_writer w = { page + INFO_MBI, 8, INFO_SIZE - INFO_MBI };
    tag_string(&w, 1, hv_boot.modules[0].string);
    tag_string(&w, 2, "hvsim-hv");
    for (uint32_t i = 1; i < hv_boot.nmodules; i++) {
        const struct hv_module *m = &hv_boot.modules[i];
        const char *s = m->string ? m->string : "";
        uint32_t n = (uint32_t)strlen(s) + 1;
        uint32_t *t = tag(&w, 3, 16 + n);
        t[2] = (uint32_t)m->start;
        t[3] = (uint32_t)m->end;
        memcpy(&t[4], s, n);
    }
    static struct mm_ent mm[64 + 16];
    unsigned n = root_mmap(mm, sizeof mm / sizeof mm[0]);
    /* 3.6.3 basic memory information: KiB of RAM from 0 and from 1 MiB (up to the first gap) */
    uint64_t lower = 0, upper = 0;
    for (unsigned i = 0; i < n; i++)
        if (mm[i].type == 1 && mm[i].base == 0)
            lower = mm[i].len > 0xA0000 ? 0xA0000 : mm[i].len;
    for (uint64_t a = 0x100000;;) {
        bool grew = false;
        for (unsigned i = 0; i < n; i++)
            if (mm[i].type == 1 && mm[i].base <= a && mm[i].base + mm[i].len > a) {
                a = mm[i].base + mm[i].len;
                grew = true;
            }
        if (!grew) {
            upper = a - 0x100000;
            break;
        }
    }
    uint32_t *b = tag(&w, 4, 16);
    b[2] = (uint32_t)(lower >> 10);
    b[3] = (uint32_t)(upper >> 10 > 0xFFFFFFFFull ? 0xFFFFFFFFull : upper >> 10);
    uint32_t *t = tag(&w, 6, 16 + n * (uint32_t)sizeof(struct mm_ent));
    t[2] = sizeof(struct mm_ent);
    t[3] = 0;
    memcpy(&t[4], mm, n * sizeof(struct mm_ent));
    tag(&w, 0, 8);   /* end tag */
    uint32_t *hdr = (uint32_t *)(page + INFO_MBI);
    hdr[0] = w.off;
    hdr[1] = 0;
    return info_base + INFO_MBI;
}

/* Multiboot2 spec 3.3: 32-bit protected mode, paging off, flat CS/DS, EAX magic, EBX info. */
static void entry_state(struct hv_vp_context *c, uint64_t entry, uint64_t mbi)
{
    memset(c, 0, sizeof *c);
    c->gpr[0] = MB2_MAGIC;
    c->gpr[3] = mbi;
    c->rip = entry;
    c->rflags = 2;
    c->cr0 = 0x33;   /* PE, MP, ET, NE: as hvsim's own loader (docs/BOOT.md) */
    c->pat = 0x0007040600070406ull;
    c->cs = (struct hv_seg){ .base = 0, .limit = 0xFFFFFFFF, .selector = GDT_CS,
                             .attributes = 0xC09B };
    struct hv_seg d = { .base = 0, .limit = 0xFFFFFFFF, .selector = GDT_DS, .attributes = 0xC093 };
    c->ds = c->es = c->fs = c->gs = c->ss = d;
    c->ldtr = (struct hv_seg){ .limit = 0, .attributes = 0 };
    c->tr = (struct hv_seg){ .limit = 0xFFFF, .attributes = 0x8B };
    c->gdtr.base = info_base;
    c->gdtr.limit = 3 * 8 - 1;
    c->idtr.limit = 0;
    c->dirty = true;
}

static uint64_t name_qword(const char *name, unsigned k)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)(uint8_t)name[8 * k + i] << (8 * i);
    return v;
}

struct hv_vp *vmx_root_vp_of_lp(uint32_t lp)
{
    struct hv_partition *root = &hv_partitions[HV_PARTITION_ROOT_ID - 1];
    if (root->state == HV_PART_FREE || lp >= HV_MAX_VPS)
        return NULL;
    return root->vp[lp];
}

void hv_root_start(void)
{
    struct hv_partition *p = &hv_partitions[HV_PARTITION_ROOT_ID - 1];
    vmx_root_apic_gpa = rdmsr(MSR_IA32_APIC_BASE) & 0x000FFFFFFFFFF000ull;

    info_base = 0;
    n_hv_ranges = 0;
    hv_ranges[n_hv_ranges++] = (struct range){ hv_boot.hv_start, hv_boot.hv_end,
                                               "the hypervisor's image" };
    hv_ranges[n_hv_ranges++] = (struct range){ hv_boot.pool_start, hv_boot.pool_end,
                                               "the hypervisor's pool" };
    if (hv_boot.trampoline)
        hv_ranges[n_hv_ranges++] = (struct range){ hv_boot.trampoline, hv_boot.trampoline + 4096,
                                                   "the AP trampoline" };
    uint64_t entry = check_kernel();

    memset(p, 0, sizeof *p);
    p->id = HV_PARTITION_ROOT_ID;
    memcpy(p->name, "root", 5);
    p->privileges = HV_ROOT_PRIVILEGES;
    p->state = HV_PART_FINALIZED;
    p->ref_time_tsc = hv_rdtsc();   /* TLFS 12.4: reference time 0 at creation */
    hv_annotate(HVSIM_ANNOT_PARTITION_CREATE, p->id, name_qword(p->name, 0),
                name_qword(p->name, 1), name_qword(p->name, 2));
    if (ept_init(&p->ept, &hv_pool) != 0)
        hv_panic("root: no memory for the root's EPT");
    build_ept(&p->ept);

    info_base = find_info_pages();
    hv_ranges[n_hv_ranges++] = (struct range){ info_base, info_base + INFO_SIZE,
                                               "the root's boot information" };
    uint64_t mbi = write_mbi();
    load_kernel();

    for (uint32_t k = 0; k < hv_nlps && k < HV_MAX_VPS; k++) {
        uint64_t page = hv_pool_alloc(&hv_pool);
        if (!page)
            hv_panic("root: no memory for VP %u", k);
        struct hv_vp *vp = hv_hpa_ptr(page);
        memset(vp, 0, sizeof *vp);
        vp->part = p;
        vp->index = k;
        vp->lp = k;
        vp->vpid = hv_vp_vpid(p->id, k);
        vp->state = HV_VP_NOT_STARTED;
        if (k == 0)
            entry_state(&vp->ctx, entry, mbi);
        synic_vp_init(vp);
        if (vp_arch_init(vp) != 0)
            hv_panic("root: no memory for VP %u's VMCS", k);
        p->vp[k] = vp;
        p->nvps++;
    }
    hv_log("hv: root partition: kernel entry %#lx, boot information %#lx, %u VPs\n",
           (unsigned long)entry, (unsigned long)mbi, p->nvps);
    p->vp[0]->state = HV_VP_RUNNABLE;
}
