/* corpus_main.c — the main() every fuzz target shares when it is built as a normal program (the
 * `make check` build): run LLVMFuzzerTestOneInput once per file named on the command line, so
 * the corpus is replayed as a test. A libFuzzer build (-fsanitize=fuzzer -DHVSIM_LIBFUZZER)
 * brings its own main instead. Fails if a file cannot be read or none was given. */
#ifndef HVSIM_LIBFUZZER
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    static uint8_t buf[1 << 20];
    int n = 0;
    for (int k = 1; k < argc; k++) {
        FILE *f = fopen(argv[k], "rb");
        if (!f) {
            fprintf(stderr, "%s: cannot open %s\n", argv[0], argv[k]);
            return 1;
        }
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, len);
        n++;
    }
    printf("%s: %d inputs run without a crash\n", argv[0], n);
    return n > 0 ? 0 : 1;
}
#endif
