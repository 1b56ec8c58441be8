/* partcfg.c — parser of the partition configuration (format: docs/HYPERVISOR.md "Partition
 * configuration"; invariants: partcfg.h).
 *
 * One pass over the lines. Every byte is checked before it is used (printable ASCII and tab; a
 * CR just before the LF; bytes above 0x7F only in a comment, so UTF-8 comments work); a line is cut at '#', trimmed, and is then empty, a section header
 * "[partition NAME]" or "key = value" inside a section. A section is checked for its required
 * keys when the next one starts and at the end of the text. No library calls: the same code runs
 * in the root kernel and on the host.
 */
#include "partitions/root/partcfg.h"

/* ---------------------------------------------------------------- error messages */

struct pc_err {
    char *buf;
    size_t size, used;
};

static void err_str(struct pc_err *e, const char *s)
{
    for (; *s; s++)
        if (e->size && e->used + 1 < e->size)
            e->buf[e->used++] = *s;
    if (e->size)
        e->buf[e->used] = 0;
}

static void err_uint(struct pc_err *e, uint32_t v)
{
    char d[11];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    char s[12];
    for (int k = 0; k < n; k++)
        s[k] = d[n - 1 - k];
    s[n] = 0;
    err_str(e, s);
}

/* "partcfg:LINE: expected WHAT" (+ "'EXTRA'" if extra): always returns -1. */
static int fail(struct pc_err *e, uint32_t line, const char *what, const char *extra)
{
    e->used = 0;
    err_str(e, "partcfg:");
    err_uint(e, line);
    err_str(e, ": expected ");
    err_str(e, what);
    if (extra) {
        err_str(e, " '");
        err_str(e, extra);
        err_str(e, "'");
    }
    return -1;
}

/* ---------------------------------------------------------------- text helpers */

/* A slice of the input [p, p + n). */
struct pc_str {
    const char *p;
    size_t n;
};

static bool is_blank(char c) { return c == ' ' || c == '\t'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '-';
}

static struct pc_str trim(struct pc_str s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool str_is(struct pc_str s, const char *lit)
{
    size_t k = 0;
    for (; lit[k]; k++)
        if (k >= s.n || s.p[k] != lit[k])
            return false;
    return k == s.n;
}

static void copy_out(char *dst, struct pc_str s)
{
    for (size_t k = 0; k < s.n; k++)
        dst[k] = s.p[k];
    dst[s.n] = 0;
}

static bool cstr_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* ---------------------------------------------------------------- values */

/* A size: decimal digits and an optional K, M or G (binary units). */
static bool parse_size(struct pc_str v, uint64_t *out)
{
    uint64_t x = 0;
    size_t k = 0;
    for (; k < v.n && is_digit(v.p[k]); k++) {
        x = x * 10 + (uint64_t)(v.p[k] - '0');
        if (x > PARTCFG_MEM_MAX * 1024)       /* far above any valid value: stop before overflow */
            return false;
    }
    if (k == 0)
        return false;
    unsigned shift = 0;
    if (k + 1 == v.n) {
        switch (v.p[k]) {
        case 'K': case 'k': shift = 10; break;
        case 'M': case 'm': shift = 20; break;
        case 'G': case 'g': shift = 30; break;
        default: return false;
        }
    } else if (k != v.n) {
        return false;
    }
    if (x > (PARTCFG_MEM_MAX >> shift))
        return false;
    x <<= shift;
    if (x < PARTCFG_MEM_MIN || x % 4096)
        return false;
    *out = x;
    return true;
}

static bool parse_vps(struct pc_str v, uint32_t *out)
{
    uint32_t x = 0;
    if (v.n == 0 || v.n > 2)
        return false;
    for (size_t k = 0; k < v.n; k++) {
        if (!is_digit(v.p[k]))
            return false;
        x = x * 10 + (uint32_t)(v.p[k] - '0');
    }
    if (x < 1 || x > PARTCFG_MAX_VPS)
        return false;
    *out = x;
    return true;
}

static const struct {
    const char *word;
    uint32_t bit;
} workload_items[] = {
    { "compute", PARTCFG_WL_COMPUTE },
    { "timer", PARTCFG_WL_TIMER },
    { "message", PARTCFG_WL_MESSAGE },
    { "smp", PARTCFG_WL_SMP },
    { "hostile", PARTCFG_WL_HOSTILE },
    { "xstate", PARTCFG_WL_XSTATE },
    { "apic", PARTCFG_WL_APIC },
    { "mmio", PARTCFG_WL_MMIO },
    { "cpuid", PARTCFG_WL_CPUID },
    { "int3", PARTCFG_WL_INT3 },
};
#define N_WORKLOAD_ITEMS (sizeof workload_items / sizeof workload_items[0])

/* Comma-separated items, blanks allowed around each. */
static bool parse_workload(struct pc_str v, uint32_t *out)
{
    uint32_t bits = 0;
    size_t start = 0;
    for (size_t k = 0; k <= v.n; k++) {
        if (k < v.n && v.p[k] != ',')
            continue;
        struct pc_str item = trim((struct pc_str){ v.p + start, k - start });
        size_t i = 0;
        while (i < N_WORKLOAD_ITEMS && !str_is(item, workload_items[i].word))
            i++;
        if (i == N_WORKLOAD_ITEMS)
            return false;
        bits |= workload_items[i].bit;
        start = k + 1;
    }
    *out = bits;
    return true;
}

static bool valid_image(struct pc_str v)
{
    if (v.n == 0 || v.n > PARTCFG_IMAGE_MAX)
        return false;
    for (size_t k = 0; k < v.n; k++)
        if (is_blank(v.p[k]))
            return false;
    return true;
}

/* ---------------------------------------------------------------- lines */

#define SEEN_IMAGE    1u
#define SEEN_MEMORY   2u
#define SEEN_VPS      4u
#define SEEN_WORKLOAD 8u

struct pc_state {
    struct partcfg *cfg;
    struct pc_err *err;
    struct partcfg_part *cur;       /* the section being read, NULL before the first */
    unsigned seen;                  /* SEEN_* keys of cur */
};

/* The section just read has its required keys. */
static int end_section(struct pc_state *st)
{
    if (!st->cur)
        return 0;
    if (!(st->seen & SEEN_IMAGE))
        return fail(st->err, st->cur->line, "an 'image' line in partition", st->cur->name);
    if (!(st->seen & SEEN_MEMORY))
        return fail(st->err, st->cur->line, "a 'memory' line in partition", st->cur->name);
    return 0;
}

/* "[partition NAME]" (blanks allowed inside the brackets). */
static int section_line(struct pc_state *st, struct pc_str s, uint32_t line)
{
    if (s.n < 2 || s.p[s.n - 1] != ']')
        return fail(st->err, line, "'[partition NAME]'", 0);
    struct pc_str in = trim((struct pc_str){ s.p + 1, s.n - 2 });
    static const char kw[] = "partition";
    size_t kwlen = sizeof kw - 1;
    if (in.n <= kwlen || !str_is((struct pc_str){ in.p, kwlen }, kw) || !is_blank(in.p[kwlen]))
        return fail(st->err, line, "'[partition NAME]'", 0);
    struct pc_str name = trim((struct pc_str){ in.p + kwlen, in.n - kwlen });
    if (name.n == 0 || name.n > PARTCFG_NAME_MAX)
        return fail(st->err, line, "a partition name of 1 to 23 letters, digits, '_' or '-'", 0);
    for (size_t k = 0; k < name.n; k++)
        if (!is_name_char(name.p[k]))
            return fail(st->err, line, "a partition name of 1 to 23 letters, digits, '_' or '-'",
                        0);
    if (end_section(st) < 0)
        return -1;
    struct partcfg *cfg = st->cfg;
    char buf[PARTCFG_NAME_MAX + 1];
    copy_out(buf, name);
    for (uint32_t i = 0; i < cfg->n; i++)
        if (cstr_eq(cfg->part[i].name, buf))
            return fail(st->err, line, "a partition name not used before, not", buf);
    if (cfg->n == PARTCFG_MAX_PARTITIONS)
        return fail(st->err, line, "at most 8 partitions", 0);
    struct partcfg_part *p = &cfg->part[cfg->n++];
    copy_out(p->name, name);
    p->image[0] = 0;
    p->memory = 0;
    p->vps = 1;
    p->workload = PARTCFG_WL_COMPUTE;
    p->line = line;
    st->cur = p;
    st->seen = 0;
    return 0;
}

/* "key = value" inside a section. */
static int key_line(struct pc_state *st, struct pc_str s, uint32_t line)
{
    size_t eq = 0;
    while (eq < s.n && s.p[eq] != '=')
        eq++;
    if (eq == s.n)
        return fail(st->err, line, "'key = value' or '[partition NAME]'", 0);
    struct pc_str key = trim((struct pc_str){ s.p, eq });
    struct pc_str val = trim((struct pc_str){ s.p + eq + 1, s.n - eq - 1 });
    if (!st->cur)
        return fail(st->err, line, "'[partition NAME]' before the first key", 0);
    unsigned bit;
    if (str_is(key, "image"))
        bit = SEEN_IMAGE;
    else if (str_is(key, "memory"))
        bit = SEEN_MEMORY;
    else if (str_is(key, "vps"))
        bit = SEEN_VPS;
    else if (str_is(key, "workload"))
        bit = SEEN_WORKLOAD;
    else
        return fail(st->err, line, "a key image, memory, vps or workload", 0);
    if (st->seen & bit)
        return fail(st->err, line, "each key once per partition", 0);
    st->seen |= bit;
    struct partcfg_part *p = st->cur;
    switch (bit) {
    case SEEN_IMAGE:
        if (!valid_image(val))
            return fail(st->err, line, "an image name of 1 to 63 characters without blanks", 0);
        copy_out(p->image, val);
        return 0;
    case SEEN_MEMORY:
        if (!parse_size(val, &p->memory))
            return fail(st->err, line,
                        "a memory size (bytes or K, M, G) from 1M to 1G, a multiple of 4K", 0);
        return 0;
    case SEEN_VPS:
        if (!parse_vps(val, &p->vps))
            return fail(st->err, line, "a VP count from 1 to 16", 0);
        return 0;
    default:
        if (!parse_workload(val, &p->workload))
            return fail(st->err, line,
                        "workload items compute, timer, message, smp, hostile, xstate, apic, "
                        "mmio, cpuid or int3 separated by commas", 0);
        return 0;
    }
}

/* One line without its end: check the bytes, cut the comment, trim, dispatch. */
static int one_line(struct pc_state *st, struct pc_str s, uint32_t line)
{
    if (s.n && s.p[s.n - 1] == '\r')
        s.n--;
    if (s.n > PARTCFG_LINE_MAX)
        return fail(st->err, line, "a line of at most 255 characters", 0);
    /* control characters nowhere; bytes above 0x7E (UTF-8) only in a comment */
    size_t hash = s.n;
    for (size_t k = 0; k < s.n; k++) {
        unsigned char c = (unsigned char)s.p[k];
        if (c == '#' && hash == s.n)
            hash = k;
        if ((c < 0x20 && c != '\t') || c == 0x7F || (c > 0x7F && k < hash))
            return fail(st->err, line, "printable ASCII text", 0);
    }
    s.n = hash;
    s = trim(s);
    if (s.n == 0)
        return 0;
    if (s.p[0] == '[')
        return section_line(st, s, line);
    return key_line(st, s, line);
}

int partcfg_parse(const char *buf, size_t len, struct partcfg *cfg, char *err, size_t errlen)
{
    struct pc_err e = { err, errlen, 0 };
    struct pc_state st = { cfg, &e, 0, 0 };
    cfg->n = 0;
    if (errlen)
        err[0] = 0;
    uint32_t line = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && buf[end] != '\n')
            end++;
        line++;
        if (one_line(&st, (struct pc_str){ buf + pos, end - pos }, line) < 0)
            goto bad;
        pos = end + 1;      /* past the LF (or len + 1 at the end: the loop stops) */
    }
    if (end_section(&st) < 0)
        goto bad;
    if (cfg->n == 0) {
        fail(&e, line ? line : 1, "at least one '[partition NAME]'", 0);
        goto bad;
    }
    return 0;
bad:
    cfg->n = 0;
    return -1;
}

/* ---------------------------------------------------------------- module strings */

bool partcfg_module_matches(const char *string, const char *name)
{
    size_t nlen = 0;
    while (name[nlen])
        nlen++;
    if (nlen == 0)
        return false;
    const char *p = string;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - w);
        if (wlen < nlen)
            continue;
        const char *tail = w + wlen - nlen;
        size_t k = 0;
        while (k < nlen && tail[k] == name[k])
            k++;
        if (k == nlen && (wlen == nlen || tail[-1] == '/'))
            return true;
    }
    return false;
}

size_t partcfg_workload_text(uint32_t workload, char *out, size_t size)
{
    size_t n = 0;
    if (size == 0)
        return 0;
    for (size_t i = 0; i < N_WORKLOAD_ITEMS; i++) {
        if (!(workload & workload_items[i].bit))
            continue;
        const char *w = workload_items[i].word;
        if (n && n + 1 < size)
            out[n++] = ',';
        for (; *w && n + 1 < size; w++)
            out[n++] = *w;
    }
    out[n] = 0;
    return n;
}
