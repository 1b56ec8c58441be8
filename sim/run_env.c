/* run_env.c — see run_env.h. */
#include "sim/run_env.h"

#include <stdio.h>
#include <string.h>

#include "sim/sha256.h"

/* The text of cpu/models/default.model (model_default_text.c, generated at build time). */
extern const char model_default_text[];

static void add(struct run_env *env, const char *key, const char *val)
{
    if (env->n >= RUN_ENV_MAX)
        return;
    unsigned k = env->n++;
    snprintf(env->keys[k], sizeof env->keys[k], "%s", key);
    snprintf(env->vals[k], sizeof env->vals[k], "%s", val ? val : "");
    env->e[k].key = env->keys[k];
    env->e[k].value = env->vals[k];
}

static void add_u64(struct run_env *env, const char *key, uint64_t v)
{
    char b[32];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    add(env, key, b);
}

static void add_file(struct run_env *env, const char *key, const char *path)
{
    char hex[65], k[40];
    add(env, key, path);
    sha256_file_hex(path, hex);
    snprintf(k, sizeof k, "%s_sha256", key);
    add(env, k, hex);
}

void run_env_build(struct run_env *env, const struct machine_config *cfg, uint64_t max_insns)
{
    memset(env, 0, sizeof *env);
    add(env, "hvsim_version", PACKAGE_VERSION);
    add_file(env, "kernel", cfg->kernel);
    for (int m = 0; m < cfg->n_modules; m++) {
        /* "FILE[,ARGS]": the string as given, and the hash of FILE */
        char key[24], file[4096];
        snprintf(key, sizeof key, "module%d", m);
        add(env, key, cfg->modules[m]);
        const char *comma = strchr(cfg->modules[m], ',');
        size_t len = comma ? (size_t)(comma - cfg->modules[m]) : strlen(cfg->modules[m]);
        snprintf(file, sizeof file, "%.*s", (int)(len < sizeof file - 1 ? len : sizeof file - 1),
                 cfg->modules[m]);
        char hex[65], hk[40];
        sha256_file_hex(file, hex);
        snprintf(hk, sizeof hk, "module%d_sha256", m);
        add(env, hk, hex);
        if (cfg->module_names[m]) {     /* the FILE its string shows (sim/multiboot.h) */
            snprintf(hk, sizeof hk, "module%d_name", m);
            add(env, hk, cfg->module_names[m]);
        }
    }
    add(env, "append", cfg->cmdline ? cfg->cmdline : "");
    add_u64(env, "mem", cfg->ram_size);
    add_u64(env, "cpus", (uint64_t)cfg->cpus);
    char date[40];
    snprintf(date, sizeof date, "%04d-%02d-%02dT%02d:%02d:%02d", cfg->date.year, cfg->date.month,
             cfg->date.day, cfg->date.hour, cfg->date.minute, cfg->date.second);
    add(env, "date", date);
    add(env, "strict", cfg->strict ? "1" : "0");
    if (cfg->model_path) {
        add_file(env, "cycle_model", cfg->model_path);
    } else {
        struct sha256 s;
        uint8_t d[32];
        char hex[65];
        sha256_init(&s);
        sha256_update(&s, model_default_text, strlen(model_default_text));
        sha256_final(&s, d);
        sha256_hex(d, hex);
        add(env, "cycle_model", "builtin");
        add(env, "cycle_model_sha256", hex);
    }
    switch (cfg->serial_in_mode) {
    case SERIAL_IN_FILE:
        add(env, "serial_in_mode", "file");
        add_file(env, "serial_in", cfg->serial_in_path);
        break;
    case SERIAL_IN_REPLAY:
        add(env, "serial_in_mode", "replay");
        add_file(env, "serial_in", cfg->serial_in_path);
        break;
    case SERIAL_IN_LIVE:
        add(env, "serial_in_mode", "live");   /* the bytes are in the trace (input_serial) */
        break;
    default:
        add(env, "serial_in_mode", "none");
        break;
    }
    add_u64(env, "max_insns", max_insns);
    add_u64(env, "trace_events", cfg->trace_cats);
}
