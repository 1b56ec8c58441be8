/* fuzz_partcfg.c — fuzz target for the partition configuration parser
 * (partitions/root/partcfg.c).
 *
 * libFuzzer style (see corpus_main.c): the input is the configuration text, copied into a buffer
 * of exactly its size and not NUL-terminated, so ASan (sanitizer build) sees any read past it.
 * Invariants checked: the parser never crashes; on success 1..PARTCFG_MAX_PARTITIONS partitions
 * with NUL-terminated names of 1..PARTCFG_NAME_MAX name characters, distinct, a non-empty image,
 * memory a multiple of 4 KiB within the limits, 1..PARTCFG_MAX_VPS VPs and a workload made of
 * the known bits; on failure a count of 0 and a message "partcfg:LINE: expected ..." whose LINE
 * is at least 1 and at most the number of lines in the input plus one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partitions/root/partcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ok(const struct partcfg *cfg)
{
    if (cfg->n < 1 || cfg->n > PARTCFG_MAX_PARTITIONS)
        abort();
    for (uint32_t i = 0; i < cfg->n; i++) {
        const struct partcfg_part *p = &cfg->part[i];
        size_t nl = strnlen(p->name, sizeof p->name), il = strnlen(p->image, sizeof p->image);
        if (nl < 1 || nl > PARTCFG_NAME_MAX || il < 1 || il > PARTCFG_IMAGE_MAX)
            abort();
        if (strspn(p->name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
            nl)
            abort();
        if (p->memory < PARTCFG_MEM_MIN || p->memory > PARTCFG_MEM_MAX || p->memory % 4096)
            abort();
        if (p->vps < 1 || p->vps > PARTCFG_MAX_VPS)
            abort();
        if (p->workload == 0 ||
            (p->workload & ~(PARTCFG_WL_COMPUTE | PARTCFG_WL_TIMER | PARTCFG_WL_MESSAGE |
                             PARTCFG_WL_HOSTILE | PARTCFG_WL_SMP | PARTCFG_WL_XSTATE |
                             PARTCFG_WL_APIC | PARTCFG_WL_MMIO | PARTCFG_WL_CPUID |
                             PARTCFG_WL_INT3)))
            abort();
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(cfg->part[j].name, p->name))
                abort();
    }
}

static void check_error(const char *err, const uint8_t *data, size_t size)
{
    unsigned long line;
    int used = 0;
    if (sscanf(err, "partcfg:%lu: expected %n", &line, &used) != 1 || used == 0) {
        fprintf(stderr, "fuzz_partcfg: malformed error message: %s\n", err);
        abort();
    }
    size_t lines = 1;
    for (size_t k = 0; k < size; k++)
        lines += data[k] == '\n';
    if (line < 1 || line > lines) {
        fprintf(stderr, "fuzz_partcfg: error line %lu outside 1..%zu\n", line, lines);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct partcfg cfg;
    char err[PARTCFG_ERR_MAX];
    if (partcfg_parse(text, size, &cfg, err, sizeof err) == 0) {
        check_ok(&cfg);
        /* module matching over the parsed names, with a string built from the input */
        char s[64];
        size_t n = size < sizeof s - 1 ? size : sizeof s - 1;
        memcpy(s, data, n);
        s[n] = 0;
        (void)partcfg_module_matches(s, cfg.part[0].image);
    } else {
        if (cfg.n != 0)
            abort();
        check_error(err, data, size);
    }
    free(text);
    return 0;
}
