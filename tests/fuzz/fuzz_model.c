/* fuzz_model.c — fuzz target for the CPU-model parser (cpu/model.c, model_parse).
 *
 * libFuzzer style: LLVMFuzzerTestOneInput() parses one input. Built with
 * `clang -fsanitize=fuzzer -DHVSIM_LIBFUZZER` it is a libFuzzer binary; built normally (as in
 * `make check`) main() runs every file named on the command line through the same function, so
 * the corpus is a regression test.
 *
 * Invariant checked: model_parse never crashes or reads outside its input, and either succeeds
 * or returns -1 with a non-empty message that names the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct cpu_model m;
    char err[256];
    int r = model_parse(&m, text, "fuzz", err, sizeof err);
    if (r != 0 && (r != -1 || strncmp(err, "fuzz", 4) != 0))
        abort();        /* every failure must be reported with the input's name */
    free(text);
    return 0;
}
