/* fuzz_config.c — fuzz target for the machine configuration parser (sim/config.c).
 *
 * libFuzzer style: LLVMFuzzerTestOneInput() parses one input. Built with
 * `clang -fsanitize=fuzzer -DHVSIM_LIBFUZZER` it is a libFuzzer binary; built normally (as in
 * `make check`) main() runs every file named on the command line through the same function, so
 * the corpus is a regression test.
 *
 * Invariants checked: config_parse never crashes or reads outside its input (which is not
 * NUL-terminated here); it either succeeds, with every module path absolute or resolved against
 * the base directory, or returns -1 with a message that names the input, and owns nothing
 * after config_free or a failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);   /* exactly size bytes: ASan sees any overread */
    if (!text)
        return 0;
    memcpy(text, data, size);
    struct run_config c;
    char err[256];
    int r = config_parse(text, size, "fuzz", "base", &c, err, sizeof err);
    if (r == 0) {
        for (int k = 0; k < c.machine.n_modules; k++)
            if (!c.machine.modules[k] || (c.machine.modules[k][0] != '/' &&
                                          strncmp(c.machine.modules[k], "base/", 5) != 0))
                abort();
        config_free(&c);
    } else if (r != -1 || strncmp(err, "fuzz:", 5) != 0 || c.n_owned != 0) {
        abort();        /* every failure is reported with the input's name and owns nothing */
    }
    free(text);
    return 0;
}
