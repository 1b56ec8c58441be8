/* model.c — CPU model files: parse the text format of docs/CYCLE-MODEL.md into a struct cpu_model,
 * the built-in default model, and CPUID lookup with Intel's out-of-range rules.
 *
 * Format (one statement per line, '#' starts a comment):
 *     key = value                      name, max_phys_bits, tsc_hz, apic_timer_hz, vendor, ...
 *     tlb.itlb = ENTRIES WAYS          TLB geometry
 *     cost.CLASS = CYCLES              per instruction class (enum insn_class names)
 *     cost.div_extra = B W D Q         extra DIV cycles by operand size
 *     cpuid LEAF[.SUB] = EAX EBX ECX EDX
 *     vmx.NAME = N                     VMX capability MSRs (optional; docs/VMX.md)
 *     inherit = default                start from the built-in model (then override)
 * Numbers are decimal or 0x-hex and may be joined with '|' (OR) to list feature bits.
 *
 * Invariants: the parser never reads past the text it was given and never writes past a field;
 * every error names NAME:LINE and what was expected; a model is complete (every required key
 * present, directly or through `inherit`) or the parse fails.
 */
#include "cpu/model.h"
#include "cpu/vmx.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of cpu/models/default.model, generated at build time (model_default_text.c). */
extern const char model_default_text[];

/* Names of the instruction classes in cost.* keys, indexed by enum insn_class. */
static const char *const class_names[CLS_COUNT] = {
    [CLS_NOP] = "nop", [CLS_ALU] = "alu", [CLS_MOV] = "mov", [CLS_LEA] = "lea",
    [CLS_MUL] = "mul", [CLS_DIV] = "div", [CLS_BRANCH] = "branch", [CLS_CALLRET] = "callret",
    [CLS_STACK] = "stack", [CLS_STRING] = "string", [CLS_BITSCAN] = "bitscan",
    [CLS_XCHG_LOCKED] = "xchg_locked", [CLS_SERIAL] = "serial", [CLS_SYSTEM] = "system",
    [CLS_IO] = "io", [CLS_FAR] = "far", [CLS_INT] = "int", [CLS_OTHER] = "other",
};

/* Scalar keys: where each one lives and how many numbers it takes. */
enum key_kind { K_U32, K_U64, K_TLB, K_DIV4 };
struct key_desc {
    const char *name;
    enum key_kind kind;
    size_t off;
};
#define KOFF(f) offsetof(struct cpu_model, f)
static const struct key_desc scalar_keys[] = {
    { "max_phys_bits", K_U32, KOFF(max_phys_bits) },
    { "max_lin_bits", K_U32, KOFF(max_lin_bits) },
    { "tsc_hz", K_U64, KOFF(tsc_hz) },
    { "apic_timer_hz", K_U64, KOFF(apic_timer_hz) },
    { "mxcsr_mask", K_U32, KOFF(mxcsr_mask) },
    { "tlb.itlb", K_TLB, KOFF(itlb) },
    { "tlb.dtlb", K_TLB, KOFF(dtlb) },
    { "tlb.stlb", K_TLB, KOFF(stlb) },
    { "cost.mem_access", K_U32, KOFF(mem_access) },
    { "cost.tlb_l1_miss_stlb_hit", K_U32, KOFF(tlb_l1_miss_stlb_hit) },
    { "cost.walk_ref", K_U32, KOFF(walk_ref) },
    { "cost.exception", K_U32, KOFF(exception) },
    { "cost.string_elem", K_U32, KOFF(string_elem) },
    { "cost.div_extra", K_DIV4, KOFF(div_extra) },
};
#define N_SCALAR (sizeof scalar_keys / sizeof scalar_keys[0])
/* Optional keys (value 0 when absent): the VMX capability MSRs (docs/VMX.md), checked by
 * vmx_caps_check when CPUID reports VMX, and the VM-entry/VM-exit costs (cpu/vmx_entry.c,
 * cpu/vmx_exit.c; docs/CYCLE-MODEL.md). */
static const struct key_desc optional_keys[] = {
    { "vmx.basic", K_U64, KOFF(vmx.basic) },
    { "vmx.pinbased", K_U64, KOFF(vmx.pinbased) },
    { "vmx.procbased", K_U64, KOFF(vmx.procbased) },
    { "vmx.procbased2", K_U64, KOFF(vmx.procbased2) },
    { "vmx.exit", K_U64, KOFF(vmx.exit) },
    { "vmx.entry", K_U64, KOFF(vmx.entry) },
    { "vmx.true_pinbased", K_U64, KOFF(vmx.true_pinbased) },
    { "vmx.true_procbased", K_U64, KOFF(vmx.true_procbased) },
    { "vmx.true_exit", K_U64, KOFF(vmx.true_exit) },
    { "vmx.true_entry", K_U64, KOFF(vmx.true_entry) },
    { "vmx.misc", K_U64, KOFF(vmx.misc) },
    { "vmx.ept_vpid_cap", K_U64, KOFF(vmx.ept_vpid_cap) },
    { "vmx.vmfunc", K_U64, KOFF(vmx.vmfunc) },
    { "cost.vm_entry", K_U32, KOFF(vm_entry) },
    { "cost.vm_exit", K_U32, KOFF(vm_exit) },
    { "cost.ept_walk_ref", K_U32, KOFF(ept_walk_ref) },
};
#define N_OPTIONAL (sizeof optional_keys / sizeof optional_keys[0])
/* "seen" bits: scalar keys, then class costs, then name. */
#define SEEN_CLASS(k) (N_SCALAR + (k))
#define SEEN_NAME (N_SCALAR + CLS_COUNT)
#define SEEN_BITS (SEEN_NAME + 1)

struct parser {
    struct cpu_model *m;
    const char *name;
    int line;
    int statements;
    char *err;
    unsigned errlen;
    bool seen[SEEN_BITS];
};

static int perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        int n = p->line ? snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line)
                        : snprintf(p->err, p->errlen, "%s: ", p->name);
        if (n >= 0 && (unsigned)n < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + n, p->errlen - (unsigned)n, fmt, ap);
            va_end(ap);
        }
    }
    return -1;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* One number, or several joined by '|'. Advances *sp past it. */
static int parse_num(struct parser *p, const char **sp, uint64_t *out, const char *what)
{
    const char *s = skip_ws(*sp);
    uint64_t v = 0;
    for (;;) {
        if (!isdigit((unsigned char)*s))
            return perr(p, "expected a number for %s, got '%.20s'", what, *s ? s : "end of line");
        errno = 0;
        char *end;
        unsigned long long t = strtoull(s, &end, 0);
        if (errno == ERANGE)
            return perr(p, "number too large for %s", what);
        if (isalnum((unsigned char)*end) || *end == '_')
            return perr(p, "malformed number for %s near '%.20s'", what, s);
        v |= t;
        s = skip_ws(end);
        if (*s != '|')
            break;
        s = skip_ws(s + 1);
    }
    *sp = s;
    *out = v;
    return 0;
}

static int parse_u32(struct parser *p, const char **sp, uint32_t *out, const char *what)
{
    uint64_t v;
    if (parse_num(p, sp, &v, what))
        return -1;
    if (v > 0xffffffffu)
        return perr(p, "%s must fit in 32 bits", what);
    *out = (uint32_t)v;
    return 0;
}

static int expect_end(struct parser *p, const char *s, const char *what)
{
    s = skip_ws(s);
    if (*s)
        return perr(p, "unexpected '%.20s' after %s", s, what);
    return 0;
}

static struct cpuid_entry *cpuid_slot(struct cpu_model *m, uint32_t leaf, uint32_t sub, bool has_sub)
{
    for (int k = 0; k < m->n_cpuid; k++) {
        struct cpuid_entry *e = &m->cpuid[k];
        if (e->leaf == leaf && e->has_subleaf == has_sub && (!has_sub || e->subleaf == sub))
            return e;
    }
    if (m->n_cpuid >= MODEL_MAX_CPUID)
        return NULL;
    struct cpuid_entry *e = &m->cpuid[m->n_cpuid++];
    memset(e, 0, sizeof *e);
    e->leaf = leaf;
    e->subleaf = sub;
    e->has_subleaf = has_sub;
    return e;
}

/* `cpuid LEAF[.SUB] = EAX EBX ECX EDX` (rest is the text after "cpuid"). */
static int parse_cpuid(struct parser *p, const char *s)
{
    uint64_t leaf, sub = 0;
    bool has_sub = false;
    s = skip_ws(s);
    char *end;
    if (!isdigit((unsigned char)*s))
        return perr(p, "expected a leaf number after 'cpuid'");
    errno = 0;
    leaf = strtoull(s, &end, 0);
    if (errno || leaf > 0xffffffffu)
        return perr(p, "cpuid leaf must fit in 32 bits");
    s = end;
    if (*s == '.') {
        s++;
        if (!isdigit((unsigned char)*s))
            return perr(p, "expected a subleaf number after '%llu.'", (unsigned long long)leaf);
        errno = 0;
        sub = strtoull(s, &end, 0);
        if (errno || sub > 0xffffffffu)
            return perr(p, "cpuid subleaf must fit in 32 bits");
        s = end;
        has_sub = true;
    }
    s = skip_ws(s);
    if (*s != '=')
        return perr(p, "expected '=' after the cpuid leaf, as in 'cpuid 0x1 = EAX EBX ECX EDX'");
    s++;
    uint32_t r[4] = { 0, 0, 0, 0 };
    static const char *const rn[4] = { "EAX", "EBX", "ECX", "EDX" };
    for (int k = 0; k < 4; k++)
        if (parse_u32(p, &s, &r[k], rn[k]))
            return -1;
    if (expect_end(p, s, "the four cpuid registers"))
        return -1;
    struct cpuid_entry *e = cpuid_slot(p->m, (uint32_t)leaf, (uint32_t)sub, has_sub);
    if (!e)
        return perr(p, "too many cpuid entries (at most %d)", MODEL_MAX_CPUID);
    e->eax = r[0];
    e->ebx = r[1];
    e->ecx = r[2];
    e->edx = r[3];
    return 0;
}

/* A quoted or bare string value: copies at most cap-1 bytes. */
static int parse_string(struct parser *p, const char *s, char *out, size_t cap, const char *what)
{
    s = skip_ws(s);
    size_t n = 0;
    if (*s == '"') {
        s++;
        while (*s && *s != '"') {
            if (n + 1 >= cap)
                return perr(p, "%s is longer than %zu characters", what, cap - 1);
            out[n++] = *s++;
        }
        if (*s != '"')
            return perr(p, "missing closing '\"' in %s", what);
        s++;
        if (expect_end(p, s, what))
            return -1;
    } else {
        size_t len = strlen(s);
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
            len--;
        if (len == 0)
            return perr(p, "expected a value for %s", what);
        if (len >= cap)
            return perr(p, "%s is longer than %zu characters", what, cap - 1);
        memcpy(out, s, len);
        n = len;
    }
    out[n] = 0;
    return 0;
}

static uint32_t le32(const char *b)
{
    const unsigned char *u = (const unsigned char *)b;
    return u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* vendor = 12 characters: CPUID.0 EBX EDX ECX (SDM Vol. 2 CPUID, leaf 0). Keeps EAX. */
static int set_vendor(struct parser *p, const char *v)
{
    char b[13];
    if (parse_string(p, v, b, sizeof b, "vendor"))
        return -1;
    if (strlen(b) != 12)
        return perr(p, "vendor must be exactly 12 characters (e.g. GenuineIntel)");
    struct cpuid_entry *e = cpuid_slot(p->m, 0, 0, false);
    if (!e)
        return perr(p, "too many cpuid entries");
    e->ebx = le32(b);
    e->edx = le32(b + 4);
    e->ecx = le32(b + 8);
    return 0;
}

/* brand = up to 47 characters: CPUID.80000002h-80000004h, NUL-padded (SDM Vol. 2 CPUID). */
static int set_brand(struct parser *p, const char *v)
{
    char b[48];
    memset(b, 0, sizeof b);
    if (parse_string(p, v, b, sizeof b, "brand"))
        return -1;
    for (int k = 0; k < 3; k++) {
        struct cpuid_entry *e = cpuid_slot(p->m, 0x80000002u + k, 0, false);
        if (!e)
            return perr(p, "too many cpuid entries");
        const char *q = b + 16 * k;
        e->eax = le32(q);
        e->ebx = le32(q + 4);
        e->ecx = le32(q + 8);
        e->edx = le32(q + 12);
    }
    return 0;
}

static int parse_scalar(struct parser *p, const struct key_desc *k, const char *v)
{
    char *base = (char *)p->m + k->off;
    switch (k->kind) {
    case K_U32:
        if (parse_u32(p, &v, (uint32_t *)base, k->name))
            return -1;
        break;
    case K_U64: {
        uint64_t x;
        if (parse_num(p, &v, &x, k->name))
            return -1;
        memcpy(base, &x, sizeof x);
        break;
    }
    case K_TLB: {
        struct tlb_geometry g = { 0, 0 };
        if (parse_u32(p, &v, &g.entries, "TLB entries") || parse_u32(p, &v, &g.ways, "TLB ways"))
            return -1;
        if (g.ways == 0 || g.entries == 0 || g.entries % g.ways)
            return perr(p, "%s: entries must be a non-zero multiple of ways", k->name);
        uint32_t sets = g.entries / g.ways;
        if (sets & (sets - 1))
            return perr(p, "%s: entries/ways must be a power of two (sets are indexed by bits)",
                        k->name);
        memcpy(base, &g, sizeof g);
        break;
    }
    case K_DIV4: {
        uint32_t d[4] = { 0, 0, 0, 0 };
        static const char *const nm[4] = { "byte DIV extra", "word DIV extra",
                                           "dword DIV extra", "qword DIV extra" };
        for (int j = 0; j < 4; j++)
            if (parse_u32(p, &v, &d[j], nm[j]))
                return -1;
        memcpy(base, d, sizeof d);
        break;
    }
    }
    return expect_end(p, v, k->name);
}

static int parse_line(struct parser *p, char *s)
{
    bool quoted = false;
    for (char *q = s; *q; q++) {      /* '#' starts a comment unless inside "..." */
        if (*q == '"')
            quoted = !quoted;
        else if (*q == '#' && !quoted) {
            *q = 0;
            break;
        }
    }
    s = (char *)skip_ws(s);
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        s[--len] = 0;
    if (!*s)
        return 0;
    p->statements++;

    if (!strncmp(s, "cpuid", 5) && (s[5] == ' ' || s[5] == '\t'))
        return parse_cpuid(p, s + 5);

    char *eq = strchr(s, '=');
    if (!eq)
        return perr(p, "expected 'key = value', got '%.40s'", s);
    char *kend = eq;
    while (kend > s && (kend[-1] == ' ' || kend[-1] == '\t'))
        kend--;
    *kend = 0;
    const char *key = s, *val = eq + 1;
    if (!*key)
        return perr(p, "missing key before '='");

    if (!strcmp(key, "inherit")) {
        char what[32];
        if (parse_string(p, val, what, sizeof what, "inherit"))
            return -1;
        if (strcmp(what, "default"))
            return perr(p, "inherit: only 'default' (the built-in model) can be inherited");
        if (p->statements != 1)
            return perr(p, "inherit must be the first statement of the file");
        const struct cpu_model *d = model_default();
        if (!d)
            return perr(p, "the built-in default model is broken");
        *p->m = *d;
        for (unsigned b = 0; b < SEEN_BITS; b++)
            p->seen[b] = true;
        return 0;
    }
    if (!strcmp(key, "name")) {
        p->seen[SEEN_NAME] = true;
        return parse_string(p, val, p->m->name, sizeof p->m->name, "name");
    }
    if (!strcmp(key, "vendor"))
        return set_vendor(p, val);
    if (!strcmp(key, "brand"))
        return set_brand(p, val);
    for (unsigned k = 0; k < N_SCALAR; k++)
        if (!strcmp(key, scalar_keys[k].name)) {
            p->seen[k] = true;
            return parse_scalar(p, &scalar_keys[k], val);
        }
    for (unsigned k = 0; k < N_OPTIONAL; k++)
        if (!strcmp(key, optional_keys[k].name))
            return parse_scalar(p, &optional_keys[k], val);
    if (!strncmp(key, "cost.", 5))
        for (unsigned k = 0; k < CLS_COUNT; k++)
            if (!strcmp(key + 5, class_names[k])) {
                p->seen[SEEN_CLASS(k)] = true;
                return parse_u32(p, &val, &p->m->class_cost[k], key) || expect_end(p, val, key)
                    ? -1 : 0;
            }
    return perr(p, "unknown key '%.40s' (see docs/CYCLE-MODEL.md for the keys)", key);
}

/* After the last line: every required key was given, and the model is self-consistent. */
static int check_complete(struct parser *p)
{
    struct cpu_model *m = p->m;
    for (unsigned b = 0; b < SEEN_BITS; b++) {
        if (p->seen[b])
            continue;
        if (b < N_SCALAR)
            return perr(p, "missing required key '%s'", scalar_keys[b].name);
        if (b < SEEN_NAME)
            return perr(p, "missing required key 'cost.%s'", class_names[b - N_SCALAR]);
        return perr(p, "missing required key 'name'");
    }
    if (m->max_phys_bits < 32 || m->max_phys_bits > 52)
        return perr(p, "max_phys_bits must be between 32 and 52");
    if (m->max_lin_bits != 48 && m->max_lin_bits != 57)
        return perr(p, "max_lin_bits must be 48 or 57");
    if (m->tsc_hz == 0)
        return perr(p, "tsc_hz must not be 0");
    if (m->apic_timer_hz == 0)
        return perr(p, "apic_timer_hz must not be 0");
    /* CPUID.80000008h:EAX reports the address widths (SDM Vol. 2 CPUID): derive or check it. */
    uint32_t want = m->max_phys_bits | m->max_lin_bits << 8;
    struct cpuid_entry *e = NULL;
    for (int k = 0; k < m->n_cpuid; k++)
        if (m->cpuid[k].leaf == 0x80000008u)
            e = &m->cpuid[k];
    if (e && (e->eax & 0xffff) != want)
        return perr(p, "cpuid 0x80000008 EAX[15:0]=0x%x disagrees with max_phys_bits/max_lin_bits "
                    "(expected 0x%x)", e->eax & 0xffff, want);
    if (!cpuid_slot(m, 0, 0, false))
        return perr(p, "too many cpuid entries");
    /* VMX reported (CPUID.1:ECX[5]): the vmx.* keys must describe a consistent capability set */
    uint32_t l1[4];
    model_cpuid(m, 1, 0, l1);
    if (l1[2] & (1u << 5)) {
        char why[200];
        if (vmx_caps_check(m, why, sizeof why))
            return perr(p, "%s", why);
    }
    return 0;
}

static void cpuid_index(struct cpu_model *m);

int model_parse(struct cpu_model *m, const char *text, const char *name, char *err, unsigned errlen)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    memset(m, 0, sizeof *m);
    p.m = m;
    p.name = name ? name : "<model>";
    p.err = err;
    p.errlen = errlen;
    if (err && errlen)
        err[0] = 0;
    char buf[512];
    const char *s = text;
    while (*s) {
        p.line++;
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (len >= sizeof buf)
            return perr(&p, "line longer than %zu characters", sizeof buf - 1);
        memcpy(buf, s, len);
        buf[len] = 0;
        if (parse_line(&p, buf))
            return -1;
        s += len + (nl ? 1 : 0);
    }
    p.line = 0;     /* what is missing belongs to the whole file */
    if (check_complete(&p))
        return -1;
    cpuid_index(m);
    return 0;
}

int model_load(struct cpu_model *m, const char *path, char *err, unsigned errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    char *text = malloc(cap);
    while (text) {
        size_t got = fread(text + n, 1, cap - 1 - n, f);
        n += got;
        if (n < cap - 1)
            break;
        char *t2 = cap < (1u << 24) ? realloc(text, cap * 2) : NULL;
        if (!t2) {
            free(text);
            text = NULL;
            break;
        }
        text = t2;
        cap *= 2;
    }
    bool rderr = ferror(f);
    fclose(f);
    if (!text || rderr) {
        snprintf(err, errlen, "%s: cannot read (%s)", path, text ? "I/O error" : "too large");
        free(text);
        return -1;
    }
    text[n] = 0;
    if (memchr(text, 0, n)) {
        snprintf(err, errlen, "%s: not a text file (contains NUL bytes)", path);
        free(text);
        return -1;
    }
    int r = model_parse(m, text, path, err, errlen);
    free(text);
    return r;
}

const struct cpu_model *model_default(void)
{
    static struct cpu_model def;
    static int state;   /* 0 not parsed, 1 ok, -1 broken */
    if (state == 0) {
        char err[256];
        state = -1;     /* guards against recursion through `inherit` */
        state = model_parse(&def, model_default_text, "cpu/models/default.model", err, sizeof err)
            ? -1 : 1;
        if (state < 0)
            fprintf(stderr, "hvsim: built-in model: %s\n", err);
    }
    return state > 0 ? &def : NULL;
}

/* The index of cpuid_find: entries before a leaf's first entry cannot match it, so the search
 * may start there with the same result. */
static void cpuid_index(struct cpu_model *m)
{
    memset(m->cpuid_first, -1, sizeof m->cpuid_first);
    for (int k = m->n_cpuid - 1; k >= 0; k--) {
        uint32_t leaf = m->cpuid[k].leaf;
        unsigned ext = leaf >= 0x80000000u;
        uint32_t lo = leaf - (ext ? 0x80000000u : 0);
        if (lo < 32)
            m->cpuid_first[ext][lo] = (int8_t)k;
    }
    m->n_indexed = m->n_cpuid;
}

static const struct cpuid_entry *cpuid_find(const struct cpu_model *m, uint32_t leaf, uint32_t sub)
{
    int start = 0;
    if (m->n_indexed && m->n_indexed == m->n_cpuid) {
        unsigned ext = leaf >= 0x80000000u;
        uint32_t lo = leaf - (ext ? 0x80000000u : 0);
        if (lo < 32) {
            if (m->cpuid_first[ext][lo] < 0)
                return NULL;
            start = m->cpuid_first[ext][lo];
        }
    }
    for (int k = start; k < m->n_cpuid; k++) {
        const struct cpuid_entry *e = &m->cpuid[k];
        if (e->leaf == leaf && (!e->has_subleaf || e->subleaf == sub))
            return e;
    }
    return NULL;
}

/* SDM Vol. 2 CPUID: "If a value entered for CPUID.EAX is higher than the maximum input value for
 * basic or extended function for that processor then the data for the highest basic information
 * leaf is returned." Leaves in range that the model does not list read as zeros. */
void model_cpuid(const struct cpu_model *m, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    const struct cpuid_entry *b0 = cpuid_find(m, 0, 0), *x0 = cpuid_find(m, 0x80000000u, 0);
    uint32_t max_basic = b0 ? b0->eax : 0, max_ext = x0 ? x0->eax : 0x80000000u;
    bool ext = leaf >= 0x80000000u;
    if ((!ext && leaf > max_basic) || (ext && leaf > max_ext)) {
        leaf = max_basic;
        /* the highest basic leaf is returned as if queried with the same ECX */
    }
    const struct cpuid_entry *e = cpuid_find(m, leaf, subleaf);
    if (!e) {
        out[0] = out[1] = out[2] = out[3] = 0;
        return;
    }
    out[0] = e->eax;
    out[1] = e->ebx;
    out[2] = e->ecx;
    out[3] = e->edx;
}
