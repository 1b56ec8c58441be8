/* fuzz_loader.c — fuzz target for the Multiboot / ELF kernel loader (sim/multiboot*.c, which
 * loads through sim/elfload.c).
 *
 * libFuzzer style: LLVMFuzzerTestOneInput() loads one input as a kernel image into a 4 MiB
 * machine, with the input's first 64 bytes also given as a module and a fixed command line, in
 * the version selected by the last byte modulo 3 (auto, v1, v2). Built with
 * `clang -fsanitize=fuzzer -DHVSIM_LIBFUZZER` it is a libFuzzer binary; built normally (as in
 * `make check`) main() runs every file named on the command line through the same function, so
 * the corpus is a regression test.
 *
 * Invariants checked: the loader never crashes or reads outside its input; a failure returns -1
 * with a message that starts with the input's name; a success gives an entry state inside RAM
 * (info, modules, GDT within RAM and below 4 GiB, the right magic for the version) and consistent
 * boot information (v1 flags / v2 total_size and end tag).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/bus.h"
#include "sim/multiboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM (4u << 20)

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bus b;
    static int ready;
    if (!ready) {
        if (bus_init(&b, RAM))
            return 0;
        ready = 1;
    }
    memset(b.ram, 0, b.ram_size);
    enum mb_version want = size ? (enum mb_version)(data[size - 1] % 3) : MB_AUTO;
    struct mb_blob kernel = { "fuzz", data, size, NULL };
    struct mb_blob mod = { "fuzz-mod", data, size < 64 ? size : 64, "fuzz-mod arg" };
    struct mb_boot mb;
    char err[512];
    err[0] = 0;
    int r = mb_load_mem(&b, &kernel, "console=ttyS0", &mod, 1, want, &mb, err, sizeof err);
    if (r != 0) {
        check(r == -1);
        check(strncmp(err, "fuzz", 4) == 0);
        return 0;
    }
    check(mb.version == 1 || mb.version == 2);
    check(mb.magic == (mb.version == 1 ? MB1_BOOTLOADER_MAGIC : MB2_BOOTLOADER_MAGIC));
    check(mb.info >= mb.mods[0].end && (uint64_t)mb.info + mb.info_size <= mb.gdt);
    check(mb.mods[0].start >= mb.kernel_hi && mb.gdt + 4096ull <= RAM);
    check(mb.entry >= mb.kernel_lo && mb.entry < mb.kernel_hi);
    uint32_t w;
    memcpy(&w, b.ram + mb.info, 4);
    if (mb.version == 1) {
        check(w == (MB1_INFO_MEMORY | MB1_INFO_CMDLINE | MB1_INFO_MODS | MB1_INFO_MEM_MAP |
                    MB1_INFO_BOOT_LOADER_NAME));
    } else {
        uint32_t end[2];
        check(w == mb.info_size);
        memcpy(end, b.ram + mb.info + w - 8, 8);
        check(end[0] == MB2_TAG_END && end[1] == 8);
    }
    return 0;
}
