/* fuzz_serial_log.c — fuzz target for the serial replay log parser (sim/serial_log.c).
 *
 * libFuzzer style: LLVMFuzzerTestOneInput() parses one input. Built with
 * `clang -fsanitize=fuzzer -DHVSIM_LIBFUZZER` it is a libFuzzer binary; built normally (as in
 * `make check`) corpus_main.c runs every file named on the command line through it, so the
 * corpus (tests/fuzz/corpus/serial_log/) is a regression test.
 *
 * Invariants checked: serial_log_parse never crashes or reads outside its input (which is not
 * NUL-terminated here); on success every arrival has 1..SERIAL_LOG_MAX_BYTES bytes inside the
 * byte array, times never decrease, and writing the arrivals back and parsing that gives the
 * same bytes at the same times; on failure the message names the input and a line, and the log
 * owns nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/serial_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The (time, byte) sequence of a log, flattened: arrivals split over lines compare equal. */
static int same_stream(const struct serial_log *a, const struct serial_log *b)
{
    size_t ia = 0, ib = 0, ka = 0, kb = 0;
    for (;;) {
        while (ia < a->n && ka == a->arr[ia].len) {
            ia++;
            ka = 0;
        }
        while (ib < b->n && kb == b->arr[ib].len) {
            ib++;
            kb = 0;
        }
        if (ia == a->n || ib == b->n)
            return ia == a->n && ib == b->n;
        if (a->arr[ia].t_ps != b->arr[ib].t_ps ||
            a->bytes[a->arr[ia].off + ka] != b->bytes[b->arr[ib].off + kb])
            return 0;
        ka++;
        kb++;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);   /* exactly size bytes: ASan sees any overread */
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct serial_log l;
    char err[256];
    int r = serial_log_parse(text, size, "fuzz", &l, err, sizeof err);
    if (r == 0) {
        for (size_t k = 0; k < l.n; k++) {
            const struct serial_arrival *a = &l.arr[k];
            if (a->len == 0 || a->len > SERIAL_LOG_MAX_BYTES || a->off > l.nbytes ||
                a->len > l.nbytes - a->off || (k && a->t_ps < l.arr[k - 1].t_ps))
                abort();
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (f) {
            serial_log_write_header(f);
            for (size_t k = 0; k < l.n; k++)
                serial_log_write_arrival(f, l.arr[k].t_ps, l.bytes + l.arr[k].off,
                                         l.arr[k].len);
            fclose(f);
            struct serial_log again;
            if (serial_log_parse(buf, len, "again", &again, err, sizeof err) ||
                !same_stream(&l, &again))
                abort();                     /* the writer's output must parse back the same */
            serial_log_free(&again);
            free(buf);
        }
        serial_log_free(&l);
    } else if (r != -1 || strncmp(err, "fuzz:", 5) != 0 || l.arr || l.bytes || l.n) {
        abort();        /* every failure names the input and line, and owns nothing */
    }
    free(text);
    return 0;
}
