/* fuzz_trace.c — fuzz target for the trace reader (traces/trace_reader.c).
 *
 * libFuzzer style (see corpus_main.c). The first input byte selects what the rest is:
 *  - even: the contents of two stream files ("lp0" = the first half, "machine" = the second),
 *    read with valid metadata whose uuid is all zeros (the corpus streams carry that uuid);
 *  - odd: a metadata text, read with an empty stream.
 * Invariants checked: the reader never crashes or reads outside its buffers (ASan in the sanitizer
 * build); every event it returns has a known id and a time no earlier than the previous event's;
 * a failure comes with a message naming the file ("metadata", "lp0" or "machine").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "traces/trace_meta.h"
#include "traces/trace_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const char *err)
{
    if (!strstr(err, "metadata") && !strstr(err, "lp0") && !strstr(err, "machine") &&
        !strstr(err, "out of memory")) {
        fprintf(stderr, "fuzz_trace: error message names no file: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[512] = "";
    struct trace_reader *r;
    char *meta = NULL;
    if (data[0] & 1) {
        struct trace_mem none = { "lp0", NULL, 0 };
        r = trace_reader_open_mem((const char *)data + 1, size - 1, &none, 1, err, sizeof err);
    } else {
        static const uint8_t zero[16];
        size_t mlen;
        if (trace_meta_build(zero, NULL, 0, &meta, &mlen, err, sizeof err) != 0)
            abort();
        size_t half = (size - 1) / 2;
        struct trace_mem s[2] = { { "lp0", data + 1, half },
                                  { "machine", data + 1 + half, size - 1 - half } };
        r = trace_reader_open_mem(meta, mlen, s, 2, err, sizeof err);
    }
    if (!r) {
        check_error(err);
        free(meta);
        return 0;
    }
    struct trace_event ev;
    uint64_t last = 0;
    int rc;
    while ((rc = trace_reader_next(r, &ev)) == 1) {
        if (ev.id >= TRACE_NEVENTS || ev.ts_ps < last)
            abort();
        last = ev.ts_ps;
    }
    if (rc < 0)
        check_error(trace_reader_error(r));
    trace_reader_close(r);
    free(meta);
    return 0;
}
