/* config.h — the machine configuration file of `hvsim run machine.cfg` (docs/CONFIG.md).
 *
 * One `key = value` setting a line; the keys are the long option names of `hvsim run`
 * (sim/cmd_run.c), so a file and a command line describe the same machine and the command line
 * can override the file (set_mask says which keys the file set).
 *
 * Invariants: a parse either succeeds and fills every field (defaults as in cmd_run.c) or fails
 * with a message "NAME:LINE: what was expected" and leaves *out owning nothing; the strings a
 * run_config points to are owned by it until config_free; relative file paths are resolved
 * against the configuration file's directory; no input makes the parser read outside it.
 */
#ifndef HVSIM_CONFIG_H
#define HVSIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sim/machine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CONFIG_MAX_LINE 4096        /* bytes a line, without its line ending */

/* set_mask bits: which keys the file set. */
enum {
    CFG_KERNEL = 1u << 0, CFG_MODULE = 1u << 1, CFG_APPEND = 1u << 2, CFG_MEM = 1u << 3,
    CFG_CPUS = 1u << 4, CFG_SERIAL = 1u << 5, CFG_CYCLE_MODEL = 1u << 6,
    CFG_MAX_INSNS = 1u << 7, CFG_DATE = 1u << 8, CFG_STRICT = 1u << 9,
    CFG_SERIAL_IN = 1u << 10, CFG_SERIAL_LOG = 1u << 11, CFG_SERIAL_REPLAY = 1u << 12,
    CFG_TRACE = 1u << 13, CFG_TRACE_EVENTS = 1u << 14,
};

struct run_config {
    struct machine_config machine;  /* serial is left NULL: the command opens `serial` */
    uint64_t max_insns;             /* UINT64_MAX: no limit */
    const char *serial;             /* "stdio" or a file name */
    /* COM1 input (sim/serial_in.h), NULL when not set: serial_in is "stdio" or a file;
     * serial_log records live input; serial_replay replays a log. A file never sets both
     * serial-in and serial-replay, nor serial-log with an input other than stdio. */
    const char *serial_in, *serial_log, *serial_replay;
    unsigned set_mask;              /* CFG_* bits of the keys the file set */
    char *owned[2 * MB_MAX_MODULES + 8];    /* the strings above, freed by config_free */
    int n_owned;
};

/* Parse the text [text, text+len) (it may contain NULs, which are errors). name is used in
 * messages; base_dir (NULL or "": none) is prepended to relative file paths. Returns 0, or -1
 * with err = "NAME:LINE: ..." and *out owning nothing. */
int config_parse(const char *text, size_t len, const char *name, const char *base_dir,
                 struct run_config *out, char *err, size_t errlen);
/* Read and parse the file at path; relative paths in it are resolved against its directory. */
int config_load(const char *path, struct run_config *out, char *err, size_t errlen);
/* Paths that start with CONFIG_BUILD_PREFIX ("@build/") name a file of the build directory:
 * they are resolved against `dir` (the directory of the hvsim binary, set by main), so a
 * configuration in the source tree can name built images whatever the build directory is.
 * Without a build directory they stay as written (and fail to open, naming the path). */
#define CONFIG_BUILD_PREFIX "@build/"
void config_set_build_dir(const char *dir);
/* Free the strings *c owns (safe after a failed parse and to call twice). */
void config_free(struct run_config *c);

/* A size or count: decimal or 0x hex digits, then an optional K/M/G (powers of 1024, either
 * case) and an optional "iB" (after K/M/G) or "B": 64M, 64MiB, 64MB, 512B. 0, or -1 for
 * anything else or overflow. */
int config_parse_size(const char *s, uint64_t *out);
/* YYYY-MM-DDTHH:MM:SS, a real date that rtc_valid accepts (from 1970 on). 0, or -1. */
int config_parse_date(const char *s, struct rtc_time *t);

#ifdef __cplusplus
}
#endif
#endif
