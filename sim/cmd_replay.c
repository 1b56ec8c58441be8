/* cmd_replay.c — `hvsim replay TRACE`: re-run the machine from the inputs a trace recorded and
 * check that it reproduces the trace byte for byte (docs/TRACE-FORMAT.md "Replay").
 *
 * The machine comes from the trace's env (kernel, modules, command line, memory, processors, RTC
 * date, strictness, cycle model, instruction limit, categories); every file is checked against
 * its recorded SHA-256 first. COM1 input: a file input is read again (its hash checked); input
 * that arrived during the run (live, or from a serial log) is re-created from the trace's
 * input_serial events at their recorded virtual times. The new trace is written with the same
 * env, compared with the recording event by event as the run goes (as `hvsim run --verify`, so a
 * divergence is reported with its context and the registers), then file by file.
 *
 * Invariants: nothing of the host reaches the replayed machine; the output directory (a temporary
 * one unless --trace OUT) never is the recording itself.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cmd.h"
#include "sim/config.h"
#include "sim/machine.h"
#include "sim/run_machine.h"
#include "sim/serial_log.h"
#include "sim/sha256.h"
#include "traces/trace_meta.h"
#include "traces/trace_reader.h"
#include "traces/trace_verify.h"

#define REPLAY_MAX_ENV 256

static int replay_usage(FILE *f)
{
    fprintf(f,
        "usage: hvsim replay TRACE [options]\n"
        "  Re-run the machine a trace recorded (`hvsim run --trace TRACE`) from the inputs in\n"
        "  the trace: the configuration and files of its env (their SHA-256 must match) and the\n"
        "  serial input it logged. The new trace is compared with TRACE as the run goes and then\n"
        "  byte for byte; the first difference is reported as by `hvsim run --verify`.\n"
        "options:\n"
        "  --trace OUT            keep the replay's trace in OUT (default: a temporary directory,\n"
        "                         removed afterwards)\n"
        "  --serial FILE|stdio    where COM1 output goes (default stdio)\n"
        "  --verify-context N     events before a divergence to print (default 8)\n"
        "  --quiet                no run summary\n"
        "exit status: 0 the trace is reproduced byte for byte; 2 usage error, or the trace or an\n"
        "  input file cannot be used; 16 the replay diverges\n");
    return f == stderr ? RUN_EXIT_USAGE : 0;
}

/* The recorded run: its env copied (it outlives the reader) and what it means as a machine. */
struct recording {
    struct trace_env env[REPLAY_MAX_ENV];
    unsigned nenv;
    struct machine_config cfg;
    uint64_t max_insns;
    struct serial_log input;        /* input_serial events as arrivals */
};

static void recording_free(struct recording *rec)
{
    for (unsigned k = 0; k < rec->nenv; k++) {
        free((char *)rec->env[k].key);
        free((char *)rec->env[k].value);
    }
    serial_log_free(&rec->input);
}

static const char *env_get(const struct recording *rec, const char *key)
{
    for (unsigned k = 0; k < rec->nenv; k++)
        if (strcmp(rec->env[k].key, key) == 0)
            return rec->env[k].value;
    return NULL;
}

/* A required env entry, or NULL with a message. */
static const char *need(const struct recording *rec, const char *trace, const char *key)
{
    const char *v = env_get(rec, key);
    if (!v)
        fprintf(stderr, "hvsim replay: %s/metadata: env has no '%s': not a trace of `hvsim run`, "
                "or of an older hvsim\n", trace, key);
    return v;
}

static int need_u64(const struct recording *rec, const char *trace, const char *key,
                    uint64_t lo, uint64_t hi, uint64_t *out)
{
    const char *v = need(rec, trace, key);
    if (!v)
        return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "hvsim replay: %s/metadata: env %s = '%s', expected a number from %"
                PRIu64 " to %" PRIu64 "\n", trace, key, v, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

/* The file of env entry `key` must still have the recorded SHA-256 (entry key_sha256). */
static int check_file(const struct recording *rec, const char *trace, const char *key,
                      const char *path)
{
    char k[64], hex[65];
    snprintf(k, sizeof k, "%s_sha256", key);
    const char *want = need(rec, trace, k);
    if (!want)
        return -1;
    if (sha256_file_hex(path, hex)) {
        fprintf(stderr, "hvsim replay: %s %s: cannot read it (paths are as given to the "
                "recorded run, relative to its working directory)\n", key, path);
        return -1;
    }
    if (strcmp(hex, want) != 0) {
        fprintf(stderr, "hvsim replay: %s %s: SHA-256 %s, the trace recorded %s: the file "
                "changed since the recording (use `hvsim run --verify %s` to see what that "
                "changes)\n", key, path, hex, want, trace);
        return -1;
    }
    return 0;
}

/* The env as a machine configuration. 0, or -1 with a message. */
static int recording_config(struct recording *rec, const char *trace)
{
    struct machine_config *cfg = &rec->cfg;
    uint64_t x;
    memset(cfg, 0, sizeof *cfg);
    if (!(cfg->kernel = need(rec, trace, "kernel")) ||
        check_file(rec, trace, "kernel", cfg->kernel))
        return -1;
    for (int m = 0; m < MB_MAX_MODULES; m++) {
        char key[24];
        snprintf(key, sizeof key, "module%d", m);
        const char *mod = env_get(rec, key);
        if (!mod)
            break;
        char file[4096];
        const char *comma = strchr(mod, ',');
        size_t len = comma ? (size_t)(comma - mod) : strlen(mod);
        snprintf(file, sizeof file, "%.*s", (int)(len < sizeof file - 1 ? len : sizeof file - 1),
                 mod);
        if (check_file(rec, trace, key, file))
            return -1;
        char nk[32];
        snprintf(nk, sizeof nk, "module%d_name", m);
        cfg->module_names[cfg->n_modules] = env_get(rec, nk);
        cfg->modules[cfg->n_modules++] = mod;
    }
    cfg->cmdline = env_get(rec, "append");
    if (need_u64(rec, trace, "mem", 2u << 20, UINT64_MAX, &cfg->ram_size) ||
        need_u64(rec, trace, "cpus", 1, MACHINE_MAX_CPUS, &x))
        return -1;
    cfg->cpus = (int)x;
    const char *date = need(rec, trace, "date");
    if (!date)
        return -1;
    if (config_parse_date(date, &cfg->date)) {
        fprintf(stderr, "hvsim replay: %s/metadata: env date = '%s', expected "
                "YYYY-MM-DDTHH:MM:SS\n", trace, date);
        return -1;
    }
    if (need_u64(rec, trace, "strict", 0, 1, &x))
        return -1;
    cfg->strict = x != 0;
    const char *model = need(rec, trace, "cycle_model");
    if (!model)
        return -1;
    if (strcmp(model, "builtin") != 0) {
        if (check_file(rec, trace, "cycle_model", model))
            return -1;
        cfg->model_path = model;
    }
    if (need_u64(rec, trace, "max_insns", 1, UINT64_MAX, &rec->max_insns) ||
        need_u64(rec, trace, "trace_events", 1, TRACE_CAT_ALL, &x))
        return -1;
    cfg->trace_cats = (uint32_t)x;
    const char *in = need(rec, trace, "serial_in_mode");
    if (!in)
        return -1;
    if (strcmp(in, "file") == 0) {
        const char *path = need(rec, trace, "serial_in");
        if (!path || check_file(rec, trace, "serial_in", path))
            return -1;
        cfg->serial_in_mode = SERIAL_IN_FILE;
        cfg->serial_in_path = path;
    } else if (strcmp(in, "live") == 0 || strcmp(in, "replay") == 0) {
        /* what arrived is in the trace: re-create it from the input_serial events */
        cfg->serial_in_mode = SERIAL_IN_REPLAY;
        cfg->serial_in_log = &rec->input;
    } else if (strcmp(in, "none") != 0) {
        fprintf(stderr, "hvsim replay: %s/metadata: env serial_in_mode = '%s', expected none, "
                "file, live or replay\n", trace, in);
        return -1;
    }
    return 0;
}

/* Append one byte arriving at t_ps: to the last arrival if it has the same time. */
static int input_add(struct serial_log *l, uint64_t t_ps, uint8_t byte)
{
    if (l->nbytes == l->bytes_cap) {
        size_t cap = l->bytes_cap ? 2 * l->bytes_cap : 256;
        uint8_t *nb = realloc(l->bytes, cap);
        if (!nb)
            return -1;
        l->bytes = nb;
        l->bytes_cap = cap;
    }
    l->bytes[l->nbytes++] = byte;
    if (l->n && l->arr[l->n - 1].t_ps == t_ps) {
        l->arr[l->n - 1].len++;
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct serial_arrival *na = realloc(l->arr, cap * sizeof *na);
        if (!na)
            return -1;
        l->arr = na;
        l->cap = cap;
    }
    l->arr[l->n++] = (struct serial_arrival){ t_ps, l->nbytes - 1, 1 };
    return 0;
}

/* Read the recording: env and COM1 input events. 0, or -1 with a message. */
static int recording_load(struct recording *rec, const char *trace)
{
    char err[512];
    struct trace_reader *r = trace_reader_open(trace, err, sizeof err);
    if (!r) {
        fprintf(stderr, "hvsim replay: %s\n", err);
        return -1;
    }
    unsigned n = trace_reader_env_count(r);
    if (n > REPLAY_MAX_ENV) {
        fprintf(stderr, "hvsim replay: %s/metadata: %u env entries, at most %d expected\n",
                trace, n, REPLAY_MAX_ENV);
        trace_reader_close(r);
        return -1;
    }
    int rc = 0;
    for (unsigned k = 0; k < n; k++) {
        const char *key = trace_reader_env_key(r, k);
        if (strcmp(key, "hvsim_schema") == 0)
            continue;                   /* the metadata's own, written by trace_meta_build */
        struct trace_env *e = &rec->env[rec->nenv++];
        e->key = strdup(key);
        e->value = strdup(trace_reader_env(r, key));
        if (!e->key || !e->value)
            rc = -1;
    }
    struct trace_event ev;
    int got;
    while (rc == 0 && (got = trace_reader_next(r, &ev)) != 0) {
        if (got < 0) {
            fprintf(stderr, "hvsim replay: %s\n", trace_reader_error(r));
            rc = -2;
        } else if (ev.id == TEV_INPUT_SERIAL && ev.v[0] == 0 &&
                   input_add(&rec->input, ev.ts_ps, (uint8_t)ev.v[1])) {
            rc = -1;
        }
    }
    if (rc == -1)
        fprintf(stderr, "hvsim replay: out of memory\n");
    trace_reader_close(r);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------------ comparing the directories */

/* dir/name in buf; -1 if it does not fit. */
static int join(char *buf, size_t len, const char *dir, const char *name)
{
    int n = snprintf(buf, len, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static int read_whole(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    size_t got;
    while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            uint8_t *nb = realloc(b, 2 * cap);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f) || !b;
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *data = b;
    *len = n;
    return 0;
}

/* Regular files of dir, sorted; -1 if it cannot be read. */
static int list_files(const char *dir, char ***names, unsigned *n)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    struct dirent *de;
    *names = NULL;
    *n = 0;
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char **nn = realloc(*names, (*n + 1) * sizeof *nn);
        if (!nn)
            break;
        *names = nn;
        if (((*names)[*n] = strdup(de->d_name)) != NULL)
            (*n)++;
    }
    closedir(dp);
    for (unsigned i = 1; i < *n; i++)          /* insertion sort: a handful of names */
        for (unsigned j = i; j > 0 && strcmp((*names)[j - 1], (*names)[j]) > 0; j--) {
            char *t = (*names)[j];
            (*names)[j] = (*names)[j - 1];
            (*names)[j - 1] = t;
        }
    return 0;
}

static void free_names(char **names, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        free(names[k]);
    free(names);
}

/* 0 identical (bytes in *total), 1 different (said on stderr), -1 unreadable (said). */
static int compare_dirs(const char *a, const char *b, uint64_t *total)
{
    char **na, **nb;
    unsigned ca, cb;
    if (list_files(a, &na, &ca) || list_files(b, &nb, &cb)) {
        fprintf(stderr, "hvsim replay: cannot list %s or %s\n", a, b);
        return -1;
    }
    int rc = 0;
    *total = 0;
    for (unsigned k = 0; rc == 0 && k < (ca > cb ? ca : cb); k++) {
        if (k >= ca || k >= cb || strcmp(na[k], nb[k]) != 0) {
            fprintf(stderr, "hvsim replay: the replay's trace has other files than %s (%s)\n", a,
                    k < ca ? na[k] : nb[k]);
            rc = 1;
            break;
        }
        char pa[4200], pb[4200];
        uint8_t *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        if (join(pa, sizeof pa, a, na[k]) || join(pb, sizeof pb, b, nb[k]) ||
            read_whole(pa, &da, &la) || read_whole(pb, &db, &lb)) {
            fprintf(stderr, "hvsim replay: cannot read %s or %s\n", pa, pb);
            rc = -1;
        } else {
            size_t off = 0;
            while (off < la && off < lb && da[off] == db[off])
                off++;
            if (off < la || off < lb) {
                fprintf(stderr, "hvsim replay: %s differs from the recording at byte %zu "
                        "(%zu bytes recorded, %zu replayed)\n", na[k], off, la, lb);
                rc = 1;
            }
            *total += la;
        }
        free(da);
        free(db);
    }
    free_names(na, ca);
    free_names(nb, cb);
    return rc;
}

static void remove_dir(const char *dir)
{
    char **names;
    unsigned n;
    if (list_files(dir, &names, &n) == 0) {
        for (unsigned k = 0; k < n; k++) {
            char p[4200];
            if (join(p, sizeof p, dir, names[k]) == 0)
                unlink(p);
        }
        free_names(names, n);
    }
    rmdir(dir);
}

int cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        { "trace", required_argument, 0, 'T' }, { "serial", required_argument, 0, 's' },
        { "verify-context", required_argument, 0, 'X' }, { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
    };
    const char *out = NULL, *serial = "stdio";
    unsigned context = 0;
    bool quiet = false;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'T': out = optarg; break;
        case 's': serial = optarg; break;
        case 'X': {
            uint64_t n;
            if (config_parse_size(optarg, &n) || n < 1 || n > TRACE_VERIFY_CONTEXT_MAX) {
                fprintf(stderr, "hvsim replay: --verify-context '%s': expected a count from 1 "
                        "to %d\n", optarg, TRACE_VERIFY_CONTEXT_MAX);
                return RUN_EXIT_USAGE;
            }
            context = (unsigned)n;
            break;
        }
        case 'q': quiet = true; break;
        case 'h': return replay_usage(stdout);
        default: return replay_usage(stderr);
        }
    }
    if (optind + 1 != argc)
        return replay_usage(stderr);
    const char *trace = argv[optind];

    static struct recording rec;
    memset(&rec, 0, sizeof rec);
    if (recording_load(&rec, trace) || recording_config(&rec, trace)) {
        recording_free(&rec);
        return RUN_EXIT_USAGE;
    }
    char tmp[4200];
    if (!out) {
        const char *td = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/hvsim-replay.XXXXXX", td && *td ? td : "/tmp");
        if (!mkdtemp(tmp)) {
            fprintf(stderr, "hvsim replay: cannot create a temporary directory %s: %s\n", tmp,
                    strerror(errno));
            recording_free(&rec);
            return RUN_EXIT_USAGE;
        }
    } else {
        struct stat sa, sb;
        if (stat(trace, &sa) == 0 && stat(out, &sb) == 0 && sa.st_dev == sb.st_dev &&
            sa.st_ino == sb.st_ino) {
            fprintf(stderr, "hvsim replay: --trace %s is the recording itself\n", out);
            recording_free(&rec);
            return RUN_EXIT_USAGE;
        }
    }
    const char *dir = out ? out : tmp;
    struct machine_config *cfg = &rec.cfg;
    FILE *serial_file = NULL;
    if (strcmp(serial, "stdio") == 0) {
        cfg->serial = stdout;
    } else if (!(serial_file = fopen(serial, "wb"))) {
        fprintf(stderr, "hvsim replay: serial %s: cannot open for writing\n", serial);
        if (!out)
            remove_dir(tmp);
        recording_free(&rec);
        return RUN_EXIT_USAGE;
    } else {
        cfg->serial = serial_file;
    }
    cfg->console = stdout;
    cfg->trace_dir = dir;
    cfg->trace_env = rec.env;
    cfg->trace_nenv = rec.nenv;
    cfg->verify_trace = trace;
    cfg->verify_context = context;

    struct run_result res;
    int st = run_machine("hvsim replay", cfg, rec.max_insns, quiet, &res);
    if (serial_file)
        fclose(serial_file);
    int status;
    uint64_t bytes = 0;
    if (st == RUN_EXIT_USAGE || res.trace_error) {
        status = RUN_EXIT_USAGE;
    } else if (res.diverged) {
        status = RUN_EXIT_DIVERGED;
    } else {
        int c = compare_dirs(trace, dir, &bytes);
        status = c == 0 ? 0 : c > 0 ? RUN_EXIT_DIVERGED : RUN_EXIT_USAGE;
        if (c == 0)
            fprintf(stderr, "hvsim replay: %s reproduced byte for byte (%" PRIu64 " events, %"
                    PRIu64 " bytes)\n", trace, res.events, bytes);
    }
    if (!out)
        remove_dir(tmp);
    recording_free(&rec);
    return status;
}
