/* tlb.c — set-associative, PCID/VPID/EPT-tagged TLB arrays with true-LRU replacement, the fast
 * slots that mirror L1 entries, and the VMX invalidations by VPID and EPT context (see tlb.h for
 * the model and the invariants).
 */
#include "mmu/tlb.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/model.h"

static const uint8_t ps_shift[TLB_NPS] = { 12, 21, 22, 30 };

static int ps_class(unsigned shift)
{
    switch (shift) {
    case 12: return TLB_PS_4K;
    case 21: return TLB_PS_2M;
    case 22: return TLB_PS_4M;
    default: return TLB_PS_1G;
    }
}

static int array_init(struct tlb_array *a, const struct tlb_geometry *g, uint32_t def_entries,
                      uint32_t def_ways, const char *name)
{
    uint32_t entries = g && g->entries ? g->entries : def_entries;
    uint32_t ways = g && g->ways ? g->ways : def_ways;
    if (ways > entries)
        ways = entries;
    memset(a, 0, sizeof *a);
    a->ways = ways;
    a->sets = entries / ways;
    a->name = name;
    a->e = calloc((size_t)a->sets * ways, sizeof *a->e);
    return a->e ? 0 : -1;
}

void tlb_fast_clear(struct tlb *t)
{
    for (unsigned k = 0; k < TLB_FAST_SLOTS; k++) {
        t->dfast[k].tag = TLB_FAST_INVALID;
        t->ifast[k].tag = TLB_FAST_INVALID;
    }
}

int tlb_create(struct tlb *t, const struct cpu *c)
{
    const struct cpu_model *m = c->model;
    memset(t, 0, sizeof *t);
    tlb_fast_clear(t);
    t->apic_page = t->apic_last = TLB_NO_APIC_PAGE;
    /* Defaults: a Skylake-class core (ITLB 128/8, DTLB 64/4, STLB 1536/12). */
    if (array_init(&t->itlb, m ? &m->itlb : NULL, 128, 8, "itlb") ||
        array_init(&t->dtlb, m ? &m->dtlb : NULL, 64, 4, "dtlb") ||
        array_init(&t->stlb, m ? &m->stlb : NULL, 1536, 12, "stlb")) {
        tlb_free(t);
        return -1;
    }
    t->mem_cost = m ? m->mem_access : 0;
    t->stlb_cost = m ? m->tlb_l1_miss_stlb_hit : 0;
    t->walk_cost = m ? m->walk_ref : 0;
    t->max_phys_bits = m && m->max_phys_bits ? m->max_phys_bits : 46;
    if (t->max_phys_bits > 52)
        t->max_phys_bits = 52;
    t->has_1g = true;
    if (m) {
        /* CPUID.80000001H:EDX[26] Page1GB; if the model lists the leaf, honour it. */
        for (int k = 0; k < m->n_cpuid; k++)
            if (m->cpuid[k].leaf == 0x80000001u)
                t->has_1g = (m->cpuid[k].edx >> 26) & 1;
    }
    return 0;
}

void tlb_free(struct tlb *t)
{
    free(t->itlb.e);
    free(t->dtlb.e);
    free(t->stlb.e);
    t->itlb.e = t->dtlb.e = t->stlb.e = NULL;
}

static inline bool ctx_match(const struct tlb *t, const struct tlb_entry *e, int pcid)
{
    return e->vpid == t->vpid && e->ept == t->ept &&
           (e->pcid == pcid || ((e->flags & TF_G) && pcid != TLB_PCID_GPA));
}

struct tlb_entry *tlb_lookup(struct tlb *t, struct tlb_array *a, uint64_t lin)
{
    for (int s = 0; s < TLB_NPS; s++) {
        if (!a->n_size[s])
            continue;
        unsigned sh = ps_shift[s];
        uint64_t vbase = lin & ~((1ull << sh) - 1);
        struct tlb_entry *set = &a->e[(size_t)((lin >> sh) % a->sets) * a->ways];
        for (uint32_t w = 0; w < a->ways; w++) {
            struct tlb_entry *e = &set[w];
            if ((e->flags & TF_V) && e->shift == sh && e->vbase == vbase &&
                ctx_match(t, e, t->pcid)) {
                e->stamp = ++t->clock;
                return e;
            }
        }
    }
    return NULL;
}

/* Clear the fast slots that mirror entry e (it is about to change or disappear). */
static void fast_drop(struct tlb *t, const struct tlb_array *a, const struct tlb_entry *e)
{
    struct tlb_fast *fast;
    if (a == &t->dtlb)
        fast = t->dfast;
    else if (a == &t->itlb)
        fast = t->ifast;
    else
        return;
    if (e->shift == 12) {
        struct tlb_fast *f = &fast[(e->vbase >> 12) & (TLB_FAST_SLOTS - 1)];
        if (f->e == e)
            f->tag = TLB_FAST_INVALID;
        return;
    }
    for (unsigned k = 0; k < TLB_FAST_SLOTS; k++)
        if (fast[k].e == e)
            fast[k].tag = TLB_FAST_INVALID;
}

static void entry_kill(struct tlb *t, struct tlb_array *a, struct tlb_entry *e)
{
    fast_drop(t, a, e);
    a->n_size[ps_class(e->shift)]--;
    e->flags = 0;
}

/* Entry `idx` of a became valid: name it in the live list (an entry that was already valid, an
 * evicted victim, is named already). */
static inline void live_add(struct tlb_array *a, size_t idx)
{
    if (a->live_over)
        return;
    if (a->nlive < TLB_LIVE_CAP)
        a->live[a->nlive++] = (uint32_t)idx;
    else
        a->live_over = true;
}

/* Visit every valid entry of a that may match (the live list, or all entries after an overflow):
 * kill those for which pred holds, and leave the list naming exactly the survivors when they
 * fit. Returns nothing; the caller clears the fast slots. */
static void array_kill_if(struct tlb_array *a,
                          bool (*pred)(const struct tlb *, const struct tlb_entry *,
                                       const void *),
                          const struct tlb *t, const void *arg)
{
    if (a->live_over) {
        size_t n = (size_t)a->sets * a->ways;
        a->nlive = 0;
        a->live_over = false;
        for (size_t j = 0; j < n; j++) {
            struct tlb_entry *e = &a->e[j];
            if (!(e->flags & TF_V))
                continue;
            if (pred(t, e, arg)) {
                a->n_size[ps_class(e->shift)]--;
                e->flags = 0;
            } else {
                live_add(a, j);
            }
        }
        return;
    }
    /* An index may appear twice (an entry invalidated elsewhere and refilled): the second
     * visit finds it killed or keeps it again; the list stays a superset and an overflow
     * rebuilds it exactly. */
    uint32_t keep = 0;
    for (uint32_t k = 0; k < a->nlive; k++) {
        struct tlb_entry *e = &a->e[a->live[k]];
        if (!(e->flags & TF_V))
            continue;                   /* stale */
        if (pred(t, e, arg)) {
            a->n_size[ps_class(e->shift)]--;
            e->flags = 0;
        } else {
            a->live[keep++] = a->live[k];
        }
    }
    a->nlive = keep;
}

struct tlb_entry *tlb_insert(struct tlb *t, struct tlb_array *a, const struct tlb_entry *src)
{
    struct tlb_entry *set = &a->e[(size_t)((src->vbase >> src->shift) % a->sets) * a->ways];
    struct tlb_entry *victim = NULL;
    for (uint32_t w = 0; w < a->ways && !victim; w++)
        if (!(set[w].flags & TF_V))
            victim = &set[w];
    if (!victim) {
        victim = &set[0];
        for (uint32_t w = 1; w < a->ways; w++)
            if (set[w].stamp < victim->stamp)
                victim = &set[w];
        entry_kill(t, a, victim);
    } else {
        live_add(a, (size_t)(victim - a->e));
    }
    *victim = *src;
    victim->flags |= TF_V;
    victim->stamp = ++t->clock;
    a->n_size[ps_class(src->shift)]++;
    return victim;
}

static bool inval_match(const struct tlb *t, const struct tlb_entry *e, int pcid, bool globals)
{
    if (!(e->flags & TF_V) || e->vpid != t->vpid)
        return false;
    if (e->flags & TF_G)
        return globals;
    return pcid < 0 || e->pcid == pcid;
}

static void array_inval_page(struct tlb *t, struct tlb_array *a, uint64_t lin, int pcid,
                             bool globals)
{
    for (int s = 0; s < TLB_NPS; s++) {
        if (!a->n_size[s])
            continue;
        unsigned sh = ps_shift[s];
        uint64_t vbase = lin & ~((1ull << sh) - 1);
        struct tlb_entry *set = &a->e[(size_t)((lin >> sh) % a->sets) * a->ways];
        for (uint32_t w = 0; w < a->ways; w++)
            if (inval_match(t, &set[w], pcid, globals) && set[w].shift == sh &&
                set[w].vbase == vbase)
                entry_kill(t, a, &set[w]);
    }
}

void tlb_inval_page(struct tlb *t, uint64_t lin, int pcid, bool globals)
{
    array_inval_page(t, &t->itlb, lin, pcid, globals);
    array_inval_page(t, &t->dtlb, lin, pcid, globals);
    array_inval_page(t, &t->stlb, lin, pcid, globals);
}

struct ctx_sel { int pcid; bool globals; };

static bool ctx_sel_match(const struct tlb *t, const struct tlb_entry *e, const void *arg)
{
    const struct ctx_sel *s = arg;
    return inval_match(t, e, s->pcid, s->globals);
}

static void array_inval_ctx(struct tlb *t, struct tlb_array *a, int pcid, bool globals)
{
    struct ctx_sel s = { pcid, globals };
    array_kill_if(a, ctx_sel_match, t, &s);
}

void tlb_inval_ctx(struct tlb *t, int pcid, bool globals)
{
    array_inval_ctx(t, &t->itlb, pcid, globals);
    array_inval_ctx(t, &t->dtlb, pcid, globals);
    array_inval_ctx(t, &t->stlb, pcid, globals);
    tlb_fast_clear(t);
}

/* ---------------------------------------------------------------- VMX contexts (29.4) */

/* Drop every entry of the three arrays for which pred(e, arg) holds, and every fast slot. */
static void kill_if(struct tlb *t,
                    bool (*pred)(const struct tlb *, const struct tlb_entry *, const void *),
                    const void *arg)
{
    array_kill_if(&t->itlb, pred, t, arg);
    array_kill_if(&t->dtlb, pred, t, arg);
    array_kill_if(&t->stlb, pred, t, arg);
    tlb_fast_clear(t);
}

static bool tag_is(const struct tlb *t, const struct tlb_entry *e, const void *arg)
{
    (void)t;
    return e->ept == *(const uint16_t *)arg;
}

uint16_t tlb_ept_tag(struct tlb *t, uint64_t eptp)
{
    for (uint16_t k = 1; k < TLB_EPT_CTX; k++)
        if (t->ept_ctx[k] == eptp)
            return k;
    for (uint16_t k = 1; k < TLB_EPT_CTX; k++)
        if (!t->ept_ctx[k]) {
            t->ept_ctx[k] = eptp;
            return k;
        }
    /* every tag taken: reuse the next one round robin, dropping its mappings */
    uint16_t k = (uint16_t)(1 + t->ept_next % (TLB_EPT_CTX - 1));
    t->ept_next++;
    kill_if(t, tag_is, &k);
    t->ept_ctx[k] = eptp;
    return k;
}

static bool ept_tagged(const struct tlb *t, const struct tlb_entry *e, const void *arg)
{
    (void)t;
    (void)arg;
    return e->ept != 0;
}

void tlb_inval_ept(struct tlb *t, uint64_t eptp, bool all)
{
    if (all) {
        kill_if(t, ept_tagged, NULL);
        return;
    }
    for (uint16_t k = 1; k < TLB_EPT_CTX; k++)
        if (t->ept_ctx[k] && ((t->ept_ctx[k] ^ eptp) & 0x000ffffffffff000ull) == 0)
            kill_if(t, tag_is, &k);
}

struct vpid_sel {
    int vpid;
    bool one_page, globals, gpa_too;
    uint64_t lin;
};

static bool vpid_match(const struct tlb *t, const struct tlb_entry *e, const void *arg)
{
    (void)t;
    const struct vpid_sel *s = arg;
    if (s->vpid < 0 ? e->vpid == 0 : e->vpid != s->vpid)
        return false;
    if (e->pcid == TLB_PCID_GPA)
        return s->gpa_too;
    if ((e->flags & TF_G) && !s->globals)
        return false;
    return !s->one_page || e->vbase == (s->lin & ~((1ull << e->shift) - 1));
}

void tlb_inval_vpid(struct tlb *t, int vpid, bool one_page, uint64_t lin, bool globals,
                    bool gpa_too)
{
    struct vpid_sel s = { vpid, one_page, globals, gpa_too, lin };
    kill_if(t, vpid_match, &s);
}

unsigned tlb_count(const struct tlb_array *a)
{
    unsigned n = 0;
    for (int s = 0; s < TLB_NPS; s++)
        n += a->n_size[s];
    return n;
}
