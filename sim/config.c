/* config.c — parser of the machine configuration file (sim/config.h, docs/CONFIG.md).
 *
 * The text is read line by line without ever being modified or NUL-terminated: each line is a
 * (pointer, length) slice, so embedded NULs, missing final newlines and over-long lines are
 * found and reported instead of silently truncating. A value is unquoted (up to '#' or the end
 * of the line, surrounding blanks removed) or "quoted" (\" and \\ are escapes there).
 *
 * Invariants: on success every field has its value or the default of `hvsim run`; on failure
 * *out owns nothing (every string it had is freed and the pointers are cleared).
 */
#include "sim/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_schema.h"

#define CONFIG_MAX_FILE (1u << 20)  /* config_load: larger files are refused */

int config_parse_size(const char *s, uint64_t *out)
{
    const char *p = s;
    uint64_t v = 0;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *digits = p;
    for (;; p++) {
        unsigned d;
        if (*p >= '0' && *p <= '9')
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    if (p == digits)
        return -1;
    unsigned shift = 0;
    switch (*p) {
    case 'k': case 'K': shift = 10; p++; break;
    case 'm': case 'M': shift = 20; p++; break;
    case 'g': case 'G': shift = 30; p++; break;
    default: break;
    }
    if (shift && p[0] == 'i' && p[1] == 'B')
        p += 2;
    else if (p[0] == 'B')
        p++;
    if (*p || (shift && v > (UINT64_MAX >> shift)))
        return -1;
    *out = v << shift;
    return 0;
}

/* ---- parser state ---- */

struct cfg_parser {
    struct run_config *out;
    const char *name;
    const char *base_dir;
    int line;
    char *err;
    size_t errlen;
    int first_line[16];             /* per key: the line that set it, 0: not yet */
};

__attribute__((format(printf, 2, 3)))
static int fail(struct cfg_parser *p, const char *fmt, ...)
{
    if (!p->errlen)
        return -1;
    int n = snprintf(p->err, p->errlen, "%s:%d: ", p->name, p->line);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Keep s (malloc'd) in the run_config; NULL when out of memory or out of slots. */
static char *own(struct run_config *c, char *s)
{
    if (!s)
        return NULL;
    if (c->n_owned >= (int)(sizeof c->owned / sizeof c->owned[0])) {
        free(s);
        return NULL;
    }
    c->owned[c->n_owned++] = s;
    return s;
}

static char *build_dir;     /* config_set_build_dir */

void config_set_build_dir(const char *dir)
{
    free(build_dir);
    build_dir = dir && *dir ? strdup(dir) : NULL;
}

/* A file path from the configuration: build_dir/rest for "@build/rest", else base_dir/path
 * unless path is absolute or no base_dir. */
static char *resolve(const struct cfg_parser *p, const char *path)
{
    if (strncmp(path, CONFIG_BUILD_PREFIX, strlen(CONFIG_BUILD_PREFIX)) == 0 && build_dir) {
        const char *rest = path + strlen(CONFIG_BUILD_PREFIX);
        size_t nb = strlen(build_dir), nr = strlen(rest);
        char *s = malloc(nb + nr + 2);
        if (s) {
            memcpy(s, build_dir, nb);
            s[nb] = '/';
            memcpy(s + nb + 1, rest, nr + 1);
        }
        return s;
    }
    if (path[0] == '/' || !p->base_dir || !p->base_dir[0])
        return strdup(path);
    size_t nb = strlen(p->base_dir), np = strlen(path);
    char *s = malloc(nb + np + 2);
    if (!s)
        return NULL;
    memcpy(s, p->base_dir, nb);
    size_t k = nb;
    if (s[k - 1] != '/')
        s[k++] = '/';
    memcpy(s + k, path, np + 1);
    return s;
}

/* n decimal digits (1..max) from *s into *v, advancing *s. */
static bool take_num(const char **s, int max, int *v)
{
    int n = 0, x = 0;
    while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9') {
        x = x * 10 + ((*s)[n] - '0');
        n++;
    }
    if (!n)
        return false;
    *s += n;
    *v = x;
    return true;
}

static bool parse_date(const char *s, struct rtc_time *t)
{
    struct rtc_time d;
    if (!take_num(&s, 4, &d.year) || *s++ != '-' || !take_num(&s, 2, &d.month) ||
        *s++ != '-' || !take_num(&s, 2, &d.day) || *s++ != 'T' || !take_num(&s, 2, &d.hour) ||
        *s++ != ':' || !take_num(&s, 2, &d.minute) || *s++ != ':' ||
        !take_num(&s, 2, &d.second) || *s)
        return false;
    if (!rtc_valid(&d))
        return false;
    *t = d;
    return true;
}

int config_parse_date(const char *s, struct rtc_time *t)
{
    return parse_date(s, t) ? 0 : -1;
}

static int parse_bool(const char *s)
{
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
        return 0;
    return -1;
}

/* ---- the keys (the long options of `hvsim run`) ---- */

enum key_id { K_KERNEL, K_MODULE, K_APPEND, K_MEM, K_CPUS, K_SERIAL, K_CYCLE_MODEL,
              K_MAX_INSNS, K_DATE, K_STRICT, K_SERIAL_IN, K_SERIAL_LOG, K_SERIAL_REPLAY,
              K_TRACE, K_TRACE_EVENTS, K_COUNT };

static const char *const key_names[K_COUNT] = {
    [K_KERNEL] = "kernel", [K_MODULE] = "module", [K_APPEND] = "append", [K_MEM] = "mem",
    [K_CPUS] = "cpus", [K_SERIAL] = "serial", [K_CYCLE_MODEL] = "cycle-model",
    [K_MAX_INSNS] = "max-insns", [K_DATE] = "date", [K_STRICT] = "strict",
    [K_SERIAL_IN] = "serial-in", [K_SERIAL_LOG] = "serial-log",
    [K_SERIAL_REPLAY] = "serial-replay", [K_TRACE] = "trace", [K_TRACE_EVENTS] = "trace-events",
};

#define KEY_LIST "kernel, module, append, mem, cpus, serial, cycle-model, max-insns, date, " \
                 "strict, serial-in, serial-log, serial-replay, trace, trace-events"

#define OOM(p) fail(p, "out of memory")

static int set_key(struct cfg_parser *p, enum key_id k, const char *v)
{
    struct run_config *c = p->out;
    struct machine_config *m = &c->machine;
    const char *kn = key_names[k];
    char *s;
    uint64_t n;
    switch (k) {
    case K_KERNEL:
    case K_CYCLE_MODEL:
        if (!v[0])
            return fail(p, "%s: expected a file name", kn);
        if (!(s = own(c, resolve(p, v))))
            return OOM(p);
        *(k == K_KERNEL ? &m->kernel : &m->model_path) = s;
        return 0;
    case K_MODULE: {
        if (m->n_modules >= MB_MAX_MODULES)
            return fail(p, "module: more than %d modules", MB_MAX_MODULES);
        if (!v[0] || v[0] == ',')
            return fail(p, "module: expected FILE[,ARGS], got '%s'", v);
        /* only FILE (up to the first comma) is a path; ARGS is the module's string. The string
         * shows FILE as written here, not resolved (it reaches the guest: no host directory) */
        if (!(s = own(c, resolve(p, v))))
            return OOM(p);
        const char *comma = strchr(v, ',');
        char *name = own(c, strndup(v, comma ? (size_t)(comma - v) : strlen(v)));
        if (!name)
            return OOM(p);
        m->module_names[m->n_modules] = name;
        m->modules[m->n_modules++] = s;
        return 0;
    }
    case K_APPEND:
        if (!(s = own(c, strdup(v))))
            return OOM(p);
        m->cmdline = s;
        return 0;
    case K_MEM:
        if (config_parse_size(v, &n))
            return fail(p, "mem: expected a size such as 64M or 1G, got '%s'", v);
        if (n < (2u << 20) || (n & 0xfff))
            return fail(p, "mem: expected at least 2M in whole 4K pages, got '%s'", v);
        m->ram_size = n;
        return 0;
    case K_CPUS:
        if (config_parse_size(v, &n) || n == 0 || n > 255 || v[strspn(v, "0123456789")])
            return fail(p, "cpus: expected a number of processors from 1 to 255, got '%s'", v);
        m->cpus = (int)n;
        return 0;
    case K_SERIAL:
        if (!v[0])
            return fail(p, "serial: expected 'stdio' or a file name");
        if (!(s = own(c, strcmp(v, "stdio") ? resolve(p, v) : strdup(v))))
            return OOM(p);
        c->serial = s;
        return 0;
    case K_SERIAL_IN:
        if (!v[0])
            return fail(p, "serial-in: expected 'stdio' or a file name");
        if (!(s = own(c, strcmp(v, "stdio") ? resolve(p, v) : strdup(v))))
            return OOM(p);
        c->serial_in = s;
        return 0;
    case K_SERIAL_LOG:
    case K_SERIAL_REPLAY:
        if (!v[0])
            return fail(p, "%s: expected a file name", kn);
        if (!(s = own(c, resolve(p, v))))
            return OOM(p);
        *(k == K_SERIAL_LOG ? &c->serial_log : &c->serial_replay) = s;
        return 0;
    case K_TRACE:
        if (!v[0])
            return fail(p, "trace: expected a directory name");
        if (!(s = own(c, resolve(p, v))))
            return OOM(p);
        m->trace_dir = s;
        return 0;
    case K_TRACE_EVENTS: {
        uint32_t cats;
        if (trace_cats_parse(v, &cats))
            return fail(p, "trace-events: expected a comma-separated list of " TRACE_CATS_NAMES
                        ", got '%s'", v);
        m->trace_cats = cats;
        return 0;
    }
    case K_MAX_INSNS:
        if (config_parse_size(v, &n) || n == 0)
            return fail(p, "max-insns: expected a positive count such as 500M, got '%s'", v);
        c->max_insns = n;
        return 0;
    case K_DATE:
        if (!parse_date(v, &m->date))
            return fail(p, "date: expected YYYY-MM-DDTHH:MM:SS, a real date from 1970 on, "
                        "got '%s'", v);
        return 0;
    case K_STRICT: {
        int b = parse_bool(v);
        if (b < 0)
            return fail(p, "strict: expected true, false, yes, no, 1 or 0, got '%s'", v);
        m->strict = b;
        return 0;
    }
    default:
        return fail(p, "internal error: key %d", (int)k);
    }
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t'; }

/* One line [s, s+n) without its line ending. */
static int parse_line(struct cfg_parser *p, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n || s[i] == '#')
        return 0;                   /* blank or comment */
    size_t k0 = i;
    while (i < n && s[i] != '=' && !is_blank(s[i]) && s[i] != '#')
        i++;
    size_t klen = i - k0;
    if (!klen)
        return fail(p, "expected a key before '='");
    while (i < n && is_blank(s[i]))
        i++;
    if (i == n || s[i] != '=')
        return fail(p, "expected 'key = value', but '%.*s' is not followed by '='",
                    (int)(klen > 64 ? 64 : klen), s + k0);
    i++;
    int k;
    for (k = 0; k < K_COUNT; k++)
        if (strlen(key_names[k]) == klen && !memcmp(key_names[k], s + k0, klen))
            break;
    if (k == K_COUNT)
        return fail(p, "unknown key '%.*s' (expected one of " KEY_LIST ")",
                    (int)(klen > 64 ? 64 : klen), s + k0);
    if (k != K_MODULE && p->first_line[k])
        return fail(p, "%s: set twice (first on line %d)", key_names[k], p->first_line[k]);

    char value[CONFIG_MAX_LINE + 1];
    size_t vl = 0;
    while (i < n && is_blank(s[i]))
        i++;
    if (i < n && s[i] == '"') {
        for (i++;; i++) {
            if (i == n)
                return fail(p, "%s: unterminated quote", key_names[k]);
            if (s[i] == '"')
                break;
            if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\'))
                i++;
            value[vl++] = s[i];
        }
        for (i++; i < n && is_blank(s[i]); i++)
            ;
        if (i < n && s[i] != '#')
            return fail(p, "%s: expected the end of the line after the closing quote",
                        key_names[k]);
    } else {
        while (i < n && s[i] != '#')
            value[vl++] = s[i++];
        while (vl && is_blank(value[vl - 1]))
            vl--;
        if (memchr(value, '"', vl))
            return fail(p, "%s: a quote must enclose the whole value", key_names[k]);
    }
    value[vl] = 0;
    if (set_key(p, (enum key_id)k, value))
        return -1;
    if (!p->first_line[k])
        p->first_line[k] = p->line;
    return 0;
}

/* COM1's input has one source: serial-in or serial-replay, and serial-log records live input
 * (serial-in = stdio) only. Reported at the later of the two lines in conflict. */
static int check_serial_input(struct cfg_parser *p)
{
    const struct run_config *c = p->out;
    int in = p->first_line[K_SERIAL_IN], rep = p->first_line[K_SERIAL_REPLAY],
        log = p->first_line[K_SERIAL_LOG];
    if (in && rep) {
        p->line = in > rep ? in : rep;
        return fail(p, "%s: serial-in (line %d) and serial-replay (line %d) both choose COM1's "
                    "input; expected only one", in > rep ? "serial-in" : "serial-replay", in, rep);
    }
    if (log && (rep || (in && strcmp(c->serial_in, "stdio")))) {
        int other = rep ? rep : in;
        p->line = log > other ? log : other;
        return fail(p, "serial-log: records live input, so it expects serial-in = stdio, not "
                    "%s (line %d)", rep ? "serial-replay" : "a file", other);
    }
    return 0;
}

void config_free(struct run_config *c)
{
    for (int k = 0; k < c->n_owned; k++)
        free(c->owned[k]);
    c->n_owned = 0;
    c->machine.kernel = c->machine.cmdline = c->machine.model_path = NULL;
    for (int k = 0; k < c->machine.n_modules; k++)
        c->machine.modules[k] = NULL;
    c->machine.n_modules = 0;
    c->serial = "stdio";
    c->serial_in = c->serial_log = c->serial_replay = NULL;
}

static void config_defaults(struct run_config *c)
{
    memset(c, 0, sizeof *c);
    c->machine.ram_size = 128u << 20;
    c->machine.cpus = 1;
    c->machine.trace_cats = TRACE_CAT_DEFAULT;
    c->machine.date = (struct rtc_time){ 2000, 1, 1, 0, 0, 0 };
    c->machine.console = stdout;
    c->serial = "stdio";
    c->max_insns = UINT64_MAX;
}

int config_parse(const char *text, size_t len, const char *name, const char *base_dir,
                 struct run_config *out, char *err, size_t errlen)
{
    struct cfg_parser p = { .out = out, .name = name ? name : "(config)", .base_dir = base_dir,
                            .err = err, .errlen = errlen };
    config_defaults(out);
    if (errlen)
        err[0] = 0;
    size_t pos = 0;
    while (pos < len) {
        p.line++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *s = text + pos;
        pos += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r')
            n--;
        int r;
        if (n > CONFIG_MAX_LINE)
            r = fail(&p, "line longer than %d bytes", CONFIG_MAX_LINE);
        else if (memchr(s, 0, n))
            r = fail(&p, "NUL byte in the line");
        else
            r = parse_line(&p, s, n);
        if (r) {
            config_free(out);
            return -1;
        }
    }
    if (check_serial_input(&p)) {
        config_free(out);
        return -1;
    }
    for (int k = 0; k < K_COUNT; k++)
        if (p.first_line[k])
            out->set_mask |= 1u << k;
    return 0;
}

int config_load(const char *path, struct run_config *out, char *err, size_t errlen)
{
    config_defaults(out);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(CONFIG_MAX_FILE + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    size_t len = fread(buf, 1, CONFIG_MAX_FILE + 1, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad || len > CONFIG_MAX_FILE) {
        free(buf);
        snprintf(err, errlen, bad ? "%s: read error" : "%s: larger than 1 MiB", path);
        return -1;
    }
    char *dir = NULL;
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        dir = strndup(path, dl);
    }
    int r = (slash && !dir) ? (snprintf(err, errlen, "%s: out of memory", path), -1)
                            : config_parse(buf, len, path, dir, out, err, errlen);
    free(dir);
    free(buf);
    return r;
}
