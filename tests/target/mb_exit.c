/* mb_exit.c — the debug-exit port as the test: the kernel writes 1 to port 0xF4 and `hvsim run`
 * must stop there with exit status (1 << 1) | 1 = 3 (QEMU isa-debug-exit convention,
 * docs/USER-GUIDE.md). mb_exit.cfg declares the expected status for the test command
 * (`# expect-exit-status: 3`). Nothing after the write may run: if it does, the kernel says FAIL
 * and exits with 2 (status 5). The other kernels cover the write of 0 (status 1).
 */
#include "lib/kernel.h"
#include "lib/test.h"

int main(void)
{
    t_begin("mb_exit");
    t_eq("running as a Multiboot kernel", mb_entry.eax, MB1_BOOT_MAGIC);
    tprintf("# mb_exit: writing 1 to port 0xF4 (a byte write); hvsim must exit with status 3\n");
    outb(DEBUGEXIT_PORT, 1);
    t_check(0, "the debug-exit write stops the machine", "execution continued after it");
    return 2;
}
